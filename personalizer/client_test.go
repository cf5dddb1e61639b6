package personalizer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rankloop/rankloop/personalizer"
)

// secretKey is the key the tests look for in errors, logs and String.
const secretKey = "s3cret-k3y-0123456789"

// scripted serves the responses in order, one per request, repeating the
// last one, and counts the requests.
type scripted struct {
	responses []func(w http.ResponseWriter)
	calls     atomic.Int32

	mu   sync.Mutex
	keys []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	s.keys = append(s.keys, r.Header.Get("Ocp-Apim-Subscription-Key"))
	s.mu.Unlock()

	n := int(s.calls.Add(1)) - 1
	if n >= len(s.responses) {
		n = len(s.responses) - 1
	}
	s.responses[n](w)
}

func status(code int, body string, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		if body != "" {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// textLog collects log output as text.
type textLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *textLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *textLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newScriptedClient(t *testing.T, s *scripted, opts ...personalizer.ClientOption) (*personalizer.Client, *textLog) {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	logs := &textLog{}
	opts = append([]personalizer.ClientOption{
		personalizer.WithRetries(4, time.Millisecond, 4*time.Millisecond),
		personalizer.WithLogger(slog.New(slog.NewTextHandler(logs, nil))),
	}, opts...)
	c, err := personalizer.NewClient(ts.URL+"/", secretKey, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, logs
}

func TestClientRetries(t *testing.T) {
	const created = `{"ranking":[{"id":"a","probability":1}],"eventId":"e","rewardActionId":"a"}`
	cases := []struct {
		name      string
		responses []func(http.ResponseWriter)
		wantCalls int32
		wantErr   bool
	}{
		{"503 then success", []func(http.ResponseWriter){status(503, ""), status(201, created)}, 2, false},
		{"500 twice then success", []func(http.ResponseWriter){status(500, ""), status(500, ""), status(201, created)}, 3, false},
		{"429 with Retry-After seconds", []func(http.ResponseWriter){status(429, "", "Retry-After", "0"), status(201, created)}, 2, false},
		{"429 with a past Retry-After date", []func(http.ResponseWriter){status(429, "", "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"), status(201, created)}, 2, false},
		{"408 then success", []func(http.ResponseWriter){status(408, ""), status(201, created)}, 2, false},
		{"502 every time", []func(http.ResponseWriter){status(502, "")}, 4, true},
		{"501 is not retried", []func(http.ResponseWriter){status(501, "")}, 1, true},
		{"505 is not retried", []func(http.ResponseWriter){status(505, "")}, 1, true},
		{"400 is not retried", []func(http.ResponseWriter){status(400, `{"error":{"code":"InvalidRankRequest","message":"no"}}`)}, 1, true},
		{"404 is not retried", []func(http.ResponseWriter){status(404, "")}, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{responses: tc.responses}
			c, logs := newScriptedClient(t, s)
			_, err := c.Rank(context.Background(), &personalizer.RankRequest{Actions: []personalizer.RankableAction{{ID: "a"}}})
			if (err != nil) != tc.wantErr {
				t.Errorf("Rank err = %v, want error %v", err, tc.wantErr)
			}
			if got := s.calls.Load(); got != tc.wantCalls {
				t.Errorf("requests = %d, want %d", got, tc.wantCalls)
			}
			if retries := strings.Count(logs.String(), "retrying"); retries != int(tc.wantCalls)-1 {
				t.Errorf("logged %d retries, want %d:\n%s", retries, tc.wantCalls-1, logs)
			}
			if err != nil && strings.Contains(err.Error(), secretKey) {
				t.Errorf("error %q contains the key", err)
			}
			if strings.Contains(logs.String(), secretKey) {
				t.Errorf("log contains the key:\n%s", logs)
			}
			for _, k := range s.keys {
				if k != secretKey {
					t.Errorf("request carried key %q, want the client's key", k)
				}
			}
		})
	}
}

func TestClientRetriesStopAtContextDeadline(t *testing.T) {
	// A Retry-After beyond the caller's deadline ends the call at once
	// instead of sleeping into a certain timeout.
	s := &scripted{responses: []func(http.ResponseWriter){status(503, "", "Retry-After", "3600")}}
	c, _ := newScriptedClient(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := c.Reward(ctx, "ev", 1)
	var apiErr *personalizer.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("Reward = %v, want the 503 APIError", err)
	}
	if !strings.Contains(err.Error(), "deadline") {
		t.Errorf("error %q does not say the deadline stopped the retries", err)
	}
	if got := s.calls.Load(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}

func TestClientRetriesNetworkErrors(t *testing.T) {
	// A listener that accepts and closes every connection at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })

	logs := &textLog{}
	c, err := personalizer.NewClient("http://"+ln.Addr().String(), secretKey,
		personalizer.WithRetries(3, time.Millisecond, 2*time.Millisecond),
		personalizer.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Activate(context.Background(), "ev")
	if err == nil {
		t.Fatal("Activate against a closing listener succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("error %q, want it to count 3 attempts", err)
	}
	if strings.Contains(err.Error(), secretKey) || strings.Contains(logs.String(), secretKey) {
		t.Errorf("the key leaked into the error or the log")
	}
	if got := accepted.Load(); got < 3 {
		t.Errorf("connections = %d, want at least 3", got)
	}
}

func TestClientAttemptTimeout(t *testing.T) {
	// The first attempt hangs until its timeout, and the second succeeds.
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices the client hanging up only once the body is read.
		io.Copy(io.Discard, r.Body)
		if calls.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(ts.Close)

	c, err := personalizer.NewClient(ts.URL, "", personalizer.WithTimeout(50*time.Millisecond),
		personalizer.WithRetries(2, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Reward(context.Background(), "ev", 1); err != nil {
		t.Errorf("Reward = %v, want success on the second attempt", err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("requests = %d, want 2", got)
	}
}

func TestClientCancelledContext(t *testing.T) {
	s := &scripted{responses: []func(http.ResponseWriter){status(503, "")}}
	c, _ := newScriptedClient(t, s, personalizer.WithRetries(10, time.Hour, time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s.calls.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	err := c.Reward(ctx, "ev", 1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Reward = %v, want it to wrap context.Canceled", err)
	}
}

func TestClientErrorBodies(t *testing.T) {
	cases := []struct {
		name        string
		response    func(http.ResponseWriter)
		wantCode    string
		wantMessage string
	}{
		{"API error body", status(400, `{"error":{"code":"InvalidRankRequest","message":"bad thing","innerError":{"code":"X"}}}`), "InvalidRankRequest", "bad thing"},
		{"bare code and message", status(409, `{"code":"Conflict","message":"busy"}`), "Conflict", "busy"},
		{"gateway 401", status(401, `{"error":{"code":"401","message":"Access denied"}}`), "401", "Access denied"},
		{"plain text", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(403)
			io.WriteString(w, "forbidden by proxy\n")
		}, "", "forbidden by proxy"},
		{"empty body", status(404, ""), "", "Not Found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newScriptedClient(t, &scripted{responses: []func(http.ResponseWriter){tc.response}})
			_, err := c.Policy(context.Background())
			var apiErr *personalizer.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("Policy = %v, want an APIError", err)
			}
			if apiErr.Code != tc.wantCode || apiErr.Message != tc.wantMessage {
				t.Errorf("APIError = %+v, want code %q, message %q", apiErr, tc.wantCode, tc.wantMessage)
			}
		})
	}
}

func TestClientRejectsBadResponses(t *testing.T) {
	cases := []struct {
		name     string
		response func(http.ResponseWriter)
	}{
		{"not JSON", status(201, `<html>`)},
		{"empty body", status(201, "")},
	}
	for _, tc := range cases {
		c, _ := newScriptedClient(t, &scripted{responses: []func(http.ResponseWriter){tc.response}})
		_, err := c.Rank(context.Background(), &personalizer.RankRequest{Actions: []personalizer.RankableAction{{ID: "a"}}})
		if err == nil {
			t.Errorf("%s: Rank succeeded, want an error", tc.name)
		}
	}
}

func TestClientStringHidesKey(t *testing.T) {
	c, err := personalizer.NewClient("https://user:pass@example.invalid/", secretKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, c)
		if strings.Contains(out, secretKey) || strings.Contains(out, "pass") {
			t.Errorf("Sprintf(%q) = %q, leaks the key or password", format, out)
		}
		if !strings.Contains(out, "key: set") {
			t.Errorf("Sprintf(%q) = %q, want it to say a key is set", format, out)
		}
	}
}

func TestNewClientRejectsBadSettings(t *testing.T) {
	cases := []struct {
		name     string
		endpoint string
		opts     []personalizer.ClientOption
	}{
		{"no scheme", "example.com", nil},
		{"ftp", "ftp://example.com", nil},
		{"no host", "http://", nil},
		{"query", "http://example.com/?x=1", nil},
		{"zero attempts", "http://example.com", []personalizer.ClientOption{personalizer.WithRetries(0, 0, 0)}},
		{"base above max", "http://example.com", []personalizer.ClientOption{personalizer.WithRetries(3, time.Second, time.Millisecond)}},
		{"negative timeout", "http://example.com", []personalizer.ClientOption{personalizer.WithTimeout(-time.Second)}},
	}
	for _, tc := range cases {
		if _, err := personalizer.NewClient(tc.endpoint, "", tc.opts...); err == nil {
			t.Errorf("%s: NewClient succeeded, want an error", tc.name)
		}
	}
}

func TestClientPathsAndHeaders(t *testing.T) {
	type seen struct{ method, path, contentType, key string }
	var mu sync.Mutex
	var got []seen
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.EscapedPath(), r.Header.Get("Content-Type"), r.Header.Get("Ocp-Apim-Subscription-Key")})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(ts.Close)

	// A trailing slash on the endpoint must not double the slash.
	c, err := personalizer.NewClient(ts.URL+"/", "k")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c.Reward(ctx, "ev 1/x?", 1)
	c.Activate(ctx, "ev1")
	c.ResetModel(ctx)
	c.ModelProperties(ctx)
	c.UpdatePolicy(ctx, &personalizer.PolicyContract{Arguments: "--cb_explore_adf"})

	want := []seen{
		{"POST", "/personalizer/v1.0/events/ev%201%2Fx%3F/reward", "application/json; charset=utf-8", "k"},
		{"POST", "/personalizer/v1.0/events/ev1/activate", "", "k"},
		{"DELETE", "/personalizer/v1.0/model", "", "k"},
		{"GET", "/personalizer/v1.0/model/properties", "", "k"},
		{"PUT", "/personalizer/v1.0/configurations/policy", "application/json; charset=utf-8", "k"},
	}
	if len(got) != len(want) {
		t.Fatalf("requests = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
