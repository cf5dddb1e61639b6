package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/personalizer/server"
)

// repoPath returns a path from the repository's top folder.
func repoPath(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

func TestRunCoffeeWritesResults(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", "--out", out, repoPath("experiments", "coffee.yaml")}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}

	for _, name := range []string{"events.parquet", "batches.parquet", "manifest.json", "chart.html"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("results file %s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, ".parts")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("part files left behind: %v", err)
	}
	summary := stdout.String()
	for _, want := range []string{"tutorial-policy", "optimized-policy", "completed", "results: " + out} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}

	var manifest struct {
		Completed bool `json:"completed"`
		Rows      struct {
			Events int `json:"events"`
		} `json:"rows"`
	}
	data, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	if !manifest.Completed {
		t.Error("manifest says the run did not complete")
	}
	if manifest.Rows.Events != 2*10*4000 {
		t.Errorf("manifest events = %d, want %d", manifest.Rows.Events, 2*10*4000)
	}
}

func TestRunDefaultFolder(t *testing.T) {
	dir := t.TempDir()
	exp := copyExperiment(t, dir, 200)
	t.Chdir(dir)

	for range 2 {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"run", "--quiet", exp}, &stdout, &stderr); err != nil {
			t.Fatalf("run: %v\n%s", err, stderr.String())
		}
	}
	folders, err := filepath.Glob(filepath.Join("runs", "coffee", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(folders) != 2 {
		t.Fatalf("results folders = %v, want two distinct ones", folders)
	}
}

// copyExperiment writes a copy of the coffee experiment with fewer events
// into dir and returns its path.
func copyExperiment(t *testing.T, dir string, events int) string {
	t.Helper()
	src, err := os.ReadFile(repoPath("experiments", "coffee.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), "events: 4000", "events: "+strconv.Itoa(events), 1)
	text = strings.Replace(text, "model_update_every: 2000", "model_update_every: 50", 1)
	text = strings.Replace(text, "data/", filepath.Join(absRepo(t), "experiments", "data")+"/", -1)
	path := filepath.Join(dir, "coffee.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func absRepo(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(repoPath())
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestCheckInvalidFiles(t *testing.T) {
	cases := []struct {
		file string
		want string // a positioned message the output must contain
	}{
		{"misspelt-key.yaml", `misspelt-key.yaml:2:1: unknown key "evnts" in the experiment; did you mean "events"?`},
		{"duplicate-key.yaml", `duplicate-key.yaml:3:1: duplicate key "events"`},
		{"bad-formula.yaml", `bad-formula.yaml:16:42: unknown name nope`},
		{"missing-dataset.yaml", `missing-dataset.yaml:4:16: dataset preferences: file not found`},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			path := repoPath("runner", "testdata", tc.file)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"check", path}, &stdout, &stderr)
			if err == nil {
				t.Fatal("check accepted an invalid file")
			}
			if code := exitCode(context.Background(), err, &bytes.Buffer{}); code != exitFailure {
				t.Errorf("exit code = %d, want %d", code, exitFailure)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr.String())
			}
		})
	}
}

func TestRunInvalidFileWritesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(absRepo(t), "runner", "testdata", "misspelt-key.yaml")
	good := copyExperiment(t, dir, 100)
	t.Chdir(dir)

	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", good, bad}, &stdout, &stderr)
	if err == nil {
		t.Fatal("run accepted an invalid file")
	}
	if _, err := os.Stat(filepath.Join(dir, "runs")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run created a results folder although a file was invalid: %v", err)
	}
}

