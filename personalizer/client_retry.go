package personalizer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxResponseBytes bounds how much of a response body the client reads.
const maxResponseBytes = 16 << 20

// call sends one API call, retrying as described on [Client], and
// decodes the JSON body of a 2xx response into out when out is not nil.
// A 2xx status other than the documented one (201 for rank, 204 for
// reward) is accepted, so emulators that return 200 work too.
func (c *Client) call(ctx context.Context, op, method, path string, in, out any) error {
	var body []byte
	switch v := in.(type) {
	case nil:
	case json.RawMessage:
		body = v // already encoded, such as a reward
	default:
		var err error
		body, err = json.Marshal(in)
		if err != nil {
			return fmt.Errorf("personalizer: %s: encode request: %w", op, err)
		}
	}
	target := c.base + path

	for attempt := 1; ; attempt++ {
		result := c.attempt(ctx, method, target, body, out)
		if result.err == nil {
			return nil
		}

		if ctx.Err() != nil || !result.retry || attempt >= c.maxAttempts {
			return wrapAttempts(op, result.err, attempt)
		}

		wait := c.backoff(attempt)
		if result.retryAfter >= 0 {
			wait = result.retryAfter
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return wrapAttempts(op, fmt.Errorf("%w; the next retry in %v would pass the context deadline", result.err, wait), attempt)
		}
		c.logger.Warn("personalizer call failed, retrying",
			"operation", op, "attempt", attempt, "max_attempts", c.maxAttempts, "wait", wait, "err", result.err)

		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return wrapAttempts(op, fmt.Errorf("%w; gave up waiting to retry: %w", result.err, ctx.Err()), attempt)
		case <-timer.C:
		}
	}
}

// attemptResult is the outcome of one HTTP exchange.
type attemptResult struct {
	err        error
	retry      bool          // the failure is worth another attempt
	retryAfter time.Duration // from the Retry-After header; -1 when absent
}

// attempt sends the request once and reads the whole response.
func (c *Client) attempt(ctx context.Context, method, target string, body []byte, out any) attemptResult {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}

	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return attemptResult{err: err, retryAfter: -1}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "rankloop")
	if c.key != "" {
		req.Header.Set("Ocp-Apim-Subscription-Key", c.key)
	}

	resp, err := c.httpClient.Do(req)
	if err != nil {
		// No response: a refused connection, a reset or this attempt's
		// timeout. All are worth retrying unless the caller gave up.
		return attemptResult{err: err, retry: true, retryAfter: -1}
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return attemptResult{err: fmt.Errorf("read response: %w", err), retry: true, retryAfter: -1}
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return attemptResult{
			err:        decodeAPIError(resp.StatusCode, data),
			retry:      retryableStatus(resp.StatusCode),
			retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}

	if out != nil {
		if len(data) == 0 {
			return attemptResult{err: fmt.Errorf("status %d with an empty body, want JSON", resp.StatusCode), retryAfter: -1}
		}
		if err := json.Unmarshal(data, out); err != nil {
			return attemptResult{err: fmt.Errorf("decode response of status %d: %w", resp.StatusCode, err), retryAfter: -1}
		}
	}
	return attemptResult{retryAfter: -1}
}

// retryableStatus reports whether a response with this status may succeed
// when sent again: 408, 429 and 5xx except 501 (not implemented) and 505
// (HTTP version not supported), the set the Azure SDKs retry.
func retryableStatus(status int) bool {
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return true
	case status == http.StatusNotImplemented, status == http.StatusHTTPVersionNotSupported:
		return false
	}
	return status >= 500 && status <= 599
}

// backoff returns the wait before retry number attempt (1-based): a random
// value in [d/2, d] where d = baseDelay·2^(attempt-1), capped at maxDelay.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.maxDelay
	if shift := attempt - 1; shift < 62 && c.baseDelay<<shift > 0 && c.baseDelay<<shift < c.maxDelay {
		d = c.baseDelay << shift
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date. It returns -1 when the header is absent or malformed, and 0 for a
// date in the past.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return -1
	}
	if seconds, err := strconv.ParseInt(value, 10, 64); err == nil {
		if seconds < 0 {
			return -1
		}
		if seconds > int64((1<<63-1)/time.Second) {
			seconds = int64((1<<63 - 1) / time.Second)
		}
		return time.Duration(seconds) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(at.Sub(now), 0)
	}
	return -1
}

// decodeAPIError builds an [APIError] from an error response: the code and
// message of an {"error":{...}} body, of a bare {"code","message"} body,
// or else the body text.
func decodeAPIError(status int, body []byte) *APIError {
	apiErr := &APIError{StatusCode: status}

	var wrapped struct {
		Error *ErrorDetail `json:"error"`
		ErrorDetail
	}
	if err := json.Unmarshal(body, &wrapped); err == nil {
		switch {
		case wrapped.Error != nil && (wrapped.Error.Code != "" || wrapped.Error.Message != ""):
			apiErr.Code, apiErr.Message = wrapped.Error.Code, wrapped.Error.Message
			return apiErr
		case wrapped.Code != "" || wrapped.Message != "":
			apiErr.Code, apiErr.Message = wrapped.Code, wrapped.Message
			return apiErr
		}
	}

	text := strings.TrimSpace(string(body))
	const maxText = 1024
	if len(text) > maxText {
		text = text[:maxText] + "…"
	}
	if text == "" {
		text = http.StatusText(status)
	}
	apiErr.Message = text
	return apiErr
}

// wrapAttempts prefixes err with the operation and, after retries, the
// number of attempts made.
func wrapAttempts(op string, err error, attempts int) error {
	if attempts > 1 {
		return fmt.Errorf("personalizer: %s: %w (after %d attempts)", op, err, attempts)
	}
	return fmt.Errorf("personalizer: %s: %w", op, err)
}
