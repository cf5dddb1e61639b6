package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/personalizer/server"
)

// logRecorder is a slog handler that keeps every record, so tests can
// count log lines and look for secrets in them.
type logRecorder struct {
	mu      sync.Mutex
	records []string
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.mu.Lock()
	h.records = append(h.records, b.String())
	h.mu.Unlock()
	return nil
}

// take returns the records logged so far and clears the list.
func (h *logRecorder) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.records
	h.records = nil
	return out
}

// startServer serves loop on a loopback listener and returns its URL.
func startServer(t *testing.T, loop server.Backend, opts ...server.Option) string {
	t.Helper()
	ts := httptest.NewServer(server.New(loop, opts...))
	t.Cleanup(ts.Close)
	return ts.URL
}

func newClient(t *testing.T, endpoint, key string) *personalizer.Client {
	t.Helper()
	c, err := personalizer.NewClient(endpoint, key, personalizer.WithRetries(1, 0, 0))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// send makes one raw HTTP request and returns the status, headers and body.
func send(t *testing.T, method, url, body string, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatalf("NewRequest %s %s: %v", method, url, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s %s: %v", method, url, err)
	}
	return resp.StatusCode, resp.Header, data
}

// coffeeRank is a valid rank body with two actions.
const coffeeRank = `{"contextFeatures":[{"name":"Alice","weather":"Sunny"}],
	"actions":[{"id":"Latte","features":[{"type":"hot"}]},{"id":"Cold brew","features":[{"type":"cold"}]}],
	"eventId":"ev-1"}`

func TestClientEveryOperation(t *testing.T) {
	loop := newFakeLoop()
	client := newClient(t, startServer(t, loop), "")
	ctx := context.Background()

	// Rank.
	resp, err := client.Rank(ctx, &personalizer.RankRequest{
		ContextFeatures: []map[string]any{{"name": "Alice"}},
		Actions: []personalizer.RankableAction{
			{ID: "Latte", Features: []map[string]any{{"type": "hot"}}},
			{ID: "Cold brew"}, // nil features travel as []
		},
		ExcludedActions: []string{"Latte"},
		EventID:         "ev-rank",
		DeferActivation: true,
	})
	if err != nil {
		t.Fatalf("Rank: %v", err)
	}
	if resp.EventID != "ev-rank" || resp.RewardActionID != "Cold brew" {
		t.Errorf("Rank = event %q, reward action %q, want ev-rank, Cold brew", resp.EventID, resp.RewardActionID)
	}
	if len(resp.Ranking) != 2 || resp.Ranking[0].Probability != 0 || resp.Ranking[1].Probability != 1 {
		t.Errorf("Rank ranking = %+v, want Latte 0 and Cold brew 1", resp.Ranking)
	}
	if resp.Info != nil {
		t.Errorf("Rank Info = %+v, want nil over HTTP", resp.Info)
	}
	got := loop.rankRequests()[0]
	if !got.DeferActivation || len(got.ExcludedActions) != 1 || got.Actions[1].Features == nil || got.ContextFeatures[0]["name"] != "Alice" {
		t.Errorf("loop got rank request %+v, want it as sent", got)
	}

	// Reward and Activate.
	if err := client.Reward(ctx, "ev-rank", 0.75); err != nil {
		t.Fatalf("Reward: %v", err)
	}
	if err := client.Activate(ctx, "ev-rank"); err != nil {
		t.Fatalf("Activate: %v", err)
	}
	if v := loop.rewardsFor("ev-rank"); len(v) != 1 || v[0] != 0.75 {
		t.Errorf("loop got rewards %v, want [0.75]", v)
	}
	if acts := loop.activationList(); len(acts) != 1 || acts[0] != "ev-rank" {
		t.Errorf("loop got activations %v, want [ev-rank]", loop.activationList())
	}

	// Service configuration.
	cfg, err := client.ServiceConfiguration(ctx)
	if err != nil {
		t.Fatalf("ServiceConfiguration: %v", err)
	}
	if cfg.RewardWaitTime != 10*time.Minute || cfg.LearningMode != "Online" || cfg.LogRetentionDays != 90 {
		t.Errorf("ServiceConfiguration = %+v, want the fake's defaults", cfg)
	}
	cfg.RewardWaitTime = 15 * time.Second
	cfg.ModelUpdateEveryEvents = 500
	cfg.RewardAggregation = "sum"
	stored, err := client.UpdateServiceConfiguration(ctx, cfg)
	if err != nil {
		t.Fatalf("UpdateServiceConfiguration: %v", err)
	}
	if stored.RewardWaitTime != 15*time.Second || stored.ModelUpdateEveryEvents != 500 || stored.RewardAggregation != "sum" {
		t.Errorf("UpdateServiceConfiguration = %+v, want wait 15s, every 500 events, sum", stored)
	}
	if stored.LastConfigurationEditDate.IsZero() {
		t.Errorf("UpdateServiceConfiguration left lastConfigurationEditDate zero, want it set by the server")
	}
	if loop.storedConfig().ModelUpdateEveryEvents != 500 {
		t.Errorf("loop stored modelUpdateEveryEvents %d, want 500", loop.storedConfig().ModelUpdateEveryEvents)
	}

	// Policy.
	policy, err := client.Policy(ctx)
	if err != nil {
		t.Fatalf("Policy: %v", err)
	}
	if policy.Arguments != personalizer.DefaultPolicyArguments {
		t.Errorf("Policy = %q, want the default", policy.Arguments)
	}
	updated, err := client.UpdatePolicy(ctx, &personalizer.PolicyContract{Name: "app1", Arguments: "--cb_explore_adf --epsilon 0.2 --cb_type mtr -q ::"})
	if err != nil {
		t.Fatalf("UpdatePolicy: %v", err)
	}
	if updated.Name != "0123456789abcdef0123456789abcdef" || updated.Arguments != "--cb_explore_adf --epsilon 0.2 --cb_type mtr -q ::" {
		t.Errorf("UpdatePolicy = %+v, want the loop's name and the new arguments", updated)
	}
	reset, err := client.ResetPolicy(ctx)
	if err != nil {
		t.Fatalf("ResetPolicy: %v", err)
	}
	if reset.Arguments != personalizer.DefaultPolicyArguments {
		t.Errorf("ResetPolicy = %q, want the default", reset.Arguments)
	}

	// Model.
	if err := client.ResetModel(ctx); err != nil {
		t.Fatalf("ResetModel: %v", err)
	}
	if n := loop.modelResetCount(); n != 1 {
		t.Errorf("loop model resets = %d, want 1", n)
	}
	props, err := client.ModelProperties(ctx)
	if err != nil {
		t.Fatalf("ModelProperties: %v", err)
	}
	if !props.CreationTime.IsZero() || !props.LastModifiedTime.IsZero() {
		t.Errorf("ModelProperties = %+v, want zero times before the first model", props)
	}
}

func TestStatusCodes(t *testing.T) {
	base := startServer(t, newFakeLoop()) + "/personalizer/v1.0"
	cases := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/rank", coffeeRank, http.StatusCreated},
		{"POST", "/events/ev-1/reward", `{"value":1}`, http.StatusNoContent},
		{"POST", "/events/ev-1/activate", "", http.StatusNoContent},
		{"GET", "/configurations/service", "", http.StatusOK},
		{"GET", "/configurations/policy", "", http.StatusOK},
		{"PUT", "/configurations/policy", `{"name":"x","arguments":"--cb_explore_adf --epsilon 0.2"}`, http.StatusOK},
		{"DELETE", "/configurations/policy", "", http.StatusOK},
		{"DELETE", "/model", "", http.StatusNoContent},
		{"GET", "/model/properties", "", http.StatusOK},
		{"GET", "/logs/properties", "", http.StatusOK},
		{"DELETE", "/logs", "", http.StatusNoContent},
	}
	for _, tc := range cases {
		status, header, body := send(t, tc.method, base+tc.path, tc.body, nil)
		if status != tc.want {
			t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, status, body, tc.want)
			continue
		}
		if status == http.StatusNoContent {
			if len(body) != 0 {
				t.Errorf("%s %s: 204 with body %q, want none", tc.method, tc.path, body)
			}
			continue
		}
		if ct := header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s %s: Content-Type %q, want application/json; charset=utf-8", tc.method, tc.path, ct)
		}
		if !json.Valid(body) {
			t.Errorf("%s %s: body %q is not JSON", tc.method, tc.path, body)
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	logs := &logRecorder{}
	endpoint := startServer(t, newFakeLoop(), server.WithLogger(slog.New(logs)), server.WithMaxBodyBytes(4096))
	base := endpoint + "/personalizer/v1.0"
	long := strings.Repeat("x", 257)

	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"rank not JSON", "POST", "/rank", `{"actions":`, 400, "InvalidRankRequest"},
		{"rank empty body", "POST", "/rank", ``, 400, "InvalidRankRequest"},
		{"rank JSON array", "POST", "/rank", `[1,2]`, 400, "InvalidRankRequest"},
		{"rank trailing data", "POST", "/rank", `{"actions":[{"id":"a","features":[]}]} {}`, 400, "InvalidRankRequest"},
		{"rank no actions", "POST", "/rank", `{"contextFeatures":[{"a":"b"}]}`, 400, "InvalidRankRequest"},
		{"rank empty actions", "POST", "/rank", `{"actions":[]}`, 400, "InvalidRankRequest"},
		{"rank action without id", "POST", "/rank", `{"actions":[{"features":[]}]}`, 400, "InvalidRankRequest"},
		{"rank action without features", "POST", "/rank", `{"actions":[{"id":"a"}]}`, 400, "InvalidRankRequest"},
		{"rank duplicate action ids", "POST", "/rank", `{"actions":[{"id":"a","features":[]},{"id":"a","features":[]}]}`, 400, "InvalidRankRequest"},
		{"rank every action excluded", "POST", "/rank", `{"actions":[{"id":"a","features":[]}],"excludedActions":["a"]}`, 400, "InvalidRankRequest"},
		{"rank action id too long", "POST", "/rank", `{"actions":[{"id":"` + long + `","features":[]}]}`, 400, "InvalidRankRequest"},
		{"rank event id too long", "POST", "/rank", `{"actions":[{"id":"a","features":[]}],"eventId":"` + long + `"}`, 400, "InvalidRankRequest"},
		{"rank id is a number", "POST", "/rank", `{"actions":[{"id":7,"features":[]}]}`, 400, "InvalidRankRequest"},
		{"rank feature is a string", "POST", "/rank", `{"actions":[{"id":"a","features":["hot"]}]}`, 400, "InvalidRankRequest"},
		{"rank null context object", "POST", "/rank", `{"contextFeatures":[null],"actions":[{"id":"a","features":[]}]}`, 400, "InvalidRankRequest"},
		{"rank string array feature", "POST", "/rank", `{"actions":[{"id":"a","features":[{"tags":["x","y"]}]}]}`, 400, "InvalidRankRequest"},
		{"rank body too large", "POST", "/rank", `{"actions":[{"id":"a","features":[{"pad":"` + strings.Repeat("p", 5000) + `"}]}]}`, 413, "PayloadSizeExceeded"},
		{"reward not JSON", "POST", "/events/ev/reward", `value=1`, 400, "InvalidRewardRequest"},
		{"reward empty body", "POST", "/events/ev/reward", ``, 400, "InvalidRewardRequest"},
		{"reward without value", "POST", "/events/ev/reward", `{}`, 400, "InvalidRewardRequest"},
		{"reward null value", "POST", "/events/ev/reward", `{"value":null}`, 400, "InvalidRewardRequest"},
		{"reward string value", "POST", "/events/ev/reward", `{"value":"1"}`, 400, "InvalidRewardRequest"},
		{"reward boolean value", "POST", "/events/ev/reward", `{"value":true}`, 400, "InvalidRewardRequest"},
		{"reward value overflows float64", "POST", "/events/ev/reward", `{"value":1e400}`, 400, "InvalidRewardRequest"},
		{"reward event id too long", "POST", "/events/" + long + "/reward", `{"value":1}`, 400, "InvalidRewardRequest"},
		{"activate event id too long", "POST", "/events/" + long + "/activate", ``, 400, "InvalidEventIdToActivate"},
		{"service missing required fields", "PUT", "/configurations/service", `{"defaultReward":0}`, 400, "InvalidServiceConfiguration"},
		{"service bad duration", "PUT", "/configurations/service", `{"rewardWaitTime":"ten minutes","defaultReward":0,"rewardAggregation":"earliest","explorationPercentage":0.2,"modelExportFrequency":"PT1M","logRetentionDays":90}`, 400, "InvalidServiceConfiguration"},
		{"service exploration above 1", "PUT", "/configurations/service", `{"rewardWaitTime":"PT10M","defaultReward":0,"rewardAggregation":"earliest","explorationPercentage":1.5,"modelExportFrequency":"PT1M","logRetentionDays":90}`, 400, "InvalidServiceConfiguration"},
		{"service unknown aggregation", "PUT", "/configurations/service", `{"rewardWaitTime":"PT10M","defaultReward":0,"rewardAggregation":"latest","explorationPercentage":0.2,"modelExportFrequency":"PT1M","logRetentionDays":90}`, 400, "InvalidServiceConfiguration"},
		{"service negative event count", "PUT", "/configurations/service", `{"rewardWaitTime":"PT10M","defaultReward":0,"rewardAggregation":"earliest","explorationPercentage":0.2,"modelExportFrequency":"PT1M","logRetentionDays":90,"modelUpdateEveryEvents":-5}`, 400, "InvalidServiceConfiguration"},
		{"policy not JSON", "PUT", "/configurations/policy", `--epsilon 0.2`, 400, "InvalidPolicyContract"},
		{"policy without arguments", "PUT", "/configurations/policy", `{"name":"p"}`, 400, "InvalidPolicyContract"},
		{"policy epsilon not a number", "PUT", "/configurations/policy", `{"name":"p","arguments":"--cb_explore_adf --epsilon lots"}`, 400, "InvalidPolicyConfiguration"},
		{"policy rejected by the loop", "PUT", "/configurations/policy", `{"name":"p","arguments":"--cb_explore_adf --bogus"}`, 400, "InvalidPolicyConfiguration"},
		{"unknown route", "GET", "/evaluations", ``, 404, "ResourceNotFound"},
		{"unknown version", "POST", "/../v9.9/rank", coffeeRank, 404, "ResourceNotFound"},
		{"rank with GET", "GET", "/rank", ``, 405, "BadRequest"},
		{"reward with PUT", "PUT", "/events/ev/reward", `{"value":1}`, 405, "BadRequest"},
		{"model export", "GET", "/model", ``, 405, "BadRequest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, header, body := send(t, tc.method, base+tc.path, tc.body, nil)
			if status != tc.status {
				t.Errorf("status = %d, want %d (body %s)", status, tc.status, body)
			}
			if ct := header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q, want application/json; charset=utf-8", ct)
			}
			var e personalizer.ErrorResponse
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body %q is not JSON: %v", body, err)
			}
			if e.Error.Code != tc.code {
				t.Errorf("code = %q, want %q", e.Error.Code, tc.code)
			}
			if e.Error.Message == "" {
				t.Errorf("message is empty, want the reason")
			}
			if lines := logs.take(); len(lines) != 1 {
				t.Errorf("logged %d lines, want 1: %q", len(lines), lines)
			}

			// The server keeps serving after every bad request.
			status, _, body = send(t, "POST", base+"/rank", coffeeRank, nil)
			if status != http.StatusCreated {
				t.Errorf("rank after the bad request = %d %s, want 201", status, body)
			}
		})
	}
}

