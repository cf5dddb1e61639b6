package local

import (
	"encoding/json"
	"fmt"
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

func TestCoffeeProbe(t *testing.T) {
	sim := loadCoffeeSim(t)
	policies := map[string]string{
		"A": "--cb_explore_adf --epsilon 0.2 --power_t 0 -l 0.001 --cb_type mtr -q ::",
		"C": "--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type mtr -q ::",
		"E": "--cb_explore_adf --epsilon 0.2 -q ::",
		"G": "--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type mtr -q :: --interactions FFFj",
	}
	for _, name := range []string{"A", "C", "E", "G"} {
		var w1, w2, w3 float64
		for seed := uint64(1); seed <= 10; seed++ {
			r := sim.run(t, policies[name], 1, seed, 10000)
			w1 += windowMean(r, 0, 2000) / 10
			w2 += windowMean(r, 2000, 4000) / 10
			w3 += windowMean(r, 8000, 10000) / 10
		}
		t.Logf("%s every event: %.3f %.3f %.3f", name, w1, w2, w3)
		var v1, v2 float64
		for seed := uint64(1); seed <= 10; seed++ {
			r := sim.run(t, policies[name], 2000, seed, 4000)
			v1 += windowMean(r, 0, 2000) / 10
			v2 += windowMean(r, 2000, 4000) / 10
		}
		t.Logf("%s every 2000: %.3f %.3f", name, v1, v2)
	}
}
