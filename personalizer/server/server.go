// Package server serves the Azure AI Personalizer REST API over any
// learning loop, so that the tutorial notebook, the official SDKs and
// rankloop's own HTTP client can drive the embedded loop as they drove the
// hosted service.
//
// The same handlers serve /personalizer/v1.0 and
// /personalizer/v1.1-preview.1, .2 and .3, whose single-slot operations
// share one wire form. Validation failures get 400 with the service's error
// codes, never 500, because the official SDKs retry 5xx responses for
// minutes.
package server

import (
	"crypto/subtle"
	"hash/maphash"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/rankloop/rankloop/personalizer"
)

// Backend is the loop the server exposes: ranking, rewards and activation,
// and the configuration, policy and model operations.
type Backend interface {
	personalizer.Loop
	personalizer.Admin
}

// DefaultMaxBodyBytes is the default limit on a request body: far above a
// Rank request with 50 actions and rich features, far below what would
// strain memory.
const DefaultMaxBodyBytes = 1 << 20

// Option configures the handler returned by [New].
type Option func(*server)

// WithKey makes the handler require key in the Ocp-Apim-Subscription-Key
// header of every request and respond 401 otherwise, as the service's
// gateway did. An empty key, the default, accepts every request.
func WithKey(key string) Option {
	return func(s *server) { s.key = []byte(key) }
}

// WithLogger makes the handler log every failed request (one line each,
// with method, path, status, code and cause) and every configuration
// change to logger. The default discards.
func WithLogger(logger *slog.Logger) Option {
	return func(s *server) { s.logger = logger }
}

// WithMaxBodyBytes sets the largest request body accepted, in bytes.
// Larger bodies get 413 with the code PayloadSizeExceeded. The default is
// [DefaultMaxBodyBytes].
func WithMaxBodyBytes(n int64) Option {
	return func(s *server) { s.maxBodyBytes = n }
}

// WithClock sets the clock that stamps lastConfigurationEditDate and the
// log date range. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *server) { s.now = now }
}

// server is the handler returned by New.
type server struct {
	loop         Backend
	key          []byte
	logger       *slog.Logger
	maxBodyBytes int64
	now          func() time.Time

	// configMu serializes configuration and policy changes, which each
	// take several backend calls to keep the policy's --epsilon equal to
	// the exploration percentage.
	configMu sync.Mutex

	events eventLog

	// interned holds the feature names and values of recent rank
	// requests; see decodeRankRequest.
	interned internTable

	// prepared is nil unless the loop has the embedded loop's prepared
	// path; see rankPrepared.
	prepared *preparedCache
}

// New returns a handler that serves the Personalizer REST API over loop.
// Options with invalid values (a body limit below 1) fall back to the
// defaults.
func New(loop Backend, opts ...Option) http.Handler {
	s := &server{
		loop:         loop,
		maxBodyBytes: DefaultMaxBodyBytes,
		now:          time.Now,
	}
	s.interned.seed = maphash.MakeSeed()
	if p, ok := loop.(preparedLoop); ok {
		s.prepared = &preparedCache{loop: p, seed: maphash.MakeSeed()}
	}
	for _, opt := range opts {
		opt(s)
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.maxBodyBytes < 1 {
		s.maxBodyBytes = DefaultMaxBodyBytes
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// gatewayDenied is the body the service's gateway sent for a missing or
// wrong key.
const gatewayDenied = `{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}`

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(s.key) > 0 && !s.keyMatches(r) {
		s.logger.Warn("request rejected: missing or wrong subscription key",
			"method", r.Method, "path", r.URL.EscapedPath(), "remote", r.RemoteAddr, "status", http.StatusUnauthorized)
		w.Header().Set("Content-Type", jsonContentType)
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(gatewayDenied))
		return
	}

	rt, err := parseRoute(r.URL.EscapedPath())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, personalizer.CodeBadRequest, err.Error(), nil)
		return
	}
	s.dispatch(w, r, rt)
}

// keyMatches compares the request's key with the configured one in
// constant time.
func (s *server) keyMatches(r *http.Request) bool {
	got := r.Header.Get("Ocp-Apim-Subscription-Key")
	return subtle.ConstantTimeCompare([]byte(got), s.key) == 1
}
