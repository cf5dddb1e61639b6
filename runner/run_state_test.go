package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rankloop/rankloop/results"
)

// loadText writes an experiment file with the given text into a temporary
// folder and loads it.
func loadText(t *testing.T, text string) *Experiment {
	t.Helper()
	path := filepath.Join(t.TempDir(), "experiment.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	exp, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

// runRows runs exp with default options and returns the rows of its
// events.parquet.
func runRows(t *testing.T, exp *Experiment) []results.EventRow {
	t.Helper()
	out := t.TempDir()
	if _, err := Run(context.Background(), exp, Options{OutDir: out}); err != nil {
		t.Fatal(err)
	}
	_, rows, err := results.ReadEvents(filepath.Join(out, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestRunRewardFollowsEventExpected checks a reward that reads an expected
// value which changes from event to event within one context: the reward
// must follow the expected value of each event.
func TestRunRewardFollowsEventExpected(t *testing.T) {
	exp := loadText(t, `name: alternating
events: 200
batch_size: 50
repetitions: 1
context:
  store: downtown
actions:
  - id: a
    features: {kind: one}
  - id: b
    features: {kind: two}
expected: 'event % 2 == 0 ? "a" : "b"'
reward: 'action.id == expected ? 1 : 0'
personalizer:
  policy: "--cb_explore_adf --epsilon 0.5"
`)
	rows := runRows(t, exp)
	if len(rows) != exp.Events {
		t.Fatalf("rows = %d, want %d", len(rows), exp.Events)
	}
	for _, r := range rows {
		want := "a"
		if r.Event%2 == 1 {
			want = "b"
		}
		if r.Expected != want {
			t.Fatalf("event %d: expected %q, want %q", r.Event, r.Expected, want)
		}
		wantReward := 0.0
		if r.Action == want {
			wantReward = 1
		}
		if r.Reward != wantReward {
			t.Errorf("event %d: action %s, expected %s: reward %v, want %v", r.Event, r.Action, r.Expected, r.Reward, wantReward)
		}
		if r.BestReward != 1 {
			t.Errorf("event %d: best reward %v, want 1", r.Event, r.BestReward)
		}
	}
}

// failingExperiment has an arm "good" and an arm "bad" whose reward leaves
// [-1, 1] at event 50, which stops its runs.
const failingExperiment = `name: failing
events: %d
batch_size: 100
repetitions: %d
context:
  name: [Alice, Bob]
actions:
  - id: a
    features: {kind: one}
  - id: b
    features: {kind: two}
reward: 'action.id == "a" ? 1 : 0'
personalizer:
  policy: "--cb_explore_adf --epsilon 0.2"
arms:
  - name: good
  - name: bad
    reward: 'event >= 50 ? 2 : 0'
`

// TestRunFailureStopsOtherRuns checks that a failing run stops the runs
// still in progress, and that their part files are removed.
func TestRunFailureStopsOtherRuns(t *testing.T) {
	// Two runs at once: good's run of 2,000,000 events and bad's, which
	// fails after 50 events, long before good's could finish.
	exp := loadText(t, fmt.Sprintf(failingExperiment, 2_000_000, 1))
	out := t.TempDir()
	report, err := Run(context.Background(), exp, Options{OutDir: out, Parallelism: 2})
	if err == nil || !strings.Contains(err.Error(), `arm "bad"`) {
		t.Fatalf("Run error = %v, want the failure of arm bad", err)
	}
	if report.Completed {
		t.Error("report says the experiment completed")
	}
	if len(report.Runs) != 0 {
		t.Errorf("runs finished = %+v, want none: good's run should have stopped", report.Runs)
	}
	if _, err := os.Stat(filepath.Join(out, ".parts")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("part files left behind: %v", err)
	}
	// With no finished run, only the manifest is written, with the error.
	for _, name := range []string{EventsFile, BatchesFile, ChartFile} {
		if _, err := os.Stat(filepath.Join(out, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s written although no run finished: %v", name, err)
		}
	}
	m, err := results.ReadManifest(filepath.Join(out, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if m.Completed || !strings.Contains(m.Error, `arm "bad"`) {
		t.Errorf("manifest completed %v, error %q; want false and arm bad's error", m.Completed, m.Error)
	}
}

// TestRunFailureKeepsFinishedRunsInOrder checks that the runs that finished
// before another failed are written whole and in arm, repetition and event
// order.
func TestRunFailureKeepsFinishedRunsInOrder(t *testing.T) {
	exp := loadText(t, fmt.Sprintf(failingExperiment, 300, 3))
	out := t.TempDir()
	report, err := Run(context.Background(), exp, Options{OutDir: out, Parallelism: 1})
	if err == nil {
		t.Fatal("Run returned no error although arm bad fails")
	}
	if len(report.Runs) != exp.Repetitions {
		t.Fatalf("runs finished = %d, want good's %d", len(report.Runs), exp.Repetitions)
	}
	_, rows, err := results.ReadEvents(filepath.Join(out, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := exp.Repetitions * exp.Events; len(rows) != want {
		t.Fatalf("events.parquet has %d rows, want %d", len(rows), want)
	}
	for i, r := range rows {
		rep, event := i/exp.Events, i%exp.Events
		if r.Arm != "good" || int(r.Repetition) != rep || int(r.Event) != event {
			t.Fatalf("row %d is %s/%d/%d, want good/%d/%d", i, r.Arm, r.Repetition, r.Event, rep, event)
		}
	}
	m, err := results.ReadManifest(filepath.Join(out, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if m.Completed || m.Rows.Events != int64(len(rows)) {
		t.Errorf("manifest: completed %v, %d events; want false, %d", m.Completed, m.Rows.Events, len(rows))
	}
}
