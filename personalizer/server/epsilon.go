package server

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// policyEpsilon returns the value of --epsilon in policy arguments, in
// either the "--epsilon 0.2" or the "--epsilon=0.2" form. found is false
// when the flag is absent; err is set when its value is not a number in
// [0, 1].
func policyEpsilon(arguments string) (epsilon float64, found bool, err error) {
	fields := strings.Fields(arguments)
	for i, f := range fields {
		var text string
		switch {
		case f == "--epsilon":
			if i+1 >= len(fields) {
				return 0, true, fmt.Errorf("--epsilon has no value")
			}
			text = fields[i+1]
		case strings.HasPrefix(f, "--epsilon="):
			text = strings.TrimPrefix(f, "--epsilon=")
		default:
			continue
		}
		v, perr := strconv.ParseFloat(text, 64)
		if perr != nil || math.IsNaN(v) || v < 0 || v > 1 {
			return 0, true, fmt.Errorf("--epsilon %q is not a number between 0 and 1", text)
		}
		epsilon, found = v, true
		// The last occurrence wins, as in Vowpal Wabbit's option parser.
	}
	return epsilon, found, nil
}

// withEpsilon returns the policy arguments with every --epsilon value set
// to epsilon, or with --epsilon epsilon appended when the flag is absent.
func withEpsilon(arguments string, epsilon float64) string {
	value := strconv.FormatFloat(epsilon, 'g', -1, 64)
	fields := strings.Fields(arguments)
	found := false
	for i := 0; i < len(fields); i++ {
		switch {
		case fields[i] == "--epsilon" && i+1 < len(fields):
			fields[i+1] = value
			found = true
			i++
		case fields[i] == "--epsilon":
			fields = append(fields, value)
			found = true
			i++
		case strings.HasPrefix(fields[i], "--epsilon="):
			fields[i] = "--epsilon=" + value
			found = true
		}
	}
	if !found {
		fields = append(fields, "--epsilon", value)
	}
	return strings.Join(fields, " ")
}