func TestMethodNotAllowedListsMethods(t *testing.T) {
	base := startServer(t, newFakeLoop()) + "/personalizer/v1.0"
	status, header, _ := send(t, "POST", base+"/configurations/policy", `{}`, nil)
	if status != http.StatusMethodNotAllowed {
		t.Fatalf("status = %d, want 405", status)
	}
	if allow := header.Get("Allow"); allow != "GET, PUT, DELETE" {
		t.Errorf("Allow = %q, want GET, PUT, DELETE", allow)
	}
}

func TestHeadServesGetRoutes(t *testing.T) {
	base := startServer(t, newFakeLoop()) + "/personalizer/v1.0"
	for _, path := range []string{"/configurations/service", "/configurations/policy", "/model/properties", "/logs/properties"} {
		_, getHeader, getBody := send(t, "GET", base+path, "", nil)
		status, header, body := send(t, "HEAD", base+path, "", nil)
		if status != http.StatusOK {
			t.Errorf("HEAD %s = %d, want 200", path, status)
		}
		if len(body) != 0 {
			t.Errorf("HEAD %s: body %q, want none", path, body)
		}
		if got, want := header.Get("Content-Type"), getHeader.Get("Content-Type"); got != want {
			t.Errorf("HEAD %s: Content-Type %q, want %q as for GET", path, got, want)
		}
		if got, want := header.Get("Content-Length"), strconv.Itoa(len(getBody)); got != want {
			t.Errorf("HEAD %s: Content-Length %q, want %s, the length of the GET body", path, got, want)
		}
	}

	// An operation without GET rejects HEAD as well.
	status, header, body := send(t, "HEAD", base+"/rank", "", nil)
	if status != http.StatusMethodNotAllowed {
		t.Errorf("HEAD /rank = %d, want 405", status)
	}
	if allow := header.Get("Allow"); allow != "POST" {
		t.Errorf("HEAD /rank: Allow = %q, want POST", allow)
	}
	if len(body) != 0 {
		t.Errorf("HEAD /rank: body %q, want none", body)
	}
}

