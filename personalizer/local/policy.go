package local

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Exploration strategies of --cb_explore_adf.
const (
	ExploreEpsilonGreedy = "epsilon-greedy"
	ExploreSoftmax       = "softmax"
	ExploreFirst         = "first"
)

// Contextual-bandit reductions (--cb_type).
const (
	CBTypeMTR = "mtr"
	CBTypeIPS = "ips"
	CBTypeDR  = "dr"
)

// maxBits caps -b: the training model takes 16 bytes per weight, so 2^28
// weights already take 4 GiB.
const maxBits = 28

// Policy is a parsed learning policy: the subset of Vowpal Wabbit 9's
// command line that the service's policies used. Fields hold VW's defaults
// for flags the arguments leave out.
type Policy struct {
	// Explore is ExploreEpsilonGreedy, ExploreSoftmax (--softmax) or
	// ExploreFirst (--first).
	Explore string
	// Epsilon is the exploration share (--epsilon). Its default is 0.05
	// for epsilon-greedy and 0 for softmax and first, where it is the
	// minimum probability of every action.
	Epsilon float64
	// Lambda is the softmax inverse temperature (--lambda, default 1).
	Lambda float64
	// First is the number of events explored uniformly by --first.
	First int
	// LearningRate is -l / --learning_rate (default 0.5).
	LearningRate float64
	// PowerT is the learning-rate decay exponent --power_t (default 0.5).
	PowerT float64
	// Interactions lists -q, --cubic and --interactions in the order given,
	// each as its namespace letters; ':' is the wildcard over every
	// namespace seen.
	Interactions []string
	// Ignore lists the namespace letters of --ignore.
	Ignore string
	// NoConstant drops the constant feature (--noconstant).
	NoConstant bool
	// Bits is -b / --bit_precision: the model has 2^Bits weights (default 18).
	Bits int
	// CBType is CBTypeMTR (the default), CBTypeIPS or CBTypeDR.
	CBType string
	// L1 and L2 are the --l1 and --l2 regularization strengths.
	L1, L2 float64

	epsilonGiven bool // the arguments set --epsilon
}

// flagSpec describes one supported flag.
type flagSpec struct {
	value bool // takes a value
	set   func(p *Policy, v string) error
}

// ignoredFlags are input and output options of the VW command line that do
// not change what the loop learns.
var ignoredFlags = map[string]bool{ // flag -> takes a value
	"dsjson": false, "json": false, "quiet": false, "no_stdin": false,
	"compressed": false, "save_resume": false, "preserve_performance_counters": false,
	"predict_only_model": false, "strict_parse": false, "cache": false,
	"data": true, "cache_file": true, "final_regressor": true, "predictions": true,
	"readable_model": true,
}

var shortFlags = map[string]string{
	"l": "learning_rate", "q": "quadratic", "b": "bit_precision",
	"d": "data", "c": "cache", "f": "final_regressor", "p": "predictions",
}

