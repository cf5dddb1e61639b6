package runner

import (
	"context"
	"os"
	"path/filepath"
	"testing"
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