func TestEncodedEventIDs(t *testing.T) {
	loop := newFakeLoop()
	endpoint := startServer(t, loop)
	client := newClient(t, endpoint, "")

	ids := []string{"ev 1/x?", "a%2Fb", "100%", "ünïcødé#frag", "semi;colon"}
	for _, id := range ids {
		if err := client.Reward(context.Background(), id, 1); err != nil {
			t.Errorf("Reward(%q): %v", id, err)
		}
		if err := client.Activate(context.Background(), id); err != nil {
			t.Errorf("Activate(%q): %v", id, err)
		}
	}
	for _, id := range ids {
		if len(loop.rewardsFor(id)) != 1 {
			t.Errorf("loop got rewards %v for %q, want one", loop.rewardsFor(id), id)
		}
	}

	// The JavaScript SDK's encodeURIComponent form, sent raw.
	status, _, body := send(t, "POST", endpoint+"/personalizer/v1.0/events/ev%201%2Fx%3F/activate", "", nil)
	if status != http.StatusNoContent {
		t.Fatalf("activate with an encoded id = %d %s, want 204", status, body)
	}
	acts := loop.activationList()
	if last := acts[len(acts)-1]; last != "ev 1/x?" {
		t.Errorf("loop got activation %q, want %q", last, "ev 1/x?")
	}
}

