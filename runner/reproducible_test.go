package runner

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rankloop/rankloop/results"
)

// runEvents runs exp with the given parallelism and returns the rows of its
// events.parquet.
func runEvents(t *testing.T, exp *Experiment, parallelism int) []results.EventRow {
	t.Helper()
	out := t.TempDir()
	if _, err := Run(context.Background(), exp, Options{OutDir: out, Parallelism: parallelism}); err != nil {
		t.Fatal(err)
	}
	_, rows, err := results.ReadEvents(filepath.Join(out, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestRunReproducibleAcrossParallelism(t *testing.T) {
	exp, err := Load(filepath.Join("..", "experiments", "coffee.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	exp.Events = 1000
	exp.Repetitions = 3
	for _, a := range exp.Arms {
		a.Personalizer.ModelUpdateEvery = 100
	}

	serial := runEvents(t, exp, 1)
	parallel := runEvents(t, exp, 4)
	again := runEvents(t, exp, 4)

	if want := len(exp.Arms) * exp.Repetitions * exp.Events; len(serial) != want {
		t.Fatalf("rows = %d, want %d", len(serial), want)
	}
	if !reflect.DeepEqual(serial, parallel) {
		t.Error("rows with parallelism 1 and 4 differ")
	}
	if !reflect.DeepEqual(parallel, again) {
		t.Error("two runs of the same file and seed differ")
	}
}

func TestRunOrderAndPairing(t *testing.T) {
	exp, err := Load(filepath.Join("..", "experiments", "coffee.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	exp.Events = 300
	exp.Repetitions = 2
	rows := runEvents(t, exp, 0)

	// Rows are ordered by arm, repetition and event.
	i := 0
	for _, arm := range exp.Arms {
		for r := range exp.Repetitions {
			for e := range exp.Events {
				row := rows[i]
				if row.Arm != arm.Name || int(row.Repetition) != r || int(row.Event) != e {
					t.Fatalf("row %d is %s/%d/%d, want %s/%d/%d", i, row.Arm, row.Repetition, row.Event, arm.Name, r, e)
				}
				i++
			}
		}
	}

	// Arms of a repetition see the same contexts and event ids.
	per := exp.Repetitions * exp.Events
	for j := range per {
		a, b := rows[j], rows[per+j]
		if a.EventID != b.EventID {
			t.Fatalf("event %d: ids %s and %s differ between arms", j, a.EventID, b.EventID)
		}
		if !reflect.DeepEqual(a.Context, b.Context) {
			t.Fatalf("event %d: contexts %v and %v differ between arms", j, a.Context, b.Context)
		}
	}
	// Repetitions draw different contexts.
	same := 0
	for e := range exp.Events {
		if reflect.DeepEqual(rows[e].Context, rows[exp.Events+e].Context) {
			same++
		}
	}
	if same == exp.Events {
		t.Error("repetitions 0 and 1 drew identical contexts")
	}
}
