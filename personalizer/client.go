package personalizer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Client is a [Loop] and an [Admin] that calls a Personalizer endpoint
// over the REST API v1.0: Azure AI Personalizer itself, `rankloop serve`,
// or any emulator of the API. It is safe for concurrent use.
//
// Failed calls are retried with exponential backoff and jitter when the
// response is 408, 429 or a 5xx other than 501 and 505, or when no response
// arrived (a network error or the per-attempt timeout), honouring a
// Retry-After header. Rank and Reward are retried like the other calls, as
// the official SDKs do, so a reward whose response was lost may reach the
// endpoint twice. Under the earliest aggregation the second one is
// ignored.
//
// The key travels only in the Ocp-Apim-Subscription-Key header; it is
// never part of an error, a log line or the String output.
type Client struct {
	endpoint    string // as given, for String
	base        string // endpoint + "/personalizer/v1.0", no trailing slash
	key         string
	httpClient  *http.Client
	timeout     time.Duration
	maxAttempts int
	baseDelay   time.Duration
	maxDelay    time.Duration
	logger      *slog.Logger
}

// ClientOption configures a [Client] in [NewClient].
type ClientOption func(*Client)

// WithHTTPClient makes the client send its requests through hc. The
// default is an [http.Client] whose transport keeps up to 100 idle
// connections to the endpoint, so concurrent runs reuse them.
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) { c.httpClient = hc }
}

// WithTimeout bounds each attempt of a call, from sending the request to
// reading the whole response; 0 means no bound beyond the caller's context.
// The default is 30 seconds.
func WithTimeout(d time.Duration) ClientOption {
	return func(c *Client) { c.timeout = d }
}

// WithRetries sets how many attempts a call makes at most (1 turns
// retries off) and the backoff: the wait before retry n is a random value
// between half and all of baseDelay·2^(n-1), capped at maxDelay, unless the
// response carried a Retry-After header. The defaults are 4 attempts, 200 ms
// and 10 s.
func WithRetries(maxAttempts int, baseDelay, maxDelay time.Duration) ClientOption {
	return func(c *Client) {
		c.maxAttempts, c.baseDelay, c.maxDelay = maxAttempts, baseDelay, maxDelay
	}
}

// WithLogger makes the client log each retry (at Warn, with the
// operation, the attempt and the cause) to logger. The default discards.
func WithLogger(logger *slog.Logger) ClientOption {
	return func(c *Client) { c.logger = logger }
}

