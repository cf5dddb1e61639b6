package runner

import (
	"math"
	"slices"

	"github.com/rankloop/rankloop/results"
)

// MovingAverageWindow is the number of events in the moving average whose
// first crossing of the threshold the summary reports.
const MovingAverageWindow = 100

// RunStats are the figures one run contributes to its arm's summary.
type RunStats struct {
	Arm        string  `json:"arm"`
	Repetition int     `json:"repetition"`
	Events     int     `json:"events"`
	FirstHalf  float64 `json:"first_half_mean"`
	SecondHalf float64 `json:"second_half_mean"`
	LastBatch  float64 `json:"last_batch_mean"`
	// EventsToThreshold is the number of events after which the moving
	// average first exceeded the threshold, or -1 when it never did.
	EventsToThreshold int `json:"events_to_threshold"`
}

// runAccumulator collects a run's figures event by event without keeping
// the rewards of more than one moving-average window.
type runAccumulator struct {
	events    int
	batchSize int
	threshold float64

	firstSum, secondSum float64
	lastBatchSum        float64
	lastBatchCount      int

	window    [MovingAverageWindow]float64
	windowSum float64
	seen      int
	crossed   int
}

func newRunAccumulator(events, batchSize int, threshold float64) *runAccumulator {
	return &runAccumulator{events: events, batchSize: batchSize, threshold: threshold, crossed: -1}
}

// add records the reward of event index (0-based).
func (a *runAccumulator) add(index int, reward float64) {
	if index < a.events/2 {
		a.firstSum += reward
	} else {
		a.secondSum += reward
	}

	lastBatchStart := (a.events - 1) / a.batchSize * a.batchSize
	if index >= lastBatchStart {
		a.lastBatchSum += reward
		a.lastBatchCount++
	}

	slot := a.seen % MovingAverageWindow
	a.windowSum += reward - a.window[slot]
	a.window[slot] = reward
	a.seen++
	if a.crossed < 0 && a.seen >= MovingAverageWindow && a.windowSum/MovingAverageWindow > a.threshold-crossingTolerance && a.exceeds() {
		a.crossed = a.seen
	}
}

// crossingTolerance absorbs rounding: a moving average within it of the
// threshold does not exceed the threshold.
const crossingTolerance = 1e-9

// exceeds reports whether the window's mean exceeds the threshold, adding
// the window afresh: the running sum drifts after many events, and rewards
// such as 0.3 are not exact in binary.
func (a *runAccumulator) exceeds() bool {
	sum := 0.0
	for _, r := range a.window {
		sum += r
	}
	return sum/MovingAverageWindow > a.threshold+crossingTolerance
}

func (a *runAccumulator) stats(arm string, repetition int) RunStats {
	first := a.events / 2
	second := a.events - first
	s := RunStats{Arm: arm, Repetition: repetition, Events: a.seen, EventsToThreshold: a.crossed}
	if first > 0 {
		s.FirstHalf = a.firstSum / float64(first)
	}
	if second > 0 {
		s.SecondHalf = a.secondSum / float64(second)
	}
	if a.lastBatchCount > 0 {
		s.LastBatch = a.lastBatchSum / float64(a.lastBatchCount)
	}
	return s
}

// Summarize builds one summary row per arm, in the order of arms, from the
// stats of the runs that completed. Each row reports the crossings of its
// own arm's threshold.
func Summarize(arms []*Arm, runs []RunStats) []results.SummaryRow {
	rows := make([]results.SummaryRow, 0, len(arms))
	for _, arm := range arms {
		var first, second, last, crossing []float64
		crossed := 0
		for _, r := range runs {
			if r.Arm != arm.Name {
				continue
			}
			first = append(first, r.FirstHalf)
			second = append(second, r.SecondHalf)
			last = append(last, r.LastBatch)
			if r.EventsToThreshold >= 0 {
				crossed++
				crossing = append(crossing, float64(r.EventsToThreshold))
			} else {
				crossing = append(crossing, math.Inf(1))
			}
		}
		row := results.SummaryRow{
			Arm:               arm.Name,
			Repetitions:       len(first),
			FirstHalf:         rangeOf(first),
			SecondHalf:        rangeOf(second),
			LastBatch:         rangeOf(last),
			EventsToThreshold: rangeOf(crossing),
			Crossed:           crossed,
			Threshold:         arm.Threshold,
		}
		row.EventsToThreshold = neverAsMinusOne(row.EventsToThreshold)
		rows = append(rows, row)
	}
	return rows
}

// rangeOf returns the median (the mean of the two middle values for an even
// count), minimum and maximum of values.
func rangeOf(values []float64) results.Range {
	if len(values) == 0 {
		return results.Range{}
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	n := len(sorted)
	median := sorted[n/2]
	if n%2 == 0 {
		median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return results.Range{Median: median, Min: sorted[0], Max: sorted[n-1]}
}

func neverAsMinusOne(r results.Range) results.Range {
	fix := func(v float64) float64 {
		if math.IsInf(v, 1) || math.IsNaN(v) {
			return -1
		}
		return v
	}
	return results.Range{Median: fix(r.Median), Min: fix(r.Min), Max: fix(r.Max)}
}
