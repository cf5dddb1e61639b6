package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/personalizer/server"
	"github.com/rankloop/rankloop/results/testtools"
)

// lockedBuffer is an io.Writer safe for the server's goroutines and the
// test to share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// servedLoop is a running `rankloop serve`.
type servedLoop struct {
	endpoint string
	stderr   *lockedBuffer
	stop     func() error // cancels the context and returns runServe's error
}

// startServe runs runServe with args on a free loopback port and returns
// once it has printed its endpoint.
func startServe(t *testing.T, args ...string) *servedLoop {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdoutReader, stdoutWriter := io.Pipe()
	stderr := &lockedBuffer{}

	done := make(chan error, 1)
	go func() {
		err := runServe(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), stdoutWriter, stderr)
		stdoutWriter.Close()
		done <- err
	}()

	line, err := bufio.NewReader(stdoutReader).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("serve printed no endpoint: %v (returned %v)\nstderr:\n%s", err, <-done, stderr)
	}
	go io.Copy(io.Discard, stdoutReader)

	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			stopErr = <-done
		})
		return stopErr
	}
	t.Cleanup(func() { stop() })
	return &servedLoop{endpoint: strings.TrimSpace(line), stderr: stderr, stop: stop}
}

func TestServeRanksAndStops(t *testing.T) {
	const policy = "--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type mtr -q :: --interactions FFFj"
	s := startServe(t, "--model-update-every", "10", "--seed", "7", "--policy", policy)
	if !strings.HasPrefix(s.endpoint, "http://127.0.0.1:") || strings.HasSuffix(s.endpoint, ":0") {
		t.Fatalf("endpoint = %q, want http://127.0.0.1:PORT with the chosen port", s.endpoint)
	}

	client, err := personalizer.NewClient(s.endpoint, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	resp, err := client.Rank(ctx, &personalizer.RankRequest{
		ContextFeatures: []map[string]any{{"name": "Alice"}},
		Actions:         []personalizer.RankableAction{{ID: "a"}, {ID: "b"}},
	})
	if err != nil {
		t.Fatalf("Rank: %v", err)
	}
	if err := client.Reward(ctx, resp.EventID, 1); err != nil {
		t.Fatalf("Reward: %v", err)
	}
	cfg, err := client.ServiceConfiguration(ctx)
	if err != nil {
		t.Fatalf("ServiceConfiguration: %v", err)
	}
	if cfg.ModelUpdateEveryEvents != 10 {
		t.Errorf("modelUpdateEveryEvents = %d, want 10 from --model-update-every", cfg.ModelUpdateEveryEvents)
	}
	got, err := client.Policy(ctx)
	if err != nil {
		t.Fatalf("Policy: %v", err)
	}
	if got.Arguments != policy {
		t.Errorf("policy = %q, want %q from --policy", got.Arguments, policy)
	}

	if err := s.stop(); err != nil {
		t.Errorf("serve returned %v after cancel, want nil", err)
	}
	logs := s.stderr.String()
	for _, want := range []string{"serving the Personalizer API", "shutting down", "stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, logs)
		}
	}
	if _, err := http.Get(s.endpoint + "/personalizer/v1.0/configurations/policy"); err == nil {
		t.Errorf("the endpoint still responds after shutdown")
	}
}

func TestServeKeyFromEnvironment(t *testing.T) {
	const key = "env-k3y"
	t.Setenv("RANKLOOP_KEY", key)
	s := startServe(t)

	resp, err := http.Get(s.endpoint + "/personalizer/v1.0/configurations/policy")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET without a key = %d, want 401", resp.StatusCode)
	}

	client, err := personalizer.NewClient(s.endpoint, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Policy(context.Background()); err != nil {
		t.Errorf("Policy with the key: %v", err)
	}
	if err := s.stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if strings.Contains(s.stderr.String(), key) {
		t.Errorf("stderr contains the key:\n%s", s.stderr)
	}
}

