package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestParityWithinTolerance runs the parity experiments, as make parity
// does, and fails when a window's mean leaves Vowpal Wabbit's band.
func TestParityWithinTolerance(t *testing.T) {
	if testing.Short() {
		t.Skip("parity runs 420,000 events; skipped in -short mode")
	}
	var stdout, stderr bytes.Buffer
	dir := filepath.Join("..", "..", "experiments", "parity")
	if err := run(context.Background(), []string{"-dir", dir}, &stdout, &stderr); err != nil {
		t.Fatalf("parity: %v\n%s", err, stdout.String())
	}
	for _, arm := range []string{"A", "C", "G"} {
		if !strings.Contains(stdout.String(), "parity.yaml          "+arm) {
			t.Errorf("table has no row for arm %s:\n%s", arm, stdout.String())
		}
	}
}

func TestWindowMean(t *testing.T) {
	means := []float64{0.1, 0.3, 0.5, 0.7}
	if got := windowMean(means, 100, window{101, 300}); got != 0.4 {
		t.Errorf("mean over events 101-300 = %v, want 0.4", got)
	}
	if got := windowMean(means, 100, window{1, 50}); !math.IsNaN(got) {
		t.Errorf("mean over a window no batch fits = %v, want NaN", got)
	}
}