func TestRepeatedSlashes(t *testing.T) {
	loop := newFakeLoop()
	endpoint := startServer(t, loop)
	paths := []string{
		"//personalizer/v1.0/rank",
		"/personalizer//v1.0///rank",
		"/personalizer/v1.0/rank/",
	}
	for _, p := range paths {
		status, _, body := send(t, "POST", endpoint+p, coffeeRank, nil)
		if status != http.StatusCreated {
			t.Errorf("POST %s = %d %s, want 201", p, status, body)
		}
	}
	status, _, body := send(t, "POST", endpoint+"//personalizer//v1.0//events//ev-9//reward", `{"value":0.5}`, nil)
	if status != http.StatusNoContent || len(loop.rewardsFor("ev-9")) != 1 {
		t.Errorf("reward through repeated slashes = %d %s, rewards %v; want 204 and one reward", status, body, loop.rewardsFor("ev-9"))
	}
}

func TestPreviewVersions(t *testing.T) {
	endpoint := startServer(t, newFakeLoop())
	for _, v := range []string{"v1.0", "v1.1-preview.1", "v1.1-preview.2", "v1.1-preview.3"} {
		status, _, body := send(t, "POST", endpoint+"/personalizer/"+v+"/rank", coffeeRank, nil)
		if status != http.StatusCreated {
			t.Errorf("rank on %s = %d %s, want 201", v, status, body)
		}
		status, _, body = send(t, "GET", endpoint+"/personalizer/"+v+"/configurations/service", "", nil)
		if status != http.StatusOK {
			t.Errorf("service configuration on %s = %d %s, want 200", v, status, body)
		}
	}
}