// NewClient returns a client for the Personalizer resource at endpoint,
// such as https://NAME.cognitiveservices.azure.com/ or
// http://127.0.0.1:8080, calling /personalizer/v1.0 below it. An empty key
// sends no key header, for endpoints that do not check keys.
func NewClient(endpoint, key string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("personalizer: invalid endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("personalizer: invalid endpoint %q: want http:// or https:// and a host", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("personalizer: invalid endpoint %q: remove the query or fragment", u.Redacted())
	}

	c := &Client{
		endpoint:    u.Redacted(),
		base:        strings.TrimRight(u.String(), "/") + "/personalizer/v1.0",
		key:         key,
		timeout:     30 * time.Second,
		maxAttempts: 4,
		baseDelay:   200 * time.Millisecond,
		maxDelay:    10 * time.Second,
	}
	for _, opt := range opts {
		opt(c)
	}

	switch {
	case c.timeout < 0:
		return nil, fmt.Errorf("personalizer: invalid timeout %v: want 0 or more", c.timeout)
	case c.maxAttempts < 1:
		return nil, fmt.Errorf("personalizer: invalid retries: %d attempts, want at least 1", c.maxAttempts)
	case c.baseDelay < 0 || c.maxDelay < c.baseDelay:
		return nil, fmt.Errorf("personalizer: invalid retry backoff %v..%v: want 0 <= base <= max", c.baseDelay, c.maxDelay)
	}
	if c.httpClient == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConns = 100
		transport.MaxIdleConnsPerHost = 100
		c.httpClient = &http.Client{Transport: transport}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// String returns the endpoint and whether a key is set, never the key.
func (c *Client) String() string {
	key := "none"
	if c.key != "" {
		key = "set"
	}
	return fmt.Sprintf("personalizer.Client{endpoint: %s, key: %s}", c.endpoint, key)
}

// GoString is String, so that %#v does not print the key either.
func (c *Client) GoString() string { return c.String() }

// Rank sends POST /rank. The request is checked first as the official
// JavaScript SDK checks it: at least one action, action ids present and
// at most [MaxIDLength] characters, likewise the event id. Actions with nil
// Features are sent with an empty list, which the API requires.
func (c *Client) Rank(ctx context.Context, req *RankRequest) (*RankResponse, error) {
	if err := checkRankRequest(req); err != nil {
		return nil, fmt.Errorf("personalizer: rank: %w", err)
	}

	body := req
	for i := range req.Actions {
		if req.Actions[i].Features == nil {
			copied := *req
			copied.Actions = append([]RankableAction(nil), req.Actions...)
			for j := range copied.Actions {
				if copied.Actions[j].Features == nil {
					copied.Actions[j].Features = []map[string]any{}
				}
			}
			body = &copied
			break
		}
	}

	var resp RankResponse
	if err := c.call(ctx, "rank", http.MethodPost, "/rank", body, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Reward sends POST /events/{eventID}/reward with value, which must be
// finite.
func (c *Client) Reward(ctx context.Context, eventID string, value float64) error {
	if err := checkEventID(eventID); err != nil {
		return fmt.Errorf("personalizer: reward: %w", err)
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return fmt.Errorf("personalizer: reward: value %v is not a finite number: %w", value, ErrInvalidRequest)
	}
	path := "/events/" + url.PathEscape(eventID) + "/reward"
	body := strconv.AppendFloat(append(make([]byte, 0, 32), `{"value":`...), value, 'g', -1, 64)
	return c.call(ctx, "reward", http.MethodPost, path, json.RawMessage(append(body, '}')), nil)
}

// Activate sends POST /events/{eventID}/activate.
func (c *Client) Activate(ctx context.Context, eventID string) error {
	if err := checkEventID(eventID); err != nil {
		return fmt.Errorf("personalizer: activate: %w", err)
	}
	path := "/events/" + url.PathEscape(eventID) + "/activate"
	return c.call(ctx, "activate", http.MethodPost, path, nil, nil)
}

// ServiceConfiguration sends GET /configurations/service.
func (c *Client) ServiceConfiguration(ctx context.Context) (*ServiceConfiguration, error) {
	var cfg ServiceConfiguration
	if err := c.call(ctx, "get service configuration", http.MethodGet, "/configurations/service", nil, &cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// UpdateServiceConfiguration sends PUT /configurations/service with every
// field of cfg and returns the configuration the endpoint stored.
func (c *Client) UpdateServiceConfiguration(ctx context.Context, cfg *ServiceConfiguration) (*ServiceConfiguration, error) {
	if cfg == nil {
		return nil, fmt.Errorf("personalizer: update service configuration: nil configuration: %w", ErrInvalidRequest)
	}
	var stored ServiceConfiguration
	if err := c.call(ctx, "update service configuration", http.MethodPut, "/configurations/service", cfg, &stored); err != nil {
		return nil, err
	}
	return &stored, nil
}

// Policy sends GET /configurations/policy.
func (c *Client) Policy(ctx context.Context) (*PolicyContract, error) {
	var policy PolicyContract
	if err := c.call(ctx, "get policy", http.MethodGet, "/configurations/policy", nil, &policy); err != nil {
		return nil, err
	}
	return &policy, nil
}

// UpdatePolicy sends PUT /configurations/policy and returns the policy the
// endpoint stored, whose name is the loop's own.
func (c *Client) UpdatePolicy(ctx context.Context, policy *PolicyContract) (*PolicyContract, error) {
	if policy == nil {
		return nil, fmt.Errorf("personalizer: update policy: nil policy: %w", ErrInvalidRequest)
	}
	var stored PolicyContract
	if err := c.call(ctx, "update policy", http.MethodPut, "/configurations/policy", policy, &stored); err != nil {
		return nil, err
	}
	return &stored, nil
}

// ResetPolicy sends DELETE /configurations/policy and returns the default
// policy now in force.
func (c *Client) ResetPolicy(ctx context.Context) (*PolicyContract, error) {
	var policy PolicyContract
	if err := c.call(ctx, "reset policy", http.MethodDelete, "/configurations/policy", nil, &policy); err != nil {
		return nil, err
	}
	return &policy, nil
}

// ResetModel sends DELETE /model.
func (c *Client) ResetModel(ctx context.Context) error {
	return c.call(ctx, "reset model", http.MethodDelete, "/model", nil, nil)
}

// ModelProperties sends GET /model/properties.
func (c *Client) ModelProperties(ctx context.Context) (*ModelProperties, error) {
	var props ModelProperties
	if err := c.call(ctx, "get model properties", http.MethodGet, "/model/properties", nil, &props); err != nil {
		return nil, err
	}
	return &props, nil
}

// checkRankRequest applies the JavaScript SDK's client-side checks.
func checkRankRequest(req *RankRequest) error {
	if req == nil {
		return fmt.Errorf("nil request: %w", ErrInvalidRequest)
	}
	if len(req.Actions) == 0 {
		return fmt.Errorf("no actions: %w", ErrInvalidRequest)
	}
	for i, a := range req.Actions {
		if a.ID == "" {
			return fmt.Errorf("action %d has no id: %w", i, ErrInvalidRequest)
		}
		if n := utf8.RuneCountInString(a.ID); n > MaxIDLength {
			return fmt.Errorf("action %d: id has %d characters, more than %d: %w", i, n, MaxIDLength, ErrInvalidRequest)
		}
	}
	if n := utf8.RuneCountInString(req.EventID); n > MaxIDLength {
		return fmt.Errorf("event id has %d characters, more than %d: %w", n, MaxIDLength, ErrInvalidRequest)
	}
	return nil
}

// checkEventID checks an event id used in a path.
func checkEventID(id string) error {
	if id == "" {
		return fmt.Errorf("empty event id: %w", ErrInvalidRequest)
	}
	if n := utf8.RuneCountInString(id); n > MaxIDLength {
		return fmt.Errorf("event id has %d characters, more than %d: %w", n, MaxIDLength, ErrInvalidRequest)
	}
	return nil
}
