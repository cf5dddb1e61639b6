package local

import (
	"bytes"
	"slices"
	"strings"
)

// Vowpal Wabbit's hashing constants.
const (
	// constantHash is the hash of the constant (bias) feature.
	constantHash = 11650396
	// fnvPrime combines the hashes of an interaction's features:
	// h = fnvPrime*h1 ^ h2, and so on for longer interactions.
	fnvPrime = 16777619
	// wildcard in an interaction stands for every namespace seen.
	wildcard = ':'
)

// isInteractable reports whether namespace index i takes part in wildcard
// expansion: printable ASCII from ' ' to '~', as in VW.
func isInteractable(i byte) bool { return i >= ' ' && i <= '~' }

// prepareInteractions sorts the policy's interactions and removes duplicates
// the way VW 9 does when it parses its command line.
func prepareInteractions(specs []string) [][]byte {
	out := make([][]byte, len(specs))
	for i, s := range specs {
		out[i] = []byte(s)
	}
	slices.SortStableFunc(out, compareInteractions)
	return sortAndFilterDuplicates(out)
}

// compareInteractions orders interactions by length, then bytes.
func compareInteractions(a, b []byte) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return bytes.Compare(a, b)
}

// compileInteractions expands wildcards over the interactable namespaces
// seen so far and removes duplicate interactions, as VW 9's
// generate_interactions reduction does before every example that brings a
// namespace it has not seen. Until some namespace has been seen no
// interaction applies, not even one without wildcards.
func compileInteractions(specs [][]byte, seen indexSet) [][]byte {
	var indices []byte
	for i := 0; i < 256; i++ {
		if seen.has(byte(i)) && isInteractable(byte(i)) {
			indices = append(indices, byte(i))
		}
	}
	if len(indices) == 0 {
		return nil
	}

	var out [][]byte
	for _, spec := range specs {
		if bytes.IndexByte(spec, wildcard) < 0 {
			out = append(out, slices.Clone(spec))
			continue
		}
		out = append(out, expandWildcards(spec, indices)...)
	}
	slices.SortFunc(out, compareInteractions)
	return sortAndFilterDuplicates(out)
}

// expandWildcards replaces the wildcards of spec by every combination with
// repetition of indices, keeping the fixed letters at their positions.
func expandWildcards(spec []byte, indices []byte) [][]byte {
	var fixedAt []int
	for i, c := range spec {
		if c != wildcard {
			fixedAt = append(fixedAt, i)
		}
	}

	var combos [][]byte
	if n := len(spec) - len(fixedAt); n == 2 {
		combos = pairsWithRepetition(indices)
	} else {
		combos = combinationsWithRepetition(indices, n)
	}

	out := make([][]byte, len(combos))
	for k, combo := range combos {
		full := make([]byte, 0, len(spec))
		full = append(full, combo...)
		for _, at := range fixedAt {
			full = slices.Insert(full, at, spec[at])
		}
		out[k] = full
	}
	return out
}

// pairsWithRepetition lists every sorted pair of indices, diagonal included,
// in increasing order: VW's fast path for two wildcards.
func pairsWithRepetition(indices []byte) [][]byte {
	var out [][]byte
	for i, a := range indices {
		for _, b := range indices[i:] {
			out = append(out, []byte{a, b})
		}
	}
	return out
}

// combinationsWithRepetition lists the multisets of n indices in VW 9's
// order: each combination is non-increasing, the first position varies
// fastest.
func combinationsWithRepetition(indices []byte, n int) [][]byte {
	var out [][]byte
	last := len(indices) - 1
	pos := make([]int, n+1)
	for {
		for i := 0; i < n; i++ {
			if pos[i] > last {
				pos[i+1]++
				for k := i; k >= 0; k-- {
					pos[k] = pos[i+1]
				}
			}
		}
		if pos[n] > 0 {
			return out
		}

		combo := make([]byte, n)
		for i := range combo {
			combo[i] = indices[pos[i]]
		}
		out = append(out, combo)
		pos[0]++
	}
}

// sortAndFilterDuplicates drops interactions that repeat an earlier one as
// a multiset of namespaces (Fj after jF), and sorts the letters of every
// interaction that repeats a namespace among others (FjF becomes FFj), so
// self-interactions are adjacent. Others keep their order: it decides how
// feature hashes combine.
func sortAndFilterDuplicates(specs [][]byte) [][]byte {
	type keyed struct {
		sorted []byte
		pos    int
	}
	keys := make([]keyed, len(specs))
	for i, s := range specs {
		sorted := slices.Clone(s)
		slices.Sort(sorted)
		keys[i] = keyed{sorted, i}
	}

	slices.SortStableFunc(keys, func(a, b keyed) int { return bytes.Compare(a.sorted, b.sorted) })
	keys = slices.CompactFunc(keys, func(a, b keyed) bool { return bytes.Equal(a.sorted, b.sorted) })
	slices.SortFunc(keys, func(a, b keyed) int { return a.pos - b.pos })

	out := make([][]byte, len(keys))
	for i, k := range keys {
		if mustBeLeftSorted(k.sorted) {
			out[i] = k.sorted
		} else {
			out[i] = specs[k.pos]
		}
	}
	return out
}

// mustBeLeftSorted reports whether a sorted interaction repeats a namespace
// next to a different one ("aab", "abb"), or has a single letter. Sorting
// changes nothing for one namespace ("aaa") or distinct ones ("abc"), which
// report false.
func mustBeLeftSorted(sorted []byte) bool {
	if len(sorted) <= 1 {
		return true
	}
	diff, pair := false, false
	for i := 0; i+1 < len(sorted); i++ {
		if sorted[i] == sorted[i+1] {
			if diff {
				return true
			}
			pair = true
		} else {
			if pair {
				return true
			}
			diff = true
		}
	}
	return false
}

// unusedInteractions returns the policy interactions that name, outside
// wildcards, a namespace index that present lacks.
func unusedInteractions(specs []string, present indexSet) []string {
	var out []string
	for _, s := range specs {
		if slices.Contains(out, s) {
			continue
		}
		for i := 0; i < len(s); i++ {
			if s[i] != wildcard && !present.has(s[i]) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// interactionString renders compiled interactions for logs and tests.
func interactionString(compiled [][]byte) string {
	parts := make([]string, len(compiled))
	for i, c := range compiled {
		parts[i] = string(c)
	}
	return strings.Join(parts, " ")
}