var policyFlags = map[string]flagSpec{
	"cb_explore_adf": {false, func(p *Policy, _ string) error { return nil }},
	"epsilon": {true, func(p *Policy, v string) error {
		return parseFloatIn(v, 0, 1, &p.Epsilon)
	}},
	"softmax": {false, func(p *Policy, _ string) error { p.Explore = ExploreSoftmax; return nil }},
	"lambda": {true, func(p *Policy, v string) error {
		if err := parseFloatIn(v, math.Inf(-1), math.Inf(1), &p.Lambda); err != nil {
			return err
		}
		p.Lambda = math.Abs(p.Lambda) // VW negates a negative lambda: scores are costs
		return nil
	}},
	"first": {true, func(p *Policy, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("invalid value %q: want a whole number of events, at least 1", v)
		}
		p.Explore, p.First = ExploreFirst, n
		return nil
	}},
	"learning_rate": {true, func(p *Policy, v string) error {
		if err := parseFloatIn(v, 0, math.Inf(1), &p.LearningRate); err != nil {
			return err
		}
		if p.LearningRate == 0 {
			return fmt.Errorf("invalid value %q: the learning rate must be positive", v)
		}
		return nil
	}},
	"power_t": {true, func(p *Policy, v string) error {
		return parseFloatIn(v, 0, math.Inf(1), &p.PowerT)
	}},
	"quadratic":    {true, interactionSetter(2, 2)},
	"cubic":        {true, interactionSetter(3, 3)},
	"interactions": {true, interactionSetter(2, 0)},
	"ignore": {true, func(p *Policy, v string) error {
		letters, err := decodeNamespaces(v)
		if err != nil {
			return err
		}
		p.Ignore += letters
		return nil
	}},
	"noconstant": {false, func(p *Policy, _ string) error { p.NoConstant = true; return nil }},
	"bit_precision": {true, func(p *Policy, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxBits {
			return fmt.Errorf("invalid value %q: want a whole number from 1 to %d", v, maxBits)
		}
		p.Bits = n
		return nil
	}},
	"cb_type": {true, func(p *Policy, v string) error {
		switch v {
		case CBTypeMTR, CBTypeIPS, CBTypeDR:
			p.CBType = v
			return nil
		}
		return fmt.Errorf("unsupported value %q: want mtr, ips or dr", v)
	}},
	"l1": {true, func(p *Policy, v string) error {
		return parseFloatIn(v, 0, math.Inf(1), &p.L1)
	}},
	"l2": {true, func(p *Policy, v string) error {
		return parseFloatIn(v, 0, math.Inf(1), &p.L2)
	}},
}

// supportedFlags is the list the error for an unsupported flag shows.
const supportedFlags = "--cb_explore_adf, --epsilon, --softmax, --lambda, --first, -l/--learning_rate, " +
	"--power_t, -q/--quadratic, --cubic, --interactions, --ignore, --noconstant, -b/--bit_precision, " +
	"--cb_type mtr|ips|dr, --l1, --l2; input and output flags such as --dsjson, --json and --quiet " +
	"are accepted and ignored"

// ParsePolicy parses Vowpal Wabbit policy arguments such as
// "--cb_explore_adf --epsilon 0.2 --power_t 0 -l 0.001 --cb_type mtr -q ::".
// --cb_explore_adf is required. Values follow their flag as the next word,
// after '=' or, for one-letter flags, attached ("-qFj"). A flag given twice
// keeps its last value, except -q, --cubic, --interactions and --ignore,
// which accumulate. An unsupported flag is an error that names it and lists
// the supported ones.
func ParsePolicy(args string) (*Policy, error) {
	p := &Policy{
		Explore:      ExploreEpsilonGreedy,
		Epsilon:      math.NaN(),
		Lambda:       1,
		LearningRate: 0.5,
		PowerT:       0.5,
		Bits:         18,
		CBType:       CBTypeMTR,
	}
	seen := make(map[string]bool)

	words := strings.Fields(args)
	for i := 0; i < len(words); i++ {
		word := words[i]
		name, value, hasValue, err := splitFlag(word)
		if err != nil {
			return nil, err
		}

		spec, supported := policyFlags[name]
		takesValue, ignored := ignoredFlags[name]
		if !supported && !ignored {
			return nil, fmt.Errorf("unsupported policy argument %q; supported: %s", word, supportedFlags)
		}
		if supported {
			takesValue = spec.value
		}

		if takesValue && !hasValue {
			if i+1 >= len(words) {
				return nil, fmt.Errorf("policy argument %q needs a value", word)
			}
			i++
			value = words[i]
		} else if !takesValue && hasValue {
			return nil, fmt.Errorf("policy argument %q takes no value", word)
		}

		if ignored {
			continue
		}
		if err := spec.set(p, value); err != nil {
			return nil, fmt.Errorf("policy argument --%s: %w", name, err)
		}
		seen[name] = true
	}

	if !seen["cb_explore_adf"] {
		return nil, errors.New("policy arguments must include --cb_explore_adf: the loop runs contextual bandits with action-dependent features")
	}
	if seen["softmax"] && seen["first"] {
		return nil, errors.New("policy arguments --softmax and --first choose different exploration strategies; use one")
	}
	p.epsilonGiven = seen["epsilon"]
	if math.IsNaN(p.Epsilon) {
		p.Epsilon = 0
		if p.Explore == ExploreEpsilonGreedy {
			p.Epsilon = 0.05
		}
	}
	return p, nil
}

