package local

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/rankloop/rankloop/personalizer"
)

// coffeeSim is the Personalizer tutorial's simulation: four customers, three
// weathers and three times of day drawn uniformly, four coffees, reward 1
// when the chosen coffee is the customer's preference for that weather and
// time of day.
type coffeeSim struct {
	contexts []*Context
	expected []string // preferred coffee per context
	actions  []personalizer.RankableAction
}

func loadCoffeeSim(t testing.TB) *coffeeSim {
	t.Helper()
	var prefs map[string]map[string]map[string]string
	readJSON(t, "testdata/users.json", &prefs)
	sim := &coffeeSim{}
	readJSON(t, "testdata/coffee.json", &sim.actions)

	for _, name := range []string{"Alice", "Bob", "Cathy", "Dave"} {
		for _, weather := range []string{"Sunny", "Rainy", "Snowy"} {
			for _, tod := range []string{"Morning", "Afternoon", "Evening"} {
				ctx, err := prepareContext([]map[string]any{{"name": name, "weather": weather, "timeofday": tod}})
				if err != nil {
					t.Fatal(err)
				}
				sim.contexts = append(sim.contexts, ctx)
				sim.expected = append(sim.expected, prefs[name][weather][tod])
			}
		}
	}
	return sim
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// run simulates events on a new loop, rewarding each event right after
// Rank, and returns the reward of every event.
func (sim *coffeeSim) run(t testing.TB, policy string, updateEvery int, seed uint64, events int) []float64 {
	t.Helper()
	clock := &ManualClock{}
	loop, err := New(Options{Policy: policy, ModelUpdateEvery: updateEvery, Seed: seed, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	actions, err := loop.PrepareActions(sim.actions)
	if err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	rewards := make([]float64, events)
	var d Decision
	for i := range rewards {
		clock.Set(int64(i))
		c := rng.IntN(len(sim.contexts))
		id := fmt.Sprintf("coffee-%d-%d", seed, i)
		if err := loop.RankPrepared(id, false, sim.contexts[c], actions, &d); err != nil {
			t.Fatal(err)
		}
		if actions.ID(d.Chosen) == sim.expected[c] {
			rewards[i] = 1
		}
		if err := loop.RewardPrepared(id, rewards[i]); err != nil {
			t.Fatal(err)
		}
	}
	return rewards
}

func windowMean(rewards []float64, from, to int) float64 {
	var sum float64
	for _, r := range rewards[from:to] {
		sum += r
	}
	return sum / float64(to-from)
}

// coffeePolicies are the policies the reference figures were measured with.
var coffeePolicies = map[string]string{
	"A": "--cb_explore_adf --epsilon 0.2 --power_t 0 -l 0.001 --cb_type mtr -q ::",
	"C": "--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type mtr -q ::",
	"G": "--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type mtr -q :: --interactions FFFj",
}

// meanWindows runs seeds 1..seeds and returns the mean reward over each
// window [from, to) of events, averaged over the seeds.
func (sim *coffeeSim) meanWindows(t *testing.T, policy string, updateEvery, events, seeds int, windows [][2]int) []float64 {
	t.Helper()
	means := make([]float64, len(windows))
	for seed := 1; seed <= seeds; seed++ {
		rewards := sim.run(t, policy, updateEvery, uint64(seed), events)
		for k, w := range windows {
			means[k] += windowMean(rewards, w[0], w[1]) / float64(seeds)
		}
	}
	return means
}

// Vowpal Wabbit 9.11.2 on the same simulation, mean over 10 seeds: reward
// per window when the model learns after every event, and over events
// 2001-4000 when the model is refreshed once, after 2000 events.
func TestCoffeeLearnsLikeVowpalWabbit(t *testing.T) {
	if testing.Short() {
		t.Skip("learning curves take about a second")
	}
	sim := loadCoffeeSim(t)
	const tolerance = 0.05

	everyEvent := [][2]int{{0, 2000}, {2000, 4000}, {8000, 10000}}
	for _, tc := range []struct {
		policy string
		want   []float64
	}{
		{"A", []float64{0.33, 0.43, 0.51}},
		{"C", []float64{0.52, 0.59, 0.62}},
		{"G", []float64{0.70, 0.82, 0.85}},
	} {
		got := sim.meanWindows(t, coffeePolicies[tc.policy], 1, 10000, 10, everyEvent)
		t.Logf("policy %s, learning after every event: %.3f", tc.policy, got)
		for k, w := range everyEvent {
			if math.Abs(got[k]-tc.want[k]) > tolerance {
				t.Errorf("policy %s, events %d-%d: mean reward %.3f, want %.2f ± %.2f", tc.policy, w[0]+1, w[1], got[k], tc.want[k], tolerance)
			}
		}
	}

	oneRefresh := [][2]int{{0, 2000}, {2000, 4000}}
	for _, tc := range []struct {
		policy string
		want   []float64
		floor  float64
	}{
		{"A", []float64{0.25, 0.42}, 0},
		{"C", []float64{0.25, 0.56}, 0},
		{"G", []float64{0.25, 0.83}, 0.78},
	} {
		got := sim.meanWindows(t, coffeePolicies[tc.policy], 2000, 4000, 10, oneRefresh)
		t.Logf("policy %s, one refresh after 2000 events: %.3f", tc.policy, got)
		for k, w := range oneRefresh {
			if math.Abs(got[k]-tc.want[k]) > tolerance {
				t.Errorf("policy %s, events %d-%d: mean reward %.3f, want %.2f ± %.2f", tc.policy, w[0]+1, w[1], got[k], tc.want[k], tolerance)
			}
		}
		if got[1] < tc.floor {
			t.Errorf("policy %s, events 2001-4000: mean reward %.3f, want at least %.2f", tc.policy, got[1], tc.floor)
		}
	}
}

// Every supported flag family must still learn the coffee preferences,
// which a uniform policy gets right 25% of the time.
func TestCoffeePolicyVariantsLearn(t *testing.T) {
	sim := loadCoffeeSim(t)
	const floor = 0.65
	for _, policy := range []string{
		"--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type ips -q :: --interactions FFFj",
		"--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type dr -q :: --interactions FFFj",
		"--cb_explore_adf --epsilon 0.2 --cb_type mtr -q :: --interactions FFFj",
		"--cb_explore_adf --epsilon 0.2 --power_t 0.3 -q :: --interactions FFFj",
		"--cb_explore_adf --softmax --lambda 10 --power_t 0 -q :: --interactions FFFj",
		"--cb_explore_adf --first 500 --epsilon 0.05 --power_t 0 -q :: --interactions FFFj",
		"--cb_explore_adf --epsilon 0.2 --power_t 0 -q :: --interactions FFFj --l1 1e-6 --l2 1e-6",
	} {
		got := sim.meanWindows(t, policy, 1, 4000, 3, [][2]int{{2000, 4000}})[0]
		if got < floor {
			t.Errorf("%s: mean reward %.3f over events 2001-4000, want at least %.2f", policy, got, floor)
		}
	}
}
