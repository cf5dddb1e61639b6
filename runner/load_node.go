package runner

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML tags of the scalars the loader reads.
const (
	tagStr   = "!!str"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagBool  = "!!bool"
	tagNull  = "!!null"
	tagMerge = "!!merge"
)

// pair is one key and its value in a YAML mapping.
type pair struct {
	key, value *yaml.Node
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is an explicit null (null, ~ or an empty value).
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull
}

// kindName names a node's kind for messages.
func kindName(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n.Kind == yaml.MappingNode && len(n.Content) == 0:
		return "an empty map"
	case n.Kind == yaml.MappingNode:
		return "a map"
	case n.Kind == yaml.SequenceNode && len(n.Content) == 0:
		return "an empty list"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull:
		return "null"
	case n.Kind == yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "an empty document"
}

// pairs returns the pairs of a mapping node in file order, or reports that
// n is not a mapping. what names the value for the message.
func (l *errorList) pairs(n *yaml.Node, what string) ([]pair, bool) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		l.add(n.Line, n.Column, "%s must be a map of keys to values, got %s", what, kindName(n))
		return nil, false
	}

	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.ShortTag() == tagMerge {
			l.add(k.Line, k.Column, "merge keys (<<) are not supported: put shared settings at the top level and let arms override them")
			continue
		}
		out = append(out, pair{key: k, value: v})
	}
	return out, true
}

// checkKeys reports every key of ps that is not in known, suggesting the
// closest known key.
func (l *errorList) checkKeys(ps []pair, known []string, where string) {
	for _, p := range ps {
		if !slices.Contains(known, p.key.Value) {
			l.unknownKey(p.key, where, known)
		}
	}
}

// unknownKey reports a key that is not one of known: with the closest
// known key when one is close, else with the list of known keys.
func (l *errorList) unknownKey(key *yaml.Node, where string, known []string) {
	if s := suggest(key.Value, known); s != "" {
		l.add(key.Line, key.Column, "unknown key %q in %s%s", key.Value, where, s)
		return
	}
	l.add(key.Line, key.Column, "unknown key %q in %s; known keys: %s", key.Value, where, strings.Join(known, ", "))
}

// checkDuplicates reports every key that appears twice in one mapping,
// anywhere under n. Aliases are not followed, so each node is visited once.
func (l *errorList) checkDuplicates(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		first := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if prev, ok := first[k.Value]; ok {
				l.add(k.Line, k.Column, "duplicate key %q: first defined at line %d; remove one of them", k.Value, prev.Line)
				continue
			}
			first[k.Value] = k
		}
	}
	for _, c := range n.Content {
		l.checkDuplicates(c)
	}
}

// lookup returns the value of key in ps, or nil.
func lookup(ps []pair, key string) *yaml.Node {
	for _, p := range ps {
		if p.key.Value == key {
			return p.value
		}
	}
	return nil
}

// scalar returns n as a scalar node, or reports that it is not one.
func (l *errorList) scalar(n *yaml.Node, what string) (*yaml.Node, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() == tagNull {
		l.add(n.Line, n.Column, "%s must be a single value, got %s", what, kindName(n))
		return nil, false
	}
	return n, true
}

// str returns a scalar's text.
func (l *errorList) str(n *yaml.Node, what string) (string, bool) {
	s, ok := l.scalar(n, what)
	if !ok {
		return "", false
	}
	return s.Value, true
}

// maxExactFloat is 2^53, the largest magnitude up to which float64 holds
// every integer exactly.
const maxExactFloat = 1 << 53

// integer returns a scalar as an int. A float with no fraction, such as
// 1e6, is accepted up to 2^53; 10.5 is not truncated but reported. An
// integer outside the range of int is reported with the range's bound.
func (l *errorList) integer(n *yaml.Node, what string) (int, bool) {
	s, ok := l.scalar(n, what)
	if !ok {
		return 0, false
	}

	switch s.ShortTag() {
	case tagInt:
		var v int
		if err := s.Decode(&v); err == nil {
			return v, true
		}
		// YAML reads digits with underscores and 0x, 0o and 0b prefixes
		// as integers too.
		if b, ok := new(big.Int).SetString(strings.ReplaceAll(s.Value, "_", ""), 0); ok {
			l.outOfRange(s, what, b.Sign())
			return 0, false
		}
	case tagFloat:
		f, err := strconv.ParseFloat(s.Value, 64)
		switch {
		case err != nil && !errors.Is(err, strconv.ErrRange), f != math.Trunc(f):
		case math.Abs(f) >= math.MaxInt64:
			l.outOfRange(s, what, int(math.Copysign(1, f)))
			return 0, false
		case math.Abs(f) > maxExactFloat:
			l.add(s.Line, s.Column, "%s %q is larger than 2^53 (%d), beyond which a number in exponent or decimal form may not be exact; write the integer in digits", what, s.Value, maxExactFloat)
			return 0, false
		default:
			return int(f), true
		}
	}
	l.add(s.Line, s.Column, "%s must be an integer, got %q", what, s.Value)
	return 0, false
}

// outOfRange reports an integer beyond the range of int, on the side of
// sign.
func (l *errorList) outOfRange(s *yaml.Node, what string, sign int) {
	if sign < 0 {
		l.add(s.Line, s.Column, "%s is too small: the minimum is %d, got %q", what, math.MinInt, s.Value)
		return
	}
	l.add(s.Line, s.Column, "%s is too large: the maximum is %d, got %q", what, math.MaxInt, s.Value)
}

// number returns a scalar as a finite float64.
func (l *errorList) number(n *yaml.Node, what string) (float64, bool) {
	s, ok := l.scalar(n, what)
	if !ok {
		return 0, false
	}

	if tag := s.ShortTag(); tag == tagInt || tag == tagFloat {
		var v float64
		if err := s.Decode(&v); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v, true
		}
	}
	l.add(s.Line, s.Column, "%s must be a finite number, got %q", what, s.Value)
	return 0, false
}

// boolean returns a scalar as a bool: true or false.
func (l *errorList) boolean(n *yaml.Node, what string) (bool, bool) {
	s, ok := l.scalar(n, what)
	if !ok {
		return false, false
	}
	if s.ShortTag() == tagBool {
		var v bool
		if err := s.Decode(&v); err == nil {
			return v, true
		}
	}
	l.add(s.Line, s.Column, "%s must be true or false, got %q", what, s.Value)
	return false, false
}

// plain converts a node to the values JSON would give: strings, float64
// numbers, bools, []any and map[string]any. Dates and other tagged scalars
// keep their text. Nulls are reported, because Personalizer's documentation
// advises against null feature values.
func (l *errorList) plain(n *yaml.Node, what string) (any, bool) {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		ps, _ := l.pairs(n, what)
		out := make(map[string]any, len(ps))
		ok := true
		for _, p := range ps {
			v, vok := l.plain(p.value, what+"."+p.key.Value)
			out[p.key.Value] = v
			ok = ok && vok
		}
		return out, ok

	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok := true
		for i, c := range n.Content {
			v, vok := l.plain(c, what+"["+strconv.Itoa(i)+"]")
			out = append(out, v)
			ok = ok && vok
		}
		return out, ok
	}
	return l.plainScalar(n, what)
}

// plainScalar converts a scalar node as plain does.
func (l *errorList) plainScalar(n *yaml.Node, what string) (any, bool) {
	switch n.ShortTag() {
	case tagNull:
		l.add(n.Line, n.Column, "%s is null: give it a value or remove it", what)
		return nil, false
	case tagInt, tagFloat:
		return l.number(n, what)
	case tagBool:
		return l.boolean(n, what)
	}
	return n.Value, true
}