func TestRankGeneratesEventID(t *testing.T) {
	base := startServer(t, newFakeLoop()) + "/personalizer/v1.0"
	checkGeneratedEventIDs(t, base, `{"actions":[{"id":"a","features":[]}],"eventId":""}`)
}

// checkGeneratedEventIDs posts rank, a rank request without an event id,
// to base three times, and checks that each response carries a new event
// id of 32 lower-case hex digits.
func checkGeneratedEventIDs(t *testing.T, base, rank string) {
	t.Helper()
	seen := map[string]bool{}
	for range 3 {
		status, _, body := send(t, "POST", base+"/rank", rank, nil)
		if status != http.StatusCreated {
			t.Fatalf("rank = %d %s, want 201", status, body)
		}
		var resp personalizer.RankResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Fatalf("rank response %s: %v", body, err)
		}
		if len(resp.EventID) != 32 || strings.Trim(resp.EventID, "0123456789abcdef") != "" {
			t.Errorf("generated event id %q, want 32 lower-case hex digits", resp.EventID)
		}
		if seen[resp.EventID] {
			t.Errorf("event id %q generated twice", resp.EventID)
		}
		seen[resp.EventID] = true
	}
}

func TestRewardAcceptsAnyFiniteValue(t *testing.T) {
	loop := newFakeLoop()
	base := startServer(t, loop) + "/personalizer/v1.0"
	for _, v := range []string{"0", "1", "10", "-3.5", "1e300", "-0"} {
		status, _, body := send(t, "POST", base+"/events/ev-v/reward", `{"value":`+v+`}`, nil)
		if status != http.StatusNoContent {
			t.Errorf("reward %s = %d %s, want 204", v, status, body)
		}
	}
	if got := loop.rewardsFor("ev-v"); len(got) != 6 || got[2] != 10 || got[4] != 1e300 {
		t.Errorf("loop got rewards %v, want the six values", got)
	}
}