func TestRunInterruptedKeepsFinishedRuns(t *testing.T) {
	dir := t.TempDir()
	exp := copyExperiment(t, dir, 300_000)
	out := filepath.Join(dir, "out")

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(1500*time.Millisecond, cancel)
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"run", "--parallel", "1", "--out", out, exp}, &stdout, &stderr)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run error = %v, want context.Canceled", err)
	}
	if code := exitCode(ctx, err, &bytes.Buffer{}); code != exitInterrupted {
		t.Errorf("exit code = %d, want %d", code, exitInterrupted)
	}

	data, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatalf("no manifest after an interrupted run: %v", err)
	}
	var manifest struct {
		Completed bool `json:"completed"`
		Rows      struct {
			Events int `json:"events"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.Completed {
		t.Error("manifest says an interrupted run completed")
	}
	if manifest.Rows.Events%300_000 != 0 {
		t.Errorf("manifest events = %d: not whole runs", manifest.Rows.Events)
	}
	// Without a finished run, only the manifest is written.
	if manifest.Rows.Events > 0 {
		for _, name := range []string{"events.parquet", "batches.parquet", "chart.html"} {
			if _, err := os.Stat(filepath.Join(out, name)); err != nil {
				t.Errorf("results file %s after interruption: %v", name, err)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"run"}, {"check"}, {"run", "--concurrency", "0", "x.yaml"}} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, &stdout, &stderr)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("run(%q) error = %v, want a usage error", args, err)
		}
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "rankloop ") {
		t.Errorf("version output = %q", stdout.String())
	}
}

func TestHelpExitsCleanly(t *testing.T) {
	for _, args := range [][]string{{"run", "-h"}, {"check", "-h"}, {"serve", "-h"}, {"help"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Errorf("run(%q) = %v, want nil", args, err)
		}
	}
}

func TestRunFlagsAfterFile(t *testing.T) {
	dir := t.TempDir()
	exp := copyExperiment(t, dir, 100)
	out := filepath.Join(dir, "late")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"run", exp, "--out", out, "--quiet"}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err != nil {
		t.Errorf("--out after the file was not used: %v", err)
	}
}

func TestRunRefusesFolderWithResults(t *testing.T) {
	dir := t.TempDir()
	exp := copyExperiment(t, dir, 100)
	out := filepath.Join(dir, "out")
	args := []string{"run", "--quiet", "--out", out, exp}
	if err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}

	err = run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second run into the same folder: error %v, want one naming --force", err)
	}
	after, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("the refused run changed the earlier manifest")
	}

	force := append([]string{"run", "--force"}, args[1:]...)
	if err := run(context.Background(), force, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Errorf("run --force: %v", err)
	}
}

func TestRunUnreachableEndpointWritesNothing(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(repoPath("experiments", "coffee-http.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(src), "data/", filepath.Join(absRepo(t), "experiments", "data")+"/")
	exp := filepath.Join(dir, "coffee-http.yaml")
	if err := os.WriteFile(exp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	cases := []struct {
		endpoint string
		want     string
		usage    bool
	}{
		{"ftp://127.0.0.1:1", "want http:// or https://", true},
		{"127.0.0.1:1", "add http:// or https://", true},
		{"http://127.0.0.1:1/personalizer/v1.0", "pass the base URL, http://127.0.0.1:1", true},
		{"", "pass --endpoint URL", true},
		// Port 1 on loopback refuses connections.
		{"http://127.0.0.1:1", "cannot reach endpoint", false},
	}
	for _, tc := range cases {
		t.Run(tc.endpoint, func(t *testing.T) {
			t.Setenv("RANKLOOP_ENDPOINT", "")
			err := run(context.Background(), []string{"run", "--endpoint", tc.endpoint, exp}, &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
			var ue *usageError
			if got := errors.As(err, &ue); got != tc.usage {
				t.Errorf("usage error = %v, want %v", got, tc.usage)
			}
			if _, err := os.Stat(filepath.Join(dir, "runs")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a results folder was created: %v", err)
			}
		})
	}
}

func TestRunWrongKeyNamesTheFix(t *testing.T) {
	loop, err := local.New(local.Options{ModelUpdateEvery: 100})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(loop, server.WithKey("right")))
	defer srv.Close()

	dir := t.TempDir()
	src, err := os.ReadFile(repoPath("experiments", "coffee-http.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(src), "data/", filepath.Join(absRepo(t), "experiments", "data")+"/")
	exp := filepath.Join(dir, "coffee-http.yaml")
	if err := os.WriteFile(exp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("RANKLOOP_KEY", "")

	err = run(context.Background(), []string{"run", "--endpoint", srv.URL, "--key", "wrong-key-7f3a", exp}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "rejected the key") || !strings.Contains(err.Error(), "RANKLOOP_KEY") {
		t.Fatalf("error = %v, want one saying the key was rejected and how to pass it", err)
	}
	if strings.Contains(err.Error(), "wrong-key-7f3a") {
		t.Errorf("the error shows the key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a results folder was created: %v", err)
	}
}

// TestRunAgainstServe runs the coffee experiment with backend http against
// `rankloop serve` on loopback, as a user would with two commands, and
// checks that the optimized policy learns as it does embedded.
func TestRunAgainstServe(t *testing.T) {
	served := startServe(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"run", "--quiet", "--out", out, "--endpoint", served.endpoint, "--concurrency", "4", repoPath("experiments", "coffee-http.yaml")}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}

	var manifest struct {
		Completed bool `json:"completed"`
		Summary   []struct {
			Arm        string                   `json:"arm"`
			FirstHalf  struct{ Median float64 } `json:"first_half_mean"`
			SecondHalf struct{ Median float64 } `json:"second_half_mean"`
		} `json:"summary"`
	}
	data, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	if !manifest.Completed {
		t.Fatal("manifest says the run did not complete")
	}
	for _, s := range manifest.Summary {
		if s.FirstHalf.Median < 0.18 || s.FirstHalf.Median > 0.32 {
			t.Errorf("%s: first half %.3f, want near 0.25", s.Arm, s.FirstHalf.Median)
		}
		if s.Arm == "optimized-policy" && s.SecondHalf.Median < 0.78 {
			t.Errorf("optimized-policy: second half %.3f, want at least 0.78 as embedded", s.SecondHalf.Median)
		}
	}
	if err := served.stop(); err != nil {
		t.Errorf("serve stopped with %v", err)
	}
}

func TestCheckDuplicateExperimentNames(t *testing.T) {
	dir := t.TempDir()
	first := copyExperiment(t, dir, 100)
	second := filepath.Join(dir, "copy.yaml")
	data, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second, data, 0o644); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"check", first, second}, &stdout, &stderr)
	if err == nil {
		t.Fatal("check accepted two experiments with one name")
	}
	if !strings.Contains(stderr.String(), `experiment name "coffee" is also the name of`) {
		t.Errorf("stderr lacks the duplicate-name error:\n%s", stderr.String())
	}
}
