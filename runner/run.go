package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/rankloop/rankloop/results"
)

// Options configure [Run].
type Options struct {
	// OutDir is the results folder; it must exist.
	OutDir string
	// Parallelism is the number of runs executed at once; 0 means
	// GOMAXPROCS. Results do not depend on it.
	Parallelism int
	// Endpoint and Key address a Personalizer endpoint for arms whose
	// backend is http. Key is never written to results or logs.
	Endpoint string
	Key      string
	// Concurrency is the number of events in flight against an endpoint.
	Concurrency int
	// Version is the tool version recorded in the manifest.
	Version string
	Logger  *slog.Logger
	// Progress, when set, receives an update from every run after each
	// 2,000 events or so and when the run finishes. Runs call it from their
	// own goroutines, so it must be safe for concurrent use.
	Progress func(Progress)
	// Now is the clock for the manifest's start and end times.
	Now func() time.Time
}

// Progress reports how far one run has come.
type Progress struct {
	Arm        string
	ArmIndex   int
	Repetition int
	Done       int
	Total      int
	Finished   bool
}

// runKey names one run of the plan.
type runKey struct {
	arm        int
	repetition int
}

// Report is the result of [Run]: the figures of every completed run and the
// summary table, in arm order.
type Report struct {
	Experiment *Experiment
	OutDir     string
	Runs       []RunStats
	Summary    []results.SummaryRow
	Completed  bool
	Files      []string

	// batches holds each completed run's batches, by arm name.
	batches map[string][][]batchStats
}

// BatchMeans returns, for each arm, the mean reward of each batch averaged
// over the repetitions that completed.
func (r *Report) BatchMeans() map[string][]float64 {
	out := make(map[string][]float64, len(r.batches))
	for arm, runs := range r.batches {
		var sums []float64
		for _, run := range runs {
			for i, b := range run {
				if i >= len(sums) {
					sums = append(sums, 0)
				}
				sums[i] += b.mean()
			}
		}
		for i := range sums {
			sums[i] /= float64(len(runs))
		}
		out[arm] = sums
	}
	return out
}

// Run executes every arm × repetition of exp, writes the result files into
// opts.OutDir and returns the summary. When ctx is cancelled or a run
// fails, the runs that finished are still written, and the manifest
// records that the experiment did not complete.
func Run(ctx context.Context, exp *Experiment, opts Options) (*Report, error) {
	opts = withDefaults(opts)
	started := opts.Now().UTC()

	partsDir := filepath.Join(opts.OutDir, ".parts")
	if err := os.MkdirAll(partsDir, 0o755); err != nil {
		return nil, fmt.Errorf("create parts folder: %w", err)
	}
	layout := newEventLayout(exp)

	plan := make([]runKey, 0, len(exp.Arms)*exp.Repetitions)
	for a := range exp.Arms {
		for r := range exp.Repetitions {
			plan = append(plan, runKey{a, r})
		}
	}

	outcomes, runErr := executePlan(ctx, exp, plan, layout, partsDir, opts)

	var completed []*runOutcome
	for _, o := range outcomes {
		if o != nil && o.err == nil && o.finished {
			completed = append(completed, o)
		}
	}
	allDone := runErr == nil && len(completed) == len(plan)

	report := &Report{Experiment: exp, OutDir: opts.OutDir, Completed: allDone, batches: map[string][][]batchStats{}}
	for _, o := range completed {
		report.Runs = append(report.Runs, o.stats)
		arm := exp.Arms[o.key.arm].Name
		report.batches[arm] = append(report.batches[arm], o.batches)
	}
	report.Summary = Summarize(exp.Arms, report.Runs)

	files, writeErr := writeResults(exp, layout, completed, report, runErr, started, opts)
	report.Files = files
	if writeErr == nil {
		_ = os.RemoveAll(partsDir)
	}
	return report, errors.Join(runErr, writeErr)
}

func withDefaults(opts Options) Options {
	if opts.Parallelism <= 0 {
		opts.Parallelism = runtime.GOMAXPROCS(0)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 1
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts
}

// executePlan runs the plan and returns one outcome per run, in plan order.
// Embedded runs go in parallel; runs against an endpoint go one after
// another, since an endpoint is one learning loop.
func executePlan(ctx context.Context, exp *Experiment, plan []runKey, layout *eventLayout, partsDir string, opts Options) ([]*runOutcome, error) {
	outcomes := make([]*runOutcome, len(plan))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu       sync.Mutex
		firstErr error
	)
	record := func(i int, o *runOutcome) {
		mu.Lock()
		defer mu.Unlock()
		outcomes[i] = o
		if o.err != nil && firstErr == nil {
			firstErr = o.err
			cancel()
		}
	}

	var local, remote []int
	for i, k := range plan {
		if exp.Arms[k.arm].Personalizer.Backend == "http" {
			remote = append(remote, i)
		} else {
			local = append(local, i)
		}
	}

	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(opts.Parallelism, max(len(local), 1)) {
		wg.Go(func() {
			w := newWorker()
			for i := range jobs {
				record(i, w.runLocal(ctx, exp, plan[i], layout, partsDir, opts))
			}
		})
	}
	if len(remote) > 0 {
		wg.Go(func() {
			client, closeIdle, err := newEndpointClient(opts)
			if err != nil {
				record(remote[0], failed(plan[remote[0]], err))
				return
			}
			defer closeIdle()
			for _, i := range remote {
				if ctx.Err() != nil {
					return
				}
				record(i, runRemote(ctx, client, exp, plan[i], layout, partsDir, opts))
			}
		})
	}
	for _, i := range local {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	if firstErr == nil && ctx.Err() != nil {
		firstErr = context.Cause(ctx)
	}
	return outcomes, firstErr
}
