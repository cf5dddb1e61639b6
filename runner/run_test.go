package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rankloop/rankloop/results"
)

func TestRunCoffeeSmall(t *testing.T) {
	exp, err := Load(filepath.Join("..", "experiments", "coffee.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	exp.Events = 400
	exp.Repetitions = 2
	for _, a := range exp.Arms {
		a.Personalizer.ModelUpdateEvery = 200
	}

	out := t.TempDir()
	report, err := Run(context.Background(), exp, Options{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	if !report.Completed {
		t.Fatal("report not completed")
	}
	for _, name := range []string{EventsFile, BatchesFile, ManifestFile, ChartFile} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	t.Logf("%+v", report.Summary)
}

// TestRunCoffeeReproducesTutorial checks the tutorial's table on the full
// coffee experiment: both arms near 0.25 while the untrained model serves
// the first 2,000 events, then the optimized policy at 0.78 or more and the
// service's default policy below 0.69, the ceiling of any pairwise model.
func TestRunCoffeeReproducesTutorial(t *testing.T) {
	exp, err := Load(filepath.Join("..", "experiments", "coffee.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	report, err := Run(context.Background(), exp, Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}

	means := map[string][2]float64{}
	for _, s := range report.Runs {
		m := means[s.Arm]
		m[0] += s.FirstHalf / float64(exp.Repetitions)
		m[1] += s.SecondHalf / float64(exp.Repetitions)
		means[s.Arm] = m
	}
	for arm, m := range means {
		if m[0] < 0.20 || m[0] > 0.30 {
			t.Errorf("%s: mean reward over events 1-2000 = %.3f, want 0.20-0.30", arm, m[0])
		}
	}
	if got := means["optimized-policy"][1]; got < 0.78 {
		t.Errorf("optimized-policy: mean reward over events 2001-4000 = %.3f, want at least 0.78", got)
	}
	if got := means["tutorial-policy"][1]; got >= 0.69 {
		t.Errorf("tutorial-policy: mean reward over events 2001-4000 = %.3f, want under 0.69", got)
	}
	t.Logf("means over events 1-2000 and 2001-4000: %v", means)
}

func TestLoadWarnsUnusedInteraction(t *testing.T) {
	exp, err := Load(filepath.Join("..", "experiments", "coffee.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Warnings) != 0 {
		t.Errorf("coffee.yaml warnings = %q, want none", exp.Warnings)
	}

	exp.Arms[0].Personalizer.Policy += " -q Fk"
	warnings := interactionWarnings(exp)
	if len(warnings) != 1 || !strings.Contains(warnings[0], `interaction "Fk"`) || !strings.Contains(warnings[0], exp.Arms[0].Name) {
		t.Errorf("warnings = %q, want one naming interaction Fk and arm %s", warnings, exp.Arms[0].Name)
	}
}

func TestRunAccuracyNullForArmWithoutExpected(t *testing.T) {
	exp, err := Load(filepath.Join("..", "experiments", "coffee.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	exp.Events = 200
	exp.Repetitions = 1
	exp.Arms[1].Expected = nil

	out := t.TempDir()
	if _, err := Run(context.Background(), exp, Options{OutDir: out}); err != nil {
		t.Fatal(err)
	}
	rows, hasExpected, _, err := results.ReadBatches(filepath.Join(out, BatchesFile))
	if err != nil {
		t.Fatal(err)
	}
	if !hasExpected {
		t.Fatal("batches.parquet has no accuracy although one arm defines expected")
	}
	for _, r := range rows {
		if want := r.Arm == exp.Arms[1].Name; r.AccuracyUndefined != want {
			t.Errorf("arm %s batch %d: accuracy undefined = %v, want %v", r.Arm, r.Batch, r.AccuracyUndefined, want)
		}
	}
}
