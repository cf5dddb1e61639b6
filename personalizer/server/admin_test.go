package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/personalizer/local"
)

func TestPolicyResetDatesExplorationChange(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := &local.ManualClock{}
	clock.Set(start.UnixNano())
	loop, err := local.New(local.Options{
		Policy:           "--cb_explore_adf --epsilon 0.3 --cb_type mtr -q ::",
		ModelUpdateEvery: 10,
		Clock:            clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	base := startServer(t, loop) + "/personalizer/v1.0"

	getConfiguration := func() personalizer.ServiceConfiguration {
		t.Helper()
		status, _, body := send(t, "GET", base+"/configurations/service", "", nil)
		if status != http.StatusOK {
			t.Fatalf("GET service configuration = %d %s, want 200", status, body)
		}
		var cfg personalizer.ServiceConfiguration
		if err := json.Unmarshal(body, &cfg); err != nil {
			t.Fatalf("service configuration %s: %v", body, err)
		}
		return cfg
	}

	// The embedded loop's reset takes the default policy's --epsilon 0.2,
	// which changes the exploration percentage from 0.3.
	clock.Advance(int64(time.Hour))
	status, _, body := send(t, "DELETE", base+"/configurations/policy", "", nil)
	if status != http.StatusOK || !strings.Contains(string(body), "--epsilon 0.2 ") {
		t.Fatalf("DELETE policy = %d %s, want 200 and the default policy", status, body)
	}
	cfg := getConfiguration()
	if cfg.ExplorationPercentage != 0.2 {
		t.Errorf("exploration after the reset = %v, want 0.2 from the default policy", cfg.ExplorationPercentage)
	}
	if want := start.Add(time.Hour); !cfg.LastConfigurationEditDate.Equal(want) {
		t.Errorf("lastConfigurationEditDate after the reset = %v, want %v, the time of the reset", cfg.LastConfigurationEditDate, want)
	}

	// A second reset leaves the exploration percentage, and so the date.
	clock.Advance(int64(time.Hour))
	if status, _, body := send(t, "DELETE", base+"/configurations/policy", "", nil); status != http.StatusOK {
		t.Fatalf("second DELETE policy = %d %s, want 200", status, body)
	}
	cfg = getConfiguration()
	if want := start.Add(time.Hour); !cfg.LastConfigurationEditDate.Equal(want) {
		t.Errorf("lastConfigurationEditDate after a reset that kept the exploration = %v, want %v", cfg.LastConfigurationEditDate, want)
	}
}
