package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rankloop/rankloop/results"
	"github.com/rankloop/rankloop/runner"
)

// TestPrintSummaryThresholdPerArm checks that the summary table names each
// arm's own threshold when the arms set different ones.
func TestPrintSummaryThresholdPerArm(t *testing.T) {
	one := results.Range{Median: 1, Min: 1, Max: 1}
	report := &runner.Report{
		Experiment: &runner.Experiment{Name: "thresholds", Events: 300, Repetitions: 1,
			Arms: []*runner.Arm{{Name: "strict", Threshold: 0.99}, {Name: "lenient", Threshold: 0.1}}},
		OutDir:    "out",
		Completed: true,
		Summary: []results.SummaryRow{
			{Arm: "strict", Repetitions: 1, FirstHalf: one, SecondHalf: one, LastBatch: one,
				EventsToThreshold: results.Range{Median: -1, Min: -1, Max: -1}, Threshold: 0.99},
			{Arm: "lenient", Repetitions: 1, FirstHalf: one, SecondHalf: one, LastBatch: one,
				EventsToThreshold: results.Range{Median: 100, Min: 100, Max: 100}, Crossed: 1, Threshold: 0.1},
		},
	}
	var out bytes.Buffer
	printSummary(&out, report)

	lines := strings.Split(out.String(), "\n")
	for _, want := range []struct{ arm, threshold string }{{"strict", "0.99"}, {"lenient", "0.10"}} {
		found := false
		for _, line := range lines {
			if strings.HasPrefix(line, want.arm+" ") {
				found = true
				if !strings.Contains(line, want.threshold) {
					t.Errorf("row of arm %s does not name its threshold %s: %q", want.arm, want.threshold, line)
				}
			}
		}
		if !found {
			t.Errorf("no row for arm %s in:\n%s", want.arm, out.String())
		}
	}
	if strings.Contains(lines[2], "0.99") {
		t.Errorf("header names the first arm's threshold for every arm: %q", lines[2])
	}
}

// TestRunInterruptedBeforeStartFails checks that an interruption before an
// experiment starts is reported, so the command does not exit 0 with
// experiments left unrun.
func TestRunInterruptedBeforeStartFails(t *testing.T) {
	dir := t.TempDir()
	exp := copyExperiment(t, dir, 100)
	out := filepath.Join(dir, "out")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := run(ctx, []string{"run", "--quiet", "--out", out, exp}, &bytes.Buffer{}, &bytes.Buffer{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run error = %v, want context.Canceled", err)
	}
	if code := exitCode(ctx, err, &bytes.Buffer{}); code != exitInterrupted {
		t.Errorf("exit code = %d, want %d", code, exitInterrupted)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an experiment that never started created its results folder: %v", err)
	}
}

// TestProgressBarsKeepLogLevel checks that the logger writing above the
// progress bars logs at the level the flags chose.
func TestProgressBarsKeepLogLevel(t *testing.T) {
	exp := &runner.Experiment{Name: "levels", Events: 10, Repetitions: 1, Arms: []*runner.Arm{{Name: "only"}}}
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		var stderr bytes.Buffer
		p := newProgress(&stderr, exp, slog.New(slog.NewTextHandler(&stderr, &slog.HandlerOptions{Level: level})), level, false)
		p.drawBars(&stderr, exp)
		logger := p.logger()
		p.update(runner.Progress{Arm: "only", Done: 10, Total: 10, Finished: true})
		p.wait()

		if got := logger.Enabled(context.Background(), slog.LevelDebug); got != (level == slog.LevelDebug) {
			t.Errorf("level %v: debug enabled above the bars = %v, want %v", level, got, level == slog.LevelDebug)
		}
		if !logger.Enabled(context.Background(), slog.LevelInfo) {
			t.Errorf("level %v: info disabled above the bars", level)
		}
	}
}
