package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/runner"
)

// TestCheckEndpointKeepsAPIError checks that an endpoint's error response
// reaches the caller as a *personalizer.APIError with its status code.
func TestCheckEndpointKeepsAPIError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"code":"ResourceNotFound","message":"no such resource"}}`))
	}))
	defer srv.Close()

	err := checkEndpoint(context.Background(), srv.URL, "", &runner.Experiment{Name: "x", File: "x.yaml"})
	var apiErr *personalizer.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v does not wrap the endpoint's *personalizer.APIError", err)
	}
	if apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("status code = %d, want %d", apiErr.StatusCode, http.StatusNotFound)
	}
}