func TestServeRejectsBadFlags(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		usage bool
	}{
		{"unknown flag", []string{"--port", "80"}, true},
		{"negative update count", []string{"--model-update-every", "-1"}, true},
		{"extra argument", []string{"now"}, true},
		{"invalid policy", []string{"--policy", "--cb_explore_adf --epsilon 7"}, false},
		{"address in use or invalid", []string{"--addr", "127.0.0.1:99999"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr lockedBuffer
			err := runServe(context.Background(), tc.args, &stdout, &stderr)
			if err == nil {
				t.Fatalf("runServe(%q) succeeded, want an error", tc.args)
			}
			var ue *usageError
			if errors.As(err, &ue) != tc.usage {
				t.Errorf("runServe(%q) = %v; usage error %v, want %v", tc.args, err, !tc.usage, tc.usage)
			}
			if stdout.String() != "" {
				t.Errorf("stdout = %q, want nothing before the server listens", stdout.String())
			}
		})
	}
}

func TestServeHelp(t *testing.T) {
	var stdout, stderr lockedBuffer
	if err := runServe(context.Background(), []string{"-h"}, &stdout, &stderr); err != nil {
		t.Fatalf("serve -h = %v, want nil", err)
	}
	for _, want := range []string{"--model-update-every", "RANKLOOP_KEY", "Examples:"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, stderr.String())
		}
	}
}

// jssdkResult is what tools/jssdk/drive.js prints.
type jssdkResult struct {
	Rank struct {
		Status         int                         `json:"status"`
		EventID        string                      `json:"eventId"`
		RewardActionID string                      `json:"rewardActionId"`
		Ranking        []personalizer.RankedAction `json:"ranking"`
	} `json:"rank"`
	Reward   struct{ Status int } `json:"reward"`
	Deferred struct {
		Status  int    `json:"status"`
		EventID string `json:"eventId"`
	} `json:"deferred"`
	Activate struct{ Status int } `json:"activate"`
	Invalid  struct {
		RestError  bool   `json:"restError"`
		StatusCode int    `json:"statusCode"`
		Code       string `json:"code"`
		Message    string `json:"message"`
	} `json:"invalid"`
}

func TestServeOfficialJavaScriptSDK(t *testing.T) {
	root := testtools.RepoRoot(t)
	testtools.Node(t)
	for _, pkg := range []string{"@azure/cognitiveservices-personalizer", "@azure/ms-rest-azure-js", "@azure/ms-rest-js"} {
		manifest := filepath.Join(root, "tools", "jssdk", "node_modules", filepath.FromSlash(pkg), "package.json")
		if _, err := os.Stat(manifest); err != nil {
			testtools.Skip(t, "npm package %s is not installed in tools/jssdk", pkg)
		}
	}

	const key = "jssdk-k3y"
	s := startServe(t, "--key", key)
	out := testtools.RunNode(t, "jssdk/drive.js", nil, s.endpoint, key)

	var got jssdkResult
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("drive.js printed %s: %v", out, err)
	}
	if got.Rank.Status != 201 || got.Rank.EventID != "js ev/1?" {
		t.Errorf("rank = status %d, event %q; want 201 and the sent id %q", got.Rank.Status, got.Rank.EventID, "js ev/1?")
	}
	if got.Rank.RewardActionID == "" || got.Rank.RewardActionID == "Latte" {
		t.Errorf("rewardActionId = %q, want a coffee other than the excluded Latte", got.Rank.RewardActionID)
	}
	if len(got.Rank.Ranking) != 4 {
		t.Errorf("ranking has %d actions, want all 4 with the excluded one", len(got.Rank.Ranking))
	}
	if got.Reward.Status != 204 || got.Activate.Status != 204 || got.Deferred.Status != 201 {
		t.Errorf("statuses: reward %d, deferred rank %d, activate %d; want 204, 201, 204",
			got.Reward.Status, got.Deferred.Status, got.Activate.Status)
	}
	if len(got.Deferred.EventID) != 32 {
		t.Errorf("generated event id %q, want 32 hex digits", got.Deferred.EventID)
	}
	if !got.Invalid.RestError || got.Invalid.StatusCode != 400 || got.Invalid.Code != "InvalidRankRequest" {
		t.Errorf("bad rank gave %+v, want a RestError with status 400 and code InvalidRankRequest", got.Invalid)
	}

	// Only the duplicate ids failed: the reward of the id that needs
	// URL encoding and the activation reached the loop.
	if err := s.stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if n := strings.Count(s.stderr.String(), "request failed"); n != 1 {
		t.Errorf("server logged %d failed requests, want 1 (the duplicate ids):\n%s", n, s.stderr)
	}
}

