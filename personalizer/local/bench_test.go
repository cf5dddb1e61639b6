package local

import (
	"fmt"
	"testing"
)

// benchLoop prepares a coffee loop learning after every event, and 8192
// event ids to cycle through.
func benchLoop(b *testing.B, policy string) (*Loop, *ManualClock, *coffeeSim, *Actions, []string) {
	b.Helper()
	sim := loadCoffeeSim(b)
	clock := &ManualClock{}
	l, err := New(Options{Policy: policy, ModelUpdateEvery: 1, Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	actions, err := l.PrepareActions(sim.actions)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 8192)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", i)
	}
	return l, clock, sim, actions, ids
}

// BenchmarkRankPrepared ranks coffee events. With a reward wait time of 0
// each Rank also closes the previous event, which learns the default reward.
func BenchmarkRankPrepared(b *testing.B) {
	for _, name := range []string{"A", "G"} {
		b.Run("policy "+name, func(b *testing.B) {
			l, clock, sim, actions, ids := benchLoop(b, coffeePolicies[name])
			var d Decision
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				clock.Set(int64(i))
				if err := l.RankPrepared(ids[i&8191], false, sim.contexts[i%36], actions, &d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRankRewardPrepared ranks a coffee event and rewards it, which
// learns at once.
func BenchmarkRankRewardPrepared(b *testing.B) {
	for _, name := range []string{"A", "G"} {
		b.Run("policy "+name, func(b *testing.B) {
			l, clock, sim, actions, ids := benchLoop(b, coffeePolicies[name])
			var d Decision
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				clock.Set(int64(i))
				c := i % 36
				id := ids[i&8191]
				if err := l.RankPrepared(id, false, sim.contexts[c], actions, &d); err != nil {
					b.Fatal(err)
				}
				reward := 0.0
				if actions.ID(d.Chosen) == sim.expected[c] {
					reward = 1
				}
				if err := l.RewardPrepared(id, reward); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
