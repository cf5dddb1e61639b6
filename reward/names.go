package reward

import (
	"fmt"
	"regexp"

	"github.com/expr-lang/expr/builtin"
)

// envNames are the top-level names of Env.
var envNames = []string{"context", "action", "ranking", "probability", "event", "expected"}

// keywords are the words expr's lexer treats as operators or literals.
var keywords = []string{
	"and", "or", "not", "in", "matches", "contains", "startsWith", "endsWith",
	"let", "if", "else", "true", "false", "nil",
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// IsReserved reports whether formulas already use name: an Env name, a
// helper function, an expr builtin or an expr keyword.
func IsReserved(name string) bool {
	for _, list := range [][]string{envNames, keywords, {"num", "weighted"}} {
		for _, n := range list {
			if n == name {
				return true
			}
		}
	}
	_, ok := builtin.Index[name]
	return ok
}

// CheckName returns an error unless formulas can read a dataset by name:
// the name must be an identifier that is not reserved.
func CheckName(name string) error {
	if !identifier.MatchString(name) {
		return fmt.Errorf("dataset name %q is not an identifier: use letters, digits and underscores, not starting with a digit", name)
	}
	if IsReserved(name) {
		return fmt.Errorf("dataset name %q is reserved in formulas; choose another name", name)
	}
	return nil
}
