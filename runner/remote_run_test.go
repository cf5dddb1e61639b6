package runner

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/personalizer/server"
)

// remoteExperiment is a small experiment against an endpoint whose rewards
// arrive five events after their Rank, so the last five are sent after the
// last Rank.
const remoteExperiment = `name: remote
seed: 5
events: 100
batch_size: 50
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
  backend: http
rewards:
  delay: 5
`

// newFailingEndpoint serves a fresh embedded loop on loopback and answers
// 400 to the reward of every event that fail reports true for.
func newFailingEndpoint(t *testing.T, fail func(eventID string) bool) string {
	t.Helper()
	loop, err := local.New(local.Options{ModelExportFrequency: int64(time.Hour), RewardWait: int64(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	api := server.New(loop, server.WithKey(testKey))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/personalizer/v1.0/events/")
		if id, isReward := strings.CutSuffix(rest, "/reward"); ok && isReward && fail(id) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":{"code":"BadRequest","message":"reward rejected by the test"}}`))
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestRunRemoteLateRewardFails checks that a reward sent after the last
// Rank of a run, which the endpoint rejects, fails the run like any other
// rejected reward.
func TestRunRemoteLateRewardFails(t *testing.T) {
	exp := loadText(t, strings.Replace(remoteExperiment, "%d", "1", 1))
	last := EventID(exp.Seed, 0, exp.Events-1)
	endpoint := newFailingEndpoint(t, func(id string) bool { return id == last })

	out := t.TempDir()
	report, err := Run(context.Background(), exp, Options{OutDir: out, Endpoint: endpoint, Key: testKey})
	if err == nil {
		t.Fatal("Run returned no error although the endpoint rejected the reward of the last event")
	}
	if !strings.Contains(err.Error(), last) {
		t.Errorf("error %q does not name the event %s", err, last)
	}
	if report.Completed {
		t.Error("report says the run completed")
	}
	if len(report.Runs) != 0 {
		t.Errorf("report has %d finished runs, want 0", len(report.Runs))
	}
	if _, err := os.Stat(filepath.Join(out, ".parts", "events-0000-0000.parquet")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed run's part file is still there: %v", err)
	}
}