// splitFlag splits "--name=value", "--name", "-x" and "-xvalue".
func splitFlag(word string) (name, value string, hasValue bool, err error) {
	switch {
	case strings.HasPrefix(word, "--") && len(word) > 2:
		name = word[2:]
		if k := strings.IndexByte(name, '='); k >= 0 {
			return name[:k], name[k+1:], true, nil
		}
		return name, "", false, nil
	case strings.HasPrefix(word, "-") && len(word) > 1 && word[1] != '-':
		long, ok := shortFlags[word[1:2]]
		if !ok {
			return "", "", false, fmt.Errorf("unsupported policy argument %q; supported: %s", word, supportedFlags)
		}
		if len(word) > 2 {
			return long, word[2:], true, nil
		}
		return long, "", false, nil
	}
	return "", "", false, fmt.Errorf("policy argument %q is not a flag; flags start with - or --", word)
}

// interactionSetter returns the setter of -q (n=2), --cubic (n=3) or
// --interactions (at least 2 namespaces, max=0).
func interactionSetter(min, max int) func(*Policy, string) error {
	return func(p *Policy, v string) error {
		letters, err := decodeNamespaces(v)
		if err != nil {
			return err
		}
		switch {
		case max > 0 && len(letters) != max:
			return fmt.Errorf("invalid value %q: want exactly %d namespace letters", v, max)
		case len(letters) < min:
			return fmt.Errorf("invalid value %q: want at least %d namespace letters", v, min)
		}
		p.Interactions = append(p.Interactions, letters)
		return nil
	}
}

// decodeNamespaces decodes namespace letters, where \xHH stands for the byte
// HH as in Vowpal Wabbit.
func decodeNamespaces(v string) (string, error) {
	if !strings.Contains(v, `\x`) {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && v[i+1] == 'x' {
			var n uint64
			err := strconv.ErrSyntax
			if i+4 <= len(v) {
				n, err = strconv.ParseUint(v[i+2:i+4], 16, 8)
			}
			if err != nil {
				return "", fmt.Errorf("invalid escape in %q: want \\x followed by two hex digits", v)
			}
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String(), nil
}

func parseFloatIn(v string, lo, hi float64, dst *float64) error {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || x < lo || x > hi {
		if math.IsInf(hi, 1) && math.IsInf(lo, -1) {
			return fmt.Errorf("invalid value %q: want a number", v)
		}
		if math.IsInf(hi, 1) {
			return fmt.Errorf("invalid value %q: want a number of at least %g", v, lo)
		}
		return fmt.Errorf("invalid value %q: want a number from %g to %g", v, lo, hi)
	}
	*dst = x
	return nil
}

// WithEpsilon returns policy arguments with every --epsilon value set to
// eps, or with "--epsilon eps" appended when the flag is absent. The
// service kept the policy's --epsilon equal to its exploration percentage
// this way.
func WithEpsilon(args string, eps float64) string {
	value := strconv.FormatFloat(eps, 'g', -1, 64)
	words := strings.Fields(args)
	found := false
	for i := 0; i < len(words); i++ {
		switch {
		case words[i] == "--epsilon" && i+1 < len(words):
			words[i+1] = value
			found = true
			i++
		case words[i] == "--epsilon":
			// A trailing flag without a value gets one.
			words = append(words, value)
			found = true
			i++
		case strings.HasPrefix(words[i], "--epsilon="):
			words[i] = "--epsilon=" + value
			found = true
		}
	}
	if !found {
		words = append(words, "--epsilon", value)
	}
	return strings.Join(words, " ")
}

// learningEquals reports whether p and o learn the same model, so a model
// trained under one serves under the other; exploration may differ.
func (p *Policy) learningEquals(o *Policy) bool {
	if len(p.Interactions) != len(o.Interactions) {
		return false
	}
	for i := range p.Interactions {
		if p.Interactions[i] != o.Interactions[i] {
			return false
		}
	}
	return p.LearningRate == o.LearningRate && p.PowerT == o.PowerT && p.Ignore == o.Ignore &&
		p.NoConstant == o.NoConstant && p.Bits == o.Bits && p.CBType == o.CBType &&
		p.L1 == o.L1 && p.L2 == o.L2
}
