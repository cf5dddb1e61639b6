package main

import (
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/rankloop/rankloop/runner"
)

// logEvery is how often progress is logged when stderr is not a terminal.
const logEvery = 5 * time.Second

// progress shows how far each arm has come: one bar per arm when stderr is
// a terminal, a log line per arm every few seconds otherwise.
type progress struct {
	base  *slog.Logger
	level slog.Level // lowest level that base logs, and so the logger above the bars
	bars  *mpb.Progress
	arms  []*mpb.Bar

	mu      sync.Mutex
	names   []string
	done    []map[int]int // events done per arm and repetition
	total   []int
	lastLog time.Time
}

// newProgress returns the progress of exp's arms, logged through logger,
// which logs at level and above. Bars are drawn on stderr when allowBars is
// set and stderr is a terminal.
func newProgress(stderr io.Writer, exp *runner.Experiment, logger *slog.Logger, level slog.Level, allowBars bool) *progress {
	p := &progress{base: logger, level: level, lastLog: time.Now()}
	for _, arm := range exp.Arms {
		p.names = append(p.names, arm.Name)
		p.done = append(p.done, map[int]int{})
		p.total = append(p.total, exp.Repetitions*exp.Events)
	}
	if allowBars && isTerminal(stderr) {
		p.drawBars(stderr, exp)
	}
	return p
}

// drawBars starts one bar per arm on w.
func (p *progress) drawBars(w io.Writer, exp *runner.Experiment) {
	p.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	for i, arm := range exp.Arms {
		bar := p.bars.AddBar(int64(p.total[i]),
			mpb.PrependDecorators(decor.Name(arm.Name, decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d", decor.WCSyncSpace)),
			mpb.AppendDecorators(decor.OnComplete(decor.Percentage(decor.WCSyncSpace), "done")),
		)
		p.arms = append(p.arms, bar)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// logger returns the logger to use while the bars are drawn: its lines
// appear above the bars instead of breaking them.
func (p *progress) logger() *slog.Logger {
	if p.bars == nil {
		return p.base
	}
	return slog.New(slog.NewTextHandler(p.bars, &slog.HandlerOptions{Level: p.level}))
}

func (p *progress) update(u runner.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()

	before := p.done[u.ArmIndex][u.Repetition]
	p.done[u.ArmIndex][u.Repetition] = u.Done
	if p.bars != nil {
		p.arms[u.ArmIndex].IncrBy(u.Done - before)
		return
	}
	if time.Since(p.lastLog) < logEvery {
		return
	}
	p.lastLog = time.Now()
	for i, reps := range p.done {
		sum := 0
		for _, d := range reps {
			sum += d
		}
		p.base.Info("progress", "arm", p.names[i], "events", sum, "of", p.total[i])
	}
}

// wait stops the bars, marking unfinished ones as aborted.
func (p *progress) wait() {
	if p.bars == nil {
		return
	}
	for _, b := range p.arms {
		if !b.Completed() {
			b.Abort(false)
		}
	}
	p.bars.Wait()
}
