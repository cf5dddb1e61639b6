package reward

import (
	"fmt"
	"strings"
)

// maxListed bounds the names a message lists.
const maxListed = 20

// listNames joins names for a message, cutting a long list short.
func listNames(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}

// Closest returns the known name closest to an unknown one, ignoring case,
// or "" when none is close: at most one edit (an insertion, deletion,
// substitution or exchange of two adjacent characters) for names of up to
// 5 characters, two for longer ones. The experiment loader uses it for its
// "did you mean" hints too.
func Closest(unknown string, known []string) string {
	best, bestDistance := "", -1
	for _, k := range known {
		d := editDistance(strings.ToLower(unknown), strings.ToLower(k))
		if bestDistance < 0 || d < bestDistance {
			best, bestDistance = k, d
		}
	}

	limit := 1
	if len(unknown) > 5 {
		limit = 2
	}
	if bestDistance < 0 || bestDistance > limit {
		return ""
	}
	return best
}

// editDistance returns the Levenshtein distance between a and b, counting
// an exchange of two adjacent characters as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// prev2, prev and cur are rows i-2, i-1 and i of the distance matrix.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}

	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
