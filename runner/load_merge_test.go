package runner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func TestMergePairs(t *testing.T) {
	tests := []struct {
		name      string
		base, arm string
		want      string
	}{
		{
			name: "maps merge and the arm wins",
			base: "personalizer: {policy: a, exploration: 0.2}",
			arm:  "personalizer: {exploration: 0.1, reward_wait: 3}",
			want: "personalizer: {policy: a, exploration: 0.1, reward_wait: 3}",
		},
		{
			name: "lists are replaced",
			base: "actions: [{id: a}, {id: b}]",
			arm:  "actions: [{id: c}]",
			want: "actions: [{id: c}]",
		},
		{
			name: "null removes a key",
			base: "expected: x\npersonalizer: {exploration: 0.2, policy: a}",
			arm:  "expected: ~\npersonalizer: {exploration: null}",
			want: "personalizer: {policy: a}",
		},
		{
			name: "new keys follow",
			base: "reward: \"1\"",
			arm:  "clamp_rewards: true",
			want: "reward: \"1\"\nclamp_rewards: true",
		},
		{
			name: "context variables merge, each replaced whole",
			base: "context: {name: [a, b], weather: {Sunny: 2, Rainy: 1}}",
			arm:  "context: {weather: {Snowy: 1}, time: [x]}",
			want: "context: {name: [a, b], weather: {Snowy: 1}, time: [x]}",
		},
		{
			name: "a dataset is replaced whole",
			base: "datasets: {c: {file: a.csv, key: id}, p: p.json}",
			arm:  "datasets: {c: {file: b.csv}}",
			want: "datasets: {c: {file: b.csv}, p: p.json}",
		},
		{
			name: "a delay distribution is replaced whole",
			base: "rewards: {delay: {values: [1, 2], weights: [1, 1]}, loss: 0.1}",
			arm:  "rewards: {delay: {values: [5]}}",
			want: "rewards: {delay: {values: [5]}, loss: 0.1}",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergePairs(pairsOf(t, tt.base), pairsOf(t, tt.arm), "")
			if diff := cmp.Diff(plainOf(t, pairsOf(t, tt.want)), plainOf(t, got)); diff != "" {
				t.Errorf("merged (-want +got):\n%s", diff)
			}
		})
	}
}

// pairsOf parses a YAML map into its pairs.
func pairsOf(t *testing.T, doc string) []pair {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	return mappingPairs(n.Content[0])
}

// plainOf decodes pairs into plain values, keeping their order.
func plainOf(t *testing.T, ps []pair) []any {
	t.Helper()
	var out []any
	for _, p := range ps {
		var v any
		if err := p.value.Decode(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.key.Value, v)
	}
	return out
}

func TestSuggest(t *testing.T) {
	known := []string{"events", "batch_size", "repetitions", "reward", "rewards", "seed"}
	tests := []struct {
		unknown, want string
	}{
		{"evnts", `; did you mean "events"?`},
		{"batch-size", `; did you mean "batch_size"?`},
		{"Events", `; did you mean "events"?`},
		{"repetitons", `; did you mean "repetitions"?`},
		{"rewrad", `; did you mean "reward"?`},
		{"sede", `; did you mean "seed"?`},
		{"colour", ""},
		{"size", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.unknown, known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.unknown, got, tt.want)
		}
	}
}
