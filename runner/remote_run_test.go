package runner

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/personalizer/server"
	"github.com/rankloop/rankloop/results"
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

// newRewritingEndpoint serves a fresh embedded loop on loopback and passes
// every rank response body through rewrite before it is sent.
func newRewritingEndpoint(t *testing.T, rewrite func(resp map[string]any)) string {
	t.Helper()
	loop, err := local.New(local.Options{ModelExportFrequency: int64(time.Hour), RewardWait: int64(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	api := server.New(loop, server.WithKey(testKey))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/rank") {
			api.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, r)
		var resp map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Errorf("rank response: %v", err)
			return
		}
		rewrite(resp)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// newFailingEndpoint serves a fresh embedded loop on loopback and returns
// 400 to the reward of every event for which fail returns true.
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

// TestRunRemoteReusesConnections checks that the runs against one endpoint
// share their connections: the runs go one after another, so the number of
// connections stays near Concurrency, however many runs there are.
func TestRunRemoteReusesConnections(t *testing.T) {
	exp := loadText(t, strings.Replace(remoteExperiment, "%d", "6", 1))
	loop, err := local.New(local.Options{ModelExportFrequency: int64(time.Hour), RewardWait: int64(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(server.New(loop, server.WithKey(testKey)))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	report, err := Run(context.Background(), exp, Options{OutDir: t.TempDir(), Endpoint: srv.URL, Key: testKey, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !report.Completed {
		t.Fatal("run did not complete")
	}
	// The transport may dial one more connection when a request starts
	// just before another returns its connection, so the bound is loose:
	// fewer connections than runs.
	if got := opened.Load(); got >= int64(exp.Repetitions) {
		t.Errorf("%d runs opened %d connections, want fewer than one per run", exp.Repetitions, got)
	}
}

// TestRunRemoteReportsProgress checks that a run against an endpoint reports
// progress before it finishes, whatever its block of events in flight.
func TestRunRemoteReportsProgress(t *testing.T) {
	exp := loadText(t, strings.Replace(remoteExperiment, "%d", "1", 1))
	exp.Events = 2500
	endpoint := newFailingEndpoint(t, func(string) bool { return false })

	var (
		mu      sync.Mutex
		updates []Progress
	)
	record := func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		updates = append(updates, p)
	}
	// Three events in flight make blocks of 24 events, and no block ends on
	// a multiple of 2,000.
	_, err := Run(context.Background(), exp, Options{OutDir: t.TempDir(), Endpoint: endpoint, Key: testKey, Concurrency: 3, Progress: record})
	if err != nil {
		t.Fatal(err)
	}
	partial := 0
	for _, p := range updates {
		if !p.Finished && p.Done > 0 && p.Done < p.Total {
			partial++
		}
	}
	if partial == 0 {
		t.Errorf("no progress before the run finished: %+v", updates)
	}
}

// TestRunRemoteInterrupted cancels the context in the middle of a run
// against an endpoint: the run stops, counts as unfinished and leaves no
// part file.
func TestRunRemoteInterrupted(t *testing.T) {
	exp := loadText(t, strings.Replace(remoteExperiment, "%d", "2", 1))
	exp.Events = 1000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	loop, err := local.New(local.Options{ModelExportFrequency: int64(time.Hour), RewardWait: int64(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	api := server.New(loop, server.WithKey(testKey))
	var ranks atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/rank") && ranks.Add(1) == 300 {
			cancel()
		}
		api.ServeHTTP(w, r)
	}))
	defer srv.Close()

	out := t.TempDir()
	report, err := Run(ctx, exp, Options{OutDir: out, Endpoint: srv.URL, Key: testKey, Concurrency: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	if report.Completed || len(report.Runs) != 0 {
		t.Errorf("report: completed %v, %d runs finished; want false and none", report.Completed, len(report.Runs))
	}
	if got := ranks.Load(); got >= int64(exp.Events) {
		t.Errorf("the endpoint served %d ranks, want the run to stop soon after 300", got)
	}
	if _, err := os.Stat(filepath.Join(out, ".parts")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("part files left behind: %v", err)
	}
	m, err := results.ReadManifest(filepath.Join(out, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if m.Completed || m.Rows.Events != 0 {
		t.Errorf("manifest: completed %v, %d events; want false, 0", m.Completed, m.Rows.Events)
	}
}

// TestRunRemoteRankingAsReturned checks that a reward formula reads the
// ranking the endpoint returned, even when it lists fewer actions than
// were sent: here only the chosen one.
func TestRunRemoteRankingAsReturned(t *testing.T) {
	text := strings.Replace(remoteExperiment, "%d", "1", 1)
	text = strings.Replace(text, `reward: 'action.id == "a" ? 1 : 0'`, `reward: 'len(ranking) == 1 ? 1 : 0'`, 1)
	exp := loadText(t, text)

	endpoint := newRewritingEndpoint(t, func(resp map[string]any) {
		chosen := resp["rewardActionId"]
		for _, entry := range resp["ranking"].([]any) {
			if entry.(map[string]any)["id"] == chosen {
				resp["ranking"] = []any{entry}
			}
		}
	})

	out := t.TempDir()
	if _, err := Run(context.Background(), exp, Options{OutDir: out, Endpoint: endpoint, Key: testKey}); err != nil {
		t.Fatal(err)
	}
	_, rows, err := results.ReadEvents(filepath.Join(out, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Reward != 1 {
			t.Fatalf("event %d: reward %v, want 1: the formula saw more than the one ranked action", r.Event, r.Reward)
		}
	}
}

// TestRunRemoteRejectsDuplicateRanking checks that a ranking listing one
// action twice stops the run with an error naming the action.
func TestRunRemoteRejectsDuplicateRanking(t *testing.T) {
	exp := loadText(t, strings.Replace(remoteExperiment, "%d", "1", 1))

	endpoint := newRewritingEndpoint(t, func(resp map[string]any) {
		ranking := resp["ranking"].([]any)
		resp["ranking"] = append(ranking, ranking[0])
	})

	_, err := Run(context.Background(), exp, Options{OutDir: t.TempDir(), Endpoint: endpoint, Key: testKey})
	if err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("Run error = %v, want one about an action ranked twice", err)
	}
}
