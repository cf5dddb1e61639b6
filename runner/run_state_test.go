package runner

import (
	"context"
	"os"
	"path/filepath"
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