func TestSubscriptionKey(t *testing.T) {
	const key = "k3y-for-tests"
	logs := &logRecorder{}
	endpoint := startServer(t, newFakeLoop(), server.WithKey(key), server.WithLogger(slog.New(logs)))
	base := endpoint + "/personalizer/v1.0"

	cases := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"missing key", nil, http.StatusUnauthorized},
		{"wrong key", http.Header{"Ocp-Apim-Subscription-Key": {"wrong"}}, http.StatusUnauthorized},
		{"right key", http.Header{"Ocp-Apim-Subscription-Key": {key}}, http.StatusCreated},
	}
	for _, tc := range cases {
		status, header, body := send(t, "POST", base+"/rank", coffeeRank, tc.header)
		if status != tc.want {
			t.Errorf("%s: status = %d %s, want %d", tc.name, status, body, tc.want)
			continue
		}
		if status != http.StatusUnauthorized {
			continue
		}
		var e personalizer.ErrorResponse
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "401" || !strings.Contains(e.Error.Message, "invalid subscription key") {
			t.Errorf("%s: body %s, want the gateway's 401 error", tc.name, body)
		}
		if ct := header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q, want application/json; charset=utf-8", tc.name, ct)
		}
	}

	// The client sends the key; a client without it gets a typed 401.
	if _, err := newClient(t, endpoint, key).Policy(context.Background()); err != nil {
		t.Errorf("Policy with the key: %v", err)
	}
	_, err := newClient(t, endpoint, "").Policy(context.Background())
	var apiErr *personalizer.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Code != "401" {
		t.Errorf("Policy without the key: %v, want an APIError with status 401 and code 401", err)
	}

	for _, line := range logs.take() {
		if strings.Contains(line, key) {
			t.Errorf("log line %q contains the key", line)
		}
	}
}

