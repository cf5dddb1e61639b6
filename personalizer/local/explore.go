package local

import (
	"math"
	"slices"
)

// explorer turns scores into the probabilities the policy gives each action.
type explorer struct {
	kind    string // ExploreEpsilonGreedy, ExploreSoftmax or ExploreFirst
	epsilon float64
	lambda  float64
	sorted  []float64 // scratch for enforceMinimumProbability
	tied    int       // actions tied for the best score at the last epsilon-greedy call
}

// sortByScore fills order with 0..len(scores)-1 sorted by score, lowest
// predicted cost first, ties in request order.
func sortByScore(scores []float32, order []int) {
	for i := range order {
		order[i] = i
	}
	// Insertion sort: action lists are short, and it is stable.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && scores[order[j]] < scores[order[j-1]]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// tiedBest returns how many actions share the best score, given order from
// sortByScore.
func tiedBest(scores []float32, order []int) int {
	n := 1
	for n < len(order) && sameScore(scores[order[n]], scores[order[0]]) {
		n++
	}
	return n
}

// sameScore reports whether two scores tie: VW 9 compares them with a
// relative tolerance of 1e-4.
func sameScore(a, b float32) bool {
	return abs32(a-b) <= 1e-4*(abs32(a)+abs32(b))
}

// probabilities fills probs, in request order, from the scores sorted by
// order. explore is false once --first has spent its exploration events.
func (e *explorer) probabilities(scores []float32, order []int, probs []float64, explore bool) {
	k := len(order)
	switch e.kind {
	case ExploreEpsilonGreedy:
		// Every action gets epsilon/K and the tied best share the rest.
		tied := tiedBest(scores, order)
		e.tied = tied
		for i := range probs {
			probs[i] = e.epsilon / float64(k)
		}
		for _, i := range order[:tied] {
			probs[i] += (1 - e.epsilon) / float64(tied)
		}

	case ExploreSoftmax:
		// p_i is proportional to exp(-lambda*(s_i - s_best)).
		best := float64(scores[order[0]])
		var sum float64
		for i, s := range scores {
			probs[i] = math.Exp(-e.lambda * (float64(s) - best))
			sum += probs[i]
		}
		for i := range probs {
			probs[i] /= sum
		}
		e.sorted = enforceMinimumProbability(e.epsilon, probs, e.sorted)

	case ExploreFirst:
		if explore {
			for i := range probs {
				probs[i] = 1 / float64(k)
			}
			return
		}
		clear(probs)
		probs[order[0]] = 1
		e.sorted = enforceMinimumProbability(e.epsilon, probs, e.sorted)
	}
}

// learningProbability returns the probability of the action at position pos
// of order, as of the last call to probabilities, rounded the way VW 9
// computes it: mtr's importance weight is 1/p of this float32 value. For
// epsilon-greedy VW adds epsilon/K and (1-epsilon)/T in float32, which can
// differ from the float64 probability rounded to float32 by one unit in the
// last place: 0.05 + 0.4 is 0.450000018 in float32 and 0.449999988 from
// float64.
//
// NOTE: softmax computes its probabilities in float64 while VW computes
// them in float32, so the two differ by up to about 1e-5 relative.
func (e *explorer) learningProbability(probs []float64, order []int, pos int) float32 {
	if e.kind != ExploreEpsilonGreedy {
		return float32(probs[order[pos]])
	}
	epsilon := float32(e.epsilon)
	p := epsilon / float32(len(order))
	if pos < e.tied {
		p += (1 - epsilon) / float32(e.tied)
	}
	return p
}

// enforceMinimumProbability gives every action at least epsilon/K and takes
// the mass from the most likely ones, keeping the sum at 1, as VW's
// exploration library does. It returns scratch, grown to len(probs).
func enforceMinimumProbability(epsilon float64, probs, scratch []float64) []float64 {
	if epsilon == 0 || len(probs) == 0 {
		return scratch
	}
	k := float64(len(probs))
	if epsilon > 0.999 {
		for i := range probs {
			probs[i] = 1 / k
		}
		return scratch
	}

	minimum := epsilon / k
	sorted := append(scratch[:0], probs...)
	slices.SortFunc(sorted, func(a, b float64) int { return -cmpFloat(a, b) })

	rhoIdx, rhoSum, running := 0, sorted[0], 0.0
	for idx, p := range sorted {
		running += p
		if p > ((k-float64(idx)-1)*minimum+running-1)/(float64(idx)+1)+minimum {
			rhoIdx, rhoSum = idx, running
		}
	}
	tau := ((k-float64(rhoIdx)-1)*minimum + rhoSum - 1) / (float64(rhoIdx) + 1)
	for i := range probs {
		probs[i] = max(probs[i]-tau, minimum)
	}
	return sorted
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sample returns the position in order whose cumulative probability first
// exceeds u (in [0, 1)) times the total.
func sample(probs []float64, order []int, u float64) int {
	var total float64
	for _, p := range probs {
		total += p
	}
	draw := u * total

	var sum float64
	for pos, i := range order {
		sum += probs[i]
		if sum > draw {
			return pos
		}
	}
	return len(order) - 1
}

// eventDraw returns the uniform number in [0, 1) that decides the event's
// action: a hash of the event id mixed with the loop's seed, so the same id
// draws the same number in the same loop.
func eventDraw(eventID string, seed uint64) float64 {
	return drawOf(hashEventID(eventID, seed))
}

// drawOf maps an event hash to [0, 1).
func drawOf(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// hashEventID hashes an event id with the loop's seed.
func hashEventID(eventID string, seed uint64) uint64 {
	// A multiply-xorshift step per 8 bytes, then splitmix64's full
	// avalanche over the result.
	const mul = 0x9e3779b97f4a7c15
	h := splitmix64(seed) ^ uint64(len(eventID))
	s := eventID
	for len(s) >= 8 {
		chunk := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ chunk) * mul
		h ^= h >> 29
		s = s[8:]
	}
	var tail uint64
	for i := len(s) - 1; i >= 0; i-- {
		tail = tail<<8 | uint64(s[i])
	}
	return splitmix64(h ^ tail)
}

// roundProbability rounds p to 12 decimal places, so sums such as
// 0.05 + 0.8 read 0.85 and not 0.8500000000000001.
func roundProbability(p float64) float64 {
	return math.Round(p*1e12) / 1e12
}
