package server

import (
	"testing"

	"github.com/rankloop/rankloop/personalizer/local"
)

func TestPolicyEpsilon(t *testing.T) {
	cases := []struct {
		args    string
		want    float64
		found   bool
		wantErr bool
	}{
		{"--cb_explore_adf --epsilon 0.2 --power_t 0", 0.2, true, false},
		{"--cb_explore_adf --epsilon=0.05", 0.05, true, false},
		{"--epsilon 0.1 --epsilon 0.3", 0.3, true, false},
		{"--cb_explore_adf -q ::", 0, false, false},
		{"--cb_explore_adf --epsilon", 0, true, true},
		{"--epsilon 1.5", 0, true, true},
		{"--epsilon NaN", 0, true, true},
		{"--epsilon -0.1", 0, true, true},
	}
	for _, tc := range cases {
		got, found, err := policyEpsilon(tc.args)
		if (err != nil) != tc.wantErr || found != tc.found || (err == nil && got != tc.want) {
			t.Errorf("policyEpsilon(%q) = %v, %v, %v; want %v, %v, error %v", tc.args, got, found, err, tc.want, tc.found, tc.wantErr)
		}
	}
}

func TestWithEpsilon(t *testing.T) {
	cases := []struct {
		args    string
		epsilon float64
		want    string
	}{
		{"--cb_explore_adf --epsilon 0.2 --power_t 0", 0.3, "--cb_explore_adf --epsilon 0.3 --power_t 0"},
		{"--cb_explore_adf --epsilon=0.2", 0.05, "--cb_explore_adf --epsilon=0.05"},
		{"--cb_explore_adf  -q ::", 0.2, "--cb_explore_adf -q :: --epsilon 0.2"},
		{"--cb_explore_adf --epsilon", 0.1, "--cb_explore_adf --epsilon 0.1"},
		{"--epsilon 0.1 -q :: --epsilon 0.4", 0, "--epsilon 0 -q :: --epsilon 0"},
	}
	for _, tc := range cases {
		if got := local.WithEpsilon(tc.args, tc.epsilon); got != tc.want {
			t.Errorf("local.WithEpsilon(%q, %v) = %q, want %q", tc.args, tc.epsilon, got, tc.want)
		}
	}
}