func TestServiceConfigurationPut(t *testing.T) {
	loop := newFakeLoop()
	loop.config.LogMirrorSasURI = "https://mirror.example/container?sig=secret" // before the server starts
	edit := time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC)
	base := startServer(t, loop, server.WithClock(func() time.Time { return edit })) + "/personalizer/v1.0"

	// The .NET TimeSpan form in, optional fields left out.
	put := `{"rewardWaitTime":"00:00:15","defaultReward":-0.5,"rewardAggregation":"Average",
		"explorationPercentage":0.3,"modelExportFrequency":"PT15S","logRetentionDays":-1,
		"lastConfigurationEditDate":"2001-01-01T00:00:00Z"}`
	status, _, body := send(t, "PUT", base+"/configurations/service", put, nil)
	if status != http.StatusOK {
		t.Fatalf("PUT = %d %s, want 200", status, body)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("PUT response %s: %v", body, err)
	}
	want := map[string]any{
		"rewardWaitTime":            "PT15S",
		"defaultReward":             -0.5,
		"rewardAggregation":         "average",
		"explorationPercentage":     0.3,
		"modelExportFrequency":      "PT15S",
		"logRetentionDays":          float64(-1),
		"learningMode":              "Online",                                      // left out: kept
		"logMirrorSasUri":           "https://mirror.example/container?sig=secret", // left out: kept
		"lastConfigurationEditDate": "2026-12-04T10:30:00Z",                        // set by the server
		"modelUpdateEveryEvents":    float64(0),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("PUT response %s = %#v, want %#v", k, got[k], v)
		}
	}

	// Exploration flows into the policy's --epsilon.
	status, _, body = send(t, "GET", base+"/configurations/policy", "", nil)
	if status != http.StatusOK || !strings.Contains(string(body), "--epsilon 0.3 ") {
		t.Errorf("policy after exploration 0.3 = %d %s, want --epsilon 0.3", status, body)
	}

	// And --epsilon flows back into exploration.
	status, _, body = send(t, "PUT", base+"/configurations/policy", `{"name":"p","arguments":"--cb_explore_adf --epsilon=0.05 -q ::"}`, nil)
	if status != http.StatusOK {
		t.Fatalf("PUT policy = %d %s, want 200", status, body)
	}
	if e := loop.storedConfig().ExplorationPercentage; e != 0.05 {
		t.Errorf("exploration after --epsilon=0.05 = %v, want 0.05", e)
	}

	// Arguments without --epsilon get the exploration percentage.
	status, _, body = send(t, "PUT", base+"/configurations/policy", `{"name":"p","arguments":"--cb_explore_adf -q ::"}`, nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"--cb_explore_adf -q :: --epsilon 0.05"`) {
		t.Errorf("PUT policy without --epsilon = %d %s, want --epsilon 0.05 appended", status, body)
	}

	// A reset keeps the exploration percentage.
	status, _, body = send(t, "DELETE", base+"/configurations/policy", "", nil)
	if status != http.StatusOK || !strings.Contains(string(body), "--epsilon 0.05 ") {
		t.Errorf("DELETE policy = %d %s, want the default policy with --epsilon 0.05", status, body)
	}
}

func TestModelPropertiesZeroTime(t *testing.T) {
	loop := newFakeLoop()
	base := startServer(t, loop) + "/personalizer/v1.0"
	_, _, body := send(t, "GET", base+"/model/properties", "", nil)
	want := `{"creationTime":"0001-01-01T00:00:00+00:00","lastModifiedTime":"0001-01-01T00:00:00+00:00"}`
	if string(body) != want {
		t.Errorf("model properties = %s, want %s", body, want)
	}

	loop.setModel(personalizer.ModelProperties{
		CreationTime:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		LastModifiedTime: time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC),
	})
	_, _, body = send(t, "GET", base+"/model/properties", "", nil)
	want = `{"creationTime":"2026-01-02T03:04:05Z","lastModifiedTime":"2026-01-02T03:04:06Z"}`
	if string(body) != want {
		t.Errorf("model properties = %s, want %s", body, want)
	}
}

func TestLogsProperties(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	base := startServer(t, newFakeLoop(), server.WithClock(func() time.Time { return now })) + "/personalizer/v1.0"
	empty := `{"dateRange":{"from":"0001-01-01T00:00:00+00:00","to":"0001-01-01T00:00:00+00:00"}}`

	if _, _, body := send(t, "GET", base+"/logs/properties", "", nil); string(body) != empty {
		t.Errorf("logs before any event = %s, want %s", body, empty)
	}
	send(t, "POST", base+"/rank", coffeeRank, nil)
	now = now.Add(time.Minute)
	send(t, "POST", base+"/rank", coffeeRank, nil)
	want := `{"dateRange":{"from":"2026-05-06T07:08:09Z","to":"2026-05-06T07:09:09Z"}}`
	if _, _, body := send(t, "GET", base+"/logs/properties", "", nil); string(body) != want {
		t.Errorf("logs after two events = %s, want %s", body, want)
	}
	send(t, "DELETE", base+"/logs", "", nil)
	if _, _, body := send(t, "GET", base+"/logs/properties", "", nil); string(body) != empty {
		t.Errorf("logs after delete = %s, want %s", body, empty)
	}
}

func TestBackendErrors(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"plain error", errBackendDown, 500, "InternalServerError"},
		{"API error from a remote loop", &personalizer.APIError{StatusCode: 429, Code: "TooManyRequests", Message: "slow down"}, 429, "TooManyRequests"},
		{"validation error", &policyError{msg: "bad policy"}, 400, "InvalidPolicyConfiguration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			loop := newFakeLoop()
			logs := &logRecorder{}
			base := startServer(t, loop, server.WithLogger(slog.New(logs))) + "/personalizer/v1.0"
			loop.setFailure(tc.err)

			status, header, body := send(t, "POST", base+"/rank", coffeeRank, nil)
			if status != tc.status {
				t.Errorf("status = %d %s, want %d", status, body, tc.status)
			}
			var e personalizer.ErrorResponse
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tc.code {
				t.Errorf("body %s, want code %s", body, tc.code)
			}
			if ct := header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q, want application/json; charset=utf-8", ct)
			}
			if lines := logs.take(); len(lines) != 1 || !strings.Contains(lines[0], tc.err.Error()) {
				t.Errorf("logged %q, want one line with the cause", lines)
			}
		})
	}
}

func TestClientChecksBeforeSending(t *testing.T) {
	loop := newFakeLoop()
	client := newClient(t, startServer(t, loop), "")
	ctx := context.Background()
	long := strings.Repeat("y", 257)

	cases := []struct {
		name string
		call func() error
	}{
		{"rank without actions", func() error { _, err := client.Rank(ctx, &personalizer.RankRequest{}); return err }},
		{"rank with a long action id", func() error {
			_, err := client.Rank(ctx, &personalizer.RankRequest{Actions: []personalizer.RankableAction{{ID: long}}})
			return err
		}},
		{"rank with a long event id", func() error {
			_, err := client.Rank(ctx, &personalizer.RankRequest{EventID: long, Actions: []personalizer.RankableAction{{ID: "a"}}})
			return err
		}},
		{"reward NaN", func() error { return client.Reward(ctx, "ev", math.NaN()) }},
		{"reward +Inf", func() error { return client.Reward(ctx, "ev", math.Inf(1)) }},
		{"reward empty event id", func() error { return client.Reward(ctx, "", 1) }},
		{"activate long event id", func() error { return client.Activate(ctx, long) }},
	}
	for _, tc := range cases {
		err := tc.call()
		if !errors.Is(err, personalizer.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest", tc.name, err)
		}
	}
	if r, w, a := len(loop.rankRequests()), loop.rewardCount(), len(loop.activationList()); r+w+a != 0 {
		t.Errorf("requests reached the loop: %d ranks, %d rewarded events, %d activations; want none", r, w, a)
	}
}

func TestClientGetsTypedRankError(t *testing.T) {
	client := newClient(t, startServer(t, newFakeLoop()), "")
	_, err := client.Rank(context.Background(), &personalizer.RankRequest{
		Actions: []personalizer.RankableAction{{ID: "a"}, {ID: "a"}},
	})
	var apiErr *personalizer.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("Rank with duplicate ids: %v, want an APIError", err)
	}
	if apiErr.StatusCode != 400 || apiErr.Code != "InvalidRankRequest" || !strings.Contains(apiErr.Message, `"a" appears more than once`) {
		t.Errorf("APIError = %+v, want 400 InvalidRankRequest about the duplicate", apiErr)
	}
}
