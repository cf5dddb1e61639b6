package runner

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rankloop/rankloop/results"
)

// writeDeliveryExperiment writes a coffee experiment whose personalizer and rewards
// sections are given, and returns its path.
func writeDeliveryExperiment(t *testing.T, personalizer, rewards string) string {
	t.Helper()
	data, err := filepath.Abs(filepath.Join("..", "experiments", "data"))
	if err != nil {
		t.Fatal(err)
	}
	text := `name: delivery
seed: 3
events: 4000
batch_size: 100
repetitions: 1
datasets:
  preferences: ` + data + `/preferences.json
  coffees:
    file: ` + data + `/coffees.csv
    key: id
context:
  name: [Alice, Bob, Cathy, Dave]
  weather: [Sunny, Rainy, Snowy]
  timeofday: [Morning, Afternoon, Evening]
actions: coffees
expected: preferences[context.name][context.weather][context.timeofday]
reward: |
  action.id == expected ? 1 : 0
personalizer:
  policy: "--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type mtr -q :: --interactions FFFj"
` + personalizer + rewards
	path := filepath.Join(t.TempDir(), "delivery.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// statusShares runs the experiment at path and returns the share of each
// reward status and the mean reward over the last 1,000 events.
func statusShares(t *testing.T, path string) (map[string]float64, float64) {
	t.Helper()
	exp, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Run(context.Background(), exp, Options{OutDir: out}); err != nil {
		t.Fatal(err)
	}
	_, rows, err := results.ReadEvents(filepath.Join(out, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	shares := map[string]float64{}
	late := 0.0
	for i, r := range rows {
		shares[r.RewardStatus] += 1 / float64(len(rows))
		if i >= len(rows)-1000 {
			late += r.Reward / 1000
		}
	}
	return shares, late
}

func TestRunRewardDelivery(t *testing.T) {
	cases := []struct {
		name         string
		personalizer string
		rewards      string
		want         map[string]float64 // expected share of each status
		learns       bool               // the last 1,000 events beat random choice clearly
	}{
		{"on time", "", "", map[string]float64{StatusOnTime: 1}, true},
		{"late beyond the wait", "  reward_wait: 2\n", "rewards:\n  delay: 5\n", map[string]float64{StatusLate: 1}, false},
		{"delayed within the wait", "", "rewards:\n  delay: 5\n", map[string]float64{StatusOnTime: 1}, true},
		{"half lost", "", "rewards:\n  loss: 0.5\n", map[string]float64{StatusOnTime: 0.5, StatusMissing: 0.5}, true},
		{"all lost", "", "rewards:\n  loss: 1\n", map[string]float64{StatusMissing: 1}, false},
		{"deferred, never activated", "  defer_activation: true\n", "rewards:\n  activation: 0\n", map[string]float64{StatusNotActivated: 1}, false},
		{"deferred, mostly activated", "  defer_activation: true\n", "rewards:\n  activation: 0.8\n", map[string]float64{StatusOnTime: 0.8, StatusNotActivated: 0.2}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			shares, lastMean := statusShares(t, writeDeliveryExperiment(t, tc.personalizer, tc.rewards))
			for status, want := range tc.want {
				if math.Abs(shares[status]-want) > 0.04 {
					t.Errorf("share of %s = %.3f, want %.2f (all: %v)", status, shares[status], want, shares)
				}
			}
			for status, got := range shares {
				if _, ok := tc.want[status]; !ok && got > 0 {
					t.Errorf("unexpected status %s in %.3f of events", status, got)
				}
			}
			// Without learning, the model stays tied and chooses uniformly
			// among 4 coffees: about 0.25.
			if tc.learns && lastMean < 0.6 {
				t.Errorf("mean reward over the last 1,000 events = %.3f, want a learning loop (>= 0.6)", lastMean)
			}
			if !tc.learns && lastMean > 0.35 {
				t.Errorf("mean reward over the last 1,000 events = %.3f, want no learning (near 0.25)", lastMean)
			}
		})
	}
}

func TestRunRewardErrorNamesEvent(t *testing.T) {
	path := writeDeliveryExperiment(t, "", "")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "action.id == expected ? 1 : 0", "event >= 6 ? 5 : 0", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	exp, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}

	_, err = Run(context.Background(), exp, Options{OutDir: t.TempDir()})
	if err == nil {
		t.Fatal("a reward of 5 did not stop the run")
	}
	for _, want := range []string{path + ":", `arm "delivery"`, "repetition 0, event 6 (id ", "returned 5", "clamp_rewards: true"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
