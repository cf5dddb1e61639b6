package runner

import (
	"context"
	"math/rand/v2"
	"testing"
)

func TestAccumulatorCrossing(t *testing.T) {
	cases := []struct {
		name    string
		rewards func(i int) float64
		want    int
	}{
		// 75 rewards of 1 in every 100: the average is exactly 0.75, which
		// does not exceed the threshold, however the running sum rounds.
		{"exactly at threshold", func(i int) float64 {
			if i%4 == 3 {
				return 0
			}
			return 1
		}, -1},
		// Rewards of 0.6 and 0.9 in turn average 0.75 exactly in decimal but not in
		// binary; still not above the threshold.
		{"decimal steps at threshold", func(i int) float64 {
			if i%2 == 0 {
				return 0.6
			}
			return 0.9
		}, -1},
		{"never", func(int) float64 { return 0.5 }, -1},
		{"all ones", func(int) float64 { return 1 }, 100},
		// Zeros first, then ones: the window exceeds 0.75 once it holds 76
		// ones, after 200 + 76 events of which the last 100 count.
		{"zeros then ones", func(i int) float64 {
			if i < 200 {
				return 0
			}
			return 1
		}, 276},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newRunAccumulator(2000, 100, 0.75)
			for i := range 2000 {
				a.add(i, tc.rewards(i))
			}
			if got := a.stats("arm", 0).EventsToThreshold; got != tc.want {
				t.Errorf("events to threshold = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestAccumulatorHalvesAndLastBatch(t *testing.T) {
	a := newRunAccumulator(250, 100, 0.75)
	for i := range 250 {
		r := 0.0
		if i >= 125 {
			r = 1
		}
		a.add(i, r)
	}
	s := a.stats("arm", 0)
	if s.FirstHalf != 0 || s.SecondHalf != 1 {
		t.Errorf("halves = %v, %v, want 0 and 1", s.FirstHalf, s.SecondHalf)
	}
	// The last batch is the short one: events 200-249.
	if s.LastBatch != 1 {
		t.Errorf("last batch = %v, want 1", s.LastBatch)
	}
}

// TestAccumulatorCrossingExact compares the crossing with an exact count in
// tenths over random rewards of 0, 0.3 and 1, whose running float sum drifts.
func TestAccumulatorCrossingExact(t *testing.T) {
	values := []float64{0, 0.3, 1}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 1))
		// Mostly ones, so the window hovers around 0.75.
		weights := []float64{0.2, 0.15, 0.65}
		a := newRunAccumulator(20000, 100, 0.75)
		var tenths []int
		want := -1
		for i := range 20000 {
			u, k := rng.Float64(), 0
			for acc := weights[0]; u >= acc && k < len(weights)-1; {
				k++
				acc += weights[k]
			}
			a.add(i, values[k])
			tenths = append(tenths, int(values[k]*10+0.5))
			if want < 0 && i >= 99 {
				sum := 0
				for _, v := range tenths[i-99:] {
					sum += v
				}
				if sum > 750 {
					want = i + 1
				}
			}
		}
		if got := a.stats("arm", 0).EventsToThreshold; got != want {
			t.Errorf("seed %d: events to threshold = %d, exact count says %d", seed, got, want)
		}
	}
}

// TestSummarizeUsesEachArmsThreshold checks that every summary row states
// the threshold its arm's runs were measured against.
func TestSummarizeUsesEachArmsThreshold(t *testing.T) {
	exp := loadText(t, `name: thresholds
events: 300
batch_size: 100
repetitions: 2
context:
  store: downtown
actions:
  - id: a
    features: {kind: one}
  - id: b
    features: {kind: two}
reward: 'action.id == "a" ? 1 : 0'
personalizer:
  policy: "--cb_explore_adf --epsilon 0.2"
  model_update_every: 10
arms:
  - name: strict
    threshold: 0.99
  - name: lenient
    threshold: 0.1
`)
	report, err := Run(context.Background(), exp, Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"strict": 0.99, "lenient": 0.1}
	for _, row := range report.Summary {
		if row.Threshold != want[row.Arm] {
			t.Errorf("arm %s: summary threshold %v, want %v", row.Arm, row.Threshold, want[row.Arm])
		}
	}
	// Rewards of 0 and 1 with exploration 0.2 keep the moving average
	// below 0.99 and above 0.1 once the loop learns.
	for _, row := range report.Summary {
		switch row.Arm {
		case "strict":
			if row.Crossed != 0 {
				t.Errorf("arm strict: %d repetitions crossed 0.99, want 0", row.Crossed)
			}
		case "lenient":
			if row.Crossed != row.Repetitions {
				t.Errorf("arm lenient: %d of %d repetitions crossed 0.1, want all", row.Crossed, row.Repetitions)
			}
		}
	}
}
