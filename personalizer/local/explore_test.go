package local

import (
	"fmt"
	"math"
	"testing"
)

func probabilitiesOf(t *testing.T, e explorer, scores []float32, explore bool) []float64 {
	t.Helper()
	order := make([]int, len(scores))
	probs := make([]float64, len(scores))
	sortByScore(scores, order)
	e.probabilities(scores, order, probs, explore)
	var sum float64
	for _, p := range probs {
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("probabilities %v sum to %v, want 1", probs, sum)
	}
	return probs
}

func assertProbabilities(t *testing.T, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-7 {
			t.Errorf("probabilities %v, want %v", got, want)
			return
		}
	}
}

func TestEpsilonGreedyProbabilities(t *testing.T) {
	e := explorer{kind: ExploreEpsilonGreedy, epsilon: 0.2}
	for _, tc := range []struct {
		name   string
		scores []float32
		want   []float64
	}{
		{"one best", []float32{-0.5, 0.1, 0, 0.3}, []float64{0.85, 0.05, 0.05, 0.05}},
		{"best last", []float32{0.1, 0.2, 0.3, -1}, []float64{0.05, 0.05, 0.05, 0.85}},
		{"all tied", []float32{0, 0, 0, 0}, []float64{0.25, 0.25, 0.25, 0.25}},
		{"two tied best", []float32{-1, 0, -1, 0}, []float64{0.45, 0.05, 0.45, 0.05}},
		{"tie within relative 1e-4", []float32{-1, -0.99995, 0, 0}, []float64{0.45, 0.45, 0.05, 0.05}},
		{"single action", []float32{3}, []float64{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertProbabilities(t, probabilitiesOf(t, e, tc.scores, true), tc.want)
		})
	}
}

func TestRoundProbabilityReadsAsDecimal(t *testing.T) {
	if got := roundProbability(0.05 + 0.8); got != 0.85 {
		t.Errorf("roundProbability(0.05+0.8) = %v, want 0.85", got)
	}
}

func TestSoftmaxProbabilities(t *testing.T) {
	e := explorer{kind: ExploreSoftmax, lambda: 1}
	got := probabilitiesOf(t, e, []float32{0, float32(math.Log(3))}, true)
	assertProbabilities(t, got, []float64{0.75, 0.25})

	// A minimum probability takes mass from the best action.
	e.epsilon = 0.6
	got = probabilitiesOf(t, e, []float32{0, 100}, true)
	assertProbabilities(t, got, []float64{0.7, 0.3})
}

func TestFirstProbabilities(t *testing.T) {
	e := explorer{kind: ExploreFirst}
	assertProbabilities(t, probabilitiesOf(t, e, []float32{1, -1, 0}, true), []float64{1.0 / 3, 1.0 / 3, 1.0 / 3})
	assertProbabilities(t, probabilitiesOf(t, e, []float32{1, -1, 0}, false), []float64{0, 1, 0})

	e.epsilon = 0.3
	assertProbabilities(t, probabilitiesOf(t, e, []float32{1, -1, 0}, false), []float64{0.1, 0.8, 0.1})
}

func TestEventDrawIsDeterministicPerID(t *testing.T) {
	if eventDraw("event-1", 7) != eventDraw("event-1", 7) {
		t.Error("the same event id and seed drew different numbers")
	}
	if eventDraw("event-1", 7) == eventDraw("event-2", 7) {
		t.Error("two event ids drew the same number")
	}
	if eventDraw("event-1", 7) == eventDraw("event-1", 8) {
		t.Error("two seeds drew the same number for one event id")
	}
}

func TestEventDrawIsUniform(t *testing.T) {
	// Deciles of 100,000 draws: each should hold 10,000 ± 5 standard
	// deviations (about 475).
	var counts [10]int
	const n = 100000
	for i := 0; i < n; i++ {
		u := eventDraw(fmt.Sprintf("%032x", i), 42)
		if u < 0 || u >= 1 {
			t.Fatalf("draw %v outside [0, 1)", u)
		}
		counts[int(u*10)]++
	}
	sd := math.Sqrt(n * 0.1 * 0.9)
	for d, c := range counts {
		if math.Abs(float64(c)-n/10) > 5*sd {
			t.Errorf("decile %d holds %d draws, want %d ± %.0f", d, c, n/10, 5*sd)
		}
	}
}

func TestSampleFollowsProbabilities(t *testing.T) {
	probs := []float64{0.05, 0.85, 0.05, 0.05}
	order := []int{1, 0, 2, 3}
	counts := make([]int, 4)
	const n = 100000
	for i := 0; i < n; i++ {
		counts[order[sample(probs, order, eventDraw(fmt.Sprint(i), 1))]]++
	}
	for i, p := range probs {
		sd := math.Sqrt(n * p * (1 - p))
		if math.Abs(float64(counts[i])-n*p) > 5*sd {
			t.Errorf("action %d chosen %d times, want %.0f ± %.0f", i, counts[i], n*p, 5*sd)
		}
	}
}
