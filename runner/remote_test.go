package runner

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/personalizer/server"
	"github.com/rankloop/rankloop/results"
)

const testKey = "test-key-never-written"

// newEndpoint serves a fresh embedded loop over the REST API on loopback,
// with the reward wait time and key check of `rankloop serve`.
func newEndpoint(t *testing.T) string {
	t.Helper()
	loop, err := local.New(local.Options{ModelExportFrequency: int64(time.Hour), RewardWait: int64(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(loop, server.WithKey(testKey)))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRunAgainstEndpoint(t *testing.T) {
	exp, err := Load(filepath.Join("..", "experiments", "coffee-http.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	exp.Repetitions = 2
	endpoint := newEndpoint(t)

	out := t.TempDir()
	report, err := Run(context.Background(), exp, Options{OutDir: out, Endpoint: endpoint, Key: testKey, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !report.Completed {
		t.Fatal("run against the endpoint did not complete")
	}

	// The optimized policy learns over HTTP as it does embedded: the
	// untrained model serves the first 2,000 events, then the trained one.
	for _, s := range report.Summary {
		if s.FirstHalf.Median < 0.18 || s.FirstHalf.Median > 0.32 {
			t.Errorf("%s: first half %.3f, want near 0.25", s.Arm, s.FirstHalf.Median)
		}
		switch s.Arm {
		case "optimized-policy":
			if s.SecondHalf.Median < 0.75 {
				t.Errorf("optimized-policy: second half %.3f, want at least 0.75", s.SecondHalf.Median)
			}
		case "tutorial-policy":
			if s.SecondHalf.Median >= 0.69 {
				t.Errorf("tutorial-policy: second half %.3f, want under 0.69", s.SecondHalf.Median)
			}
		}
	}

	schema, rows, err := results.ReadEvents(filepath.Join(out, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := len(exp.Arms) * exp.Repetitions * exp.Events; len(rows) != want {
		t.Fatalf("rows = %d, want %d", len(rows), want)
	}
	for i, r := range rows {
		if !r.HasRankMS || r.RankMS <= 0 {
			t.Fatalf("row %d: rank_ms missing (%v, %v)", i, r.HasRankMS, r.RankMS)
		}
		if !r.HasRewardMS || r.RewardMS <= 0 {
			t.Fatalf("row %d: reward_ms missing (%v, %v)", i, r.HasRewardMS, r.RewardMS)
		}
		if r.ModelVersion != -1 {
			t.Fatalf("row %d: model_version %d, want -1 for endpoint runs", i, r.ModelVersion)
		}
	}

	// The key reaches no results file.
	files, err := filepath.Glob(filepath.Join(out, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(testKey)) {
			t.Errorf("%s contains the endpoint key", filepath.Base(f))
		}
	}

	// The embedded run of the same experiment writes the same schema.
	embedded := *exp
	embedded.Arms = nil
	for _, a := range exp.Arms {
		copied := *a
		copied.Personalizer.Backend = "local"
		copied.Personalizer.ApplySettings = false
		embedded.Arms = append(embedded.Arms, &copied)
	}
	localOut := t.TempDir()
	if _, err := Run(context.Background(), &embedded, Options{OutDir: localOut}); err != nil {
		t.Fatal(err)
	}
	localSchema, _, err := results.ReadEvents(filepath.Join(localOut, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := schema.ColumnNames(), localSchema.ColumnNames(); !equalStrings(got, want) {
		t.Errorf("endpoint columns %v differ from embedded columns %v", got, want)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRunAgainstEndpointTwice runs an experiment twice on one endpoint: the
// model reset before each run must make the second run repeat the first,
// whatever the endpoint served before.
func TestRunAgainstEndpointTwice(t *testing.T) {
	exp, err := Load(filepath.Join("..", "experiments", "coffee-http.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	exp.Events = 3000 // not a multiple of model_update_every
	exp.Repetitions = 1
	endpoint := newEndpoint(t)

	var runs [2][]RunStats
	for i := range runs {
		report, err := Run(context.Background(), exp, Options{OutDir: t.TempDir(), Endpoint: endpoint, Key: testKey})
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = report.Runs
	}
	if len(runs[0]) != len(exp.Arms) {
		t.Fatalf("runs = %d, want %d", len(runs[0]), len(exp.Arms))
	}
	for i := range runs[0] {
		if runs[0][i] != runs[1][i] {
			t.Errorf("run %d differs on the second pass: %+v, then %+v", i, runs[0][i], runs[1][i])
		}
	}
}
