package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/runner"
)

// checkEndpoint makes sure an experiment with http arms can reach its
// endpoint before any results folder exists: a valid URL, a response to
// GET /configurations/service, and a key the endpoint accepts.
func checkEndpoint(ctx context.Context, endpoint, key string, exp *runner.Experiment) error {
	if endpoint == "" {
		return &usageError{fmt.Sprintf("%s: experiment %q has arms with backend http but no endpoint: pass --endpoint URL or set RANKLOOP_ENDPOINT", exp.File, exp.Name)}
	}
	if !strings.Contains(endpoint, "://") {
		return &usageError{fmt.Sprintf("--endpoint %q has no scheme: add http:// or https://", endpoint)}
	}
	if i := strings.Index(endpoint, "/personalizer/"); i >= 0 {
		return &usageError{fmt.Sprintf("--endpoint %q includes the API path: pass the base URL, %s", endpoint, endpoint[:i])}
	}
	client, err := personalizer.NewClient(endpoint, key, personalizer.WithRetries(1, 0, 0), personalizer.WithTimeout(10*time.Second))
	if err != nil {
		return &usageError{fmt.Sprintf("--endpoint: %v", err)}
	}
	_, err = client.ServiceConfiguration(ctx)
	endpoint = redacted(endpoint)
	var apiErr *personalizer.APIError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("endpoint %s rejected the key (status 401): pass the endpoint's key with --key or set RANKLOOP_KEY: %w", endpoint, err)
	case errors.As(err, &apiErr):
		return fmt.Errorf("endpoint %s returned an error to GET /configurations/service: check that it speaks the Personalizer REST API v1.0: %w", endpoint, err)
	default:
		return fmt.Errorf("cannot reach endpoint %s: start the endpoint (for example rankloop serve) or fix --endpoint: %w", endpoint, err)
	}
}

// checkOutFree refuses an --out folder that already holds results, so a
// run never replaces earlier results unless --force is given.
func checkOutFree(out, experiment string, several bool) error {
	dir := out
	if several {
		dir = filepath.Join(out, experiment)
	}
	// A folder whose runs all failed holds only a manifest, which a new
	// run may replace.
	events := filepath.Join(dir, runner.EventsFile)
	if _, err := os.Stat(events); err == nil {
		return fmt.Errorf("results folder %s is not empty: it contains %s; choose another --out folder, or pass --force to replace those results", dir, runner.EventsFile)
	}
	return nil
}

// redacted returns the URL with any password replaced by "xxxxx".
func redacted(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint
	}
	return u.Redacted()
}
