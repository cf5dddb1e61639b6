package runner

import (
	"math/bits"
	"math/rand/v2"
)

// Sampler draws contexts: one value or dataset row per context variable.
// It is read-only after NewSampler, so runs may share one.
type Sampler struct {
	vars []samplerVar
	// size is the number of distinct contexts, or 0 when that number
	// overflows uint64.
	size uint64
}

type samplerVar struct {
	name string
	// n is the number of values or rows.
	n int
	// cumulative holds the running sums of the weights of a weighted
	// variable, the last one exactly 1; nil for a uniform one.
	cumulative []float64
	values     []any
	rows       []map[string]any
}

// NewSampler returns a sampler for vars, which must be valid as Load
// returns them. A value variable has at least one value and one positive
// weight per value. A dataset variable has at least one row.
func NewSampler(vars []ContextVar) *Sampler {
	s := &Sampler{vars: make([]samplerVar, len(vars)), size: 1}
	for i, v := range vars {
		sv := samplerVar{name: v.Name, values: v.Values}
		if v.From != nil {
			sv.rows = v.From.Rows
			sv.n = len(v.From.Rows)
		} else {
			sv.n = len(v.Values)
			sv.cumulative = cumulative(v.Weights)
		}
		s.vars[i] = sv

		hi, lo := bits.Mul64(s.size, uint64(sv.n))
		if hi != 0 || s.size == 0 {
			s.size = 0
		} else {
			s.size = lo
		}
	}
	return s
}

// cumulative returns the running sums of weights, normalised so that the
// last is exactly 1, or nil when the weights are all equal.
func cumulative(weights []float64) []float64 {
	uniform := true
	total := 0.0
	for _, w := range weights {
		total += w
		uniform = uniform && w == weights[0]
	}
	if uniform {
		return nil
	}

	out := make([]float64, len(weights))
	sum := 0.0
	for i, w := range weights {
		sum += w
		out[i] = sum / total
	}
	out[len(out)-1] = 1
	return out
}

// Draw writes the index of the chosen value or row of each variable into
// out, which must have one element per variable. It draws exactly one
// uint64 from rng per variable, whatever the variable's kind, so two
// samplers fed by the same stream stay aligned event by event.
func (s *Sampler) Draw(rng *rand.Rand, out []int) {
	for i := range s.vars {
		v := &s.vars[i]
		u := rng.Uint64()
		if v.cumulative == nil {
			// Lemire's multiply-shift maps u onto [0, n) with a bias below
			// n / 2^64.
			hi, _ := bits.Mul64(u, uint64(v.n))
			out[i] = int(hi)
			continue
		}
		out[i] = v.search(float64(u>>11) / (1 << 53))
	}
}

// search returns the first index whose cumulative weight exceeds x, in
// [0, 1).
func (v *samplerVar) search(x float64) int {
	lo, hi := 0, len(v.cumulative)-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if v.cumulative[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// Size returns the number of distinct contexts the sampler can draw, and
// false when that number overflows uint64.
func (s *Sampler) Size() (uint64, bool) {
	return s.size, s.size != 0
}

// Key returns a number that identifies the drawn context. While Size
// reports true, Key is the mixed-radix number of the indices, so distinct
// contexts have distinct keys. Otherwise it is a 64-bit hash of the
// indices, and distinct contexts may share a key.
func (s *Sampler) Key(idx []int) uint64 {
	if s.size != 0 {
		var key uint64
		for i := range s.vars {
			key = key*uint64(s.vars[i].n) + uint64(idx[i])
		}
		return key
	}

	// FNV-1a over the indices, each mixed with the SplitMix64 finaliser.
	h := uint64(14695981039346656037)
	for _, x := range idx[:len(s.vars)] {
		h ^= splitmix64(uint64(x))
		h *= 1099511628211
	}
	return h
}

// ContextFeatures returns the drawn context as Rank's contextFeatures: one
// object with the value variables, then one object per dataset variable
// that holds the drawn row under the variable's name, so that the row's
// columns form a namespace of their own. Rows are shared with the dataset
// and must not be modified.
func (s *Sampler) ContextFeatures(idx []int) []map[string]any {
	var out []map[string]any
	flat := map[string]any{}
	for i, v := range s.vars {
		if v.rows == nil {
			flat[v.name] = v.values[idx[i]]
		}
	}
	if len(flat) > 0 {
		out = append(out, flat)
	}

	for i, v := range s.vars {
		if v.rows != nil {
			out = append(out, map[string]any{v.name: v.rows[idx[i]]})
		}
	}
	return out
}

// ContextMap returns the drawn context as formulas see it: each value
// variable by name, and each drawn row as a nested map under its variable's
// name. Rows are shared with the dataset and must not be modified.
func (s *Sampler) ContextMap(idx []int) map[string]any {
	out := make(map[string]any, len(s.vars))
	for i, v := range s.vars {
		if v.rows != nil {
			out[v.name] = v.rows[idx[i]]
		} else {
			out[v.name] = v.values[idx[i]]
		}
	}
	return out
}