func TestServeShutdownWaitsForRequests(t *testing.T) {
	s := startServe(t, "--model-update-every", "1")
	client, err := personalizer.NewClient(s.endpoint, "", personalizer.WithRetries(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}

	// Keep requests in flight while the server shuts down: each either
	// completes or is refused as the listener closes, and none hangs.
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := client.Rank(ctx, &personalizer.RankRequest{Actions: []personalizer.RankableAction{{ID: "a"}, {ID: "b"}}}); err != nil {
					return
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.stop(); err != nil {
		t.Errorf("stop under load: %v", err)
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Errorf("clients still ran 30 s after shutdown")
	}
}

func TestServeLogsEachChangeOnce(t *testing.T) {
	s := startServe(t)
	client, err := personalizer.NewClient(s.endpoint, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg, err := client.ServiceConfiguration(ctx)
	if err != nil {
		t.Fatalf("ServiceConfiguration: %v", err)
	}
	cfg.RewardWaitTime = 5 * time.Second
	if _, err := client.UpdateServiceConfiguration(ctx, cfg); err != nil {
		t.Fatalf("UpdateServiceConfiguration: %v", err)
	}
	if _, err := client.UpdatePolicy(ctx, &personalizer.PolicyContract{Name: "p", Arguments: "--cb_explore_adf --epsilon 0.1 -q ::"}); err != nil {
		t.Fatalf("UpdatePolicy: %v", err)
	}
	if err := client.ResetModel(ctx); err != nil {
		t.Fatalf("ResetModel: %v", err)
	}
	if err := s.stop(); err != nil {
		t.Errorf("stop: %v", err)
	}

	logs := s.stderr.String()
	for _, message := range []string{"service configuration updated", "policy updated", "model reset"} {
		if n := strings.Count(logs, `msg="`+message+`"`); n != 1 {
			t.Errorf("stderr has %d %q lines, want 1:\n%s", n, message, logs)
		}
	}
	if !strings.Contains(logs, "reward_wait_time=5s") {
		t.Errorf("stderr lacks reward_wait_time=5s, the reward wait time as a duration:\n%s", logs)
	}
	if strings.Contains(logs, "5000000000") {
		t.Errorf("stderr has the reward wait time in nanoseconds:\n%s", logs)
	}
}

func TestServeShutdownEndsStalledRequest(t *testing.T) {
	if srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler)); srv.ReadTimeout <= 0 || srv.ReadTimeout >= serveShutdownTimeout {
		t.Errorf("ReadTimeout = %v, want more than 0 and less than the shutdown timeout %v", srv.ReadTimeout, serveShutdownTimeout)
	}

	// The same server with shorter timeouts, so the test takes about a
	// second and at most the shutdown timeout when it fails.
	const readTimeout, shutdownTimeout = 500 * time.Millisecond, 5 * time.Second
	stderr := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	loop, err := local.New(local.Options{ModelUpdateEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	api := server.New(loop, server.WithLogger(logger))
	entered := make(chan struct{}, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		api.ServeHTTP(w, r)
	})
	srv := newHTTPServer(handler, logger)
	srv.ReadTimeout = readTimeout

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, ln, srv, shutdownTimeout, false, io.Discard, logger) }()

	// Send the headers and the first bytes of a 1,000-byte body, then
	// stall with the connection open.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	request := "POST /personalizer/v1.0/rank HTTP/1.1\r\nHost: rankloop.test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"actions\":["
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(shutdownTimeout):
		t.Fatalf("the stalled request did not reach the handler")
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v with a client stalled mid-body, want a graceful shutdown", err)
	}
	conn.SetReadDeadline(time.Now().Add(shutdownTimeout))
	status, err := bufio.NewReader(conn).ReadString('\n')
	if !strings.HasPrefix(status, "HTTP/1.1 400 ") {
		t.Errorf("stalled request got %q (%v), want 400 after the read timeout", status, err)
	}
	if !strings.Contains(stderr.String(), "reading the request body failed") {
		t.Errorf("stderr lacks the failed body read:\n%s", stderr)
	}
}
