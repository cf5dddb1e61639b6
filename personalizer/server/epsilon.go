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
