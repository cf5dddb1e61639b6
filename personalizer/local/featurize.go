package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/rankloop/rankloop/personalizer"
)

// Namespace names the service gave the learner: flat context features are
// wrapped in "FromUrl" and flat action features in "j", so policies name them
// F and j.
const (
	contextNamespace = "FromUrl"
	actionNamespace  = "j"
)

// errStringArray is returned for an array of strings, which Vowpal Wabbit's
// JSON parser rejects.
var errStringArray = errors.New("arrays of strings are not supported; use an object of string features or an array of numbers")

// feature is one hashed feature: the unmasked 32-bit hash and its value.
type feature struct {
	hash  uint32
	value float32
}

// nsGroup is the features of one namespace index. Policies name namespaces
// by their first byte, so namespaces whose names share it share a group.
// Each feature keeps the hash seeded by its own namespace's full name.
type nsGroup struct {
	index    byte
	features []feature
}

// featureSet is one featurized context or action.
type featureSet struct {
	groups []nsGroup
	// present has bit i set when the set has features in namespace index i.
	present indexSet
}

// indexSet is a set of namespace indexes, one bit per byte value.
type indexSet [4]uint64

func (s *indexSet) add(i byte)       { s[i>>6] |= 1 << (i & 63) }
func (s *indexSet) has(i byte) bool  { return s[i>>6]&(1<<(i&63)) != 0 }
func (s *indexSet) union(o indexSet) { s[0] |= o[0]; s[1] |= o[1]; s[2] |= o[2]; s[3] |= o[3] }
func (s indexSet) subsetOf(o indexSet) bool {
	return s[0]&^o[0] == 0 && s[1]&^o[1] == 0 && s[2]&^o[2] == 0 && s[3]&^o[3] == 0
}

// group returns the features of namespace index i, or nil.
func (fs *featureSet) group(i byte) []feature {
	for k := range fs.groups {
		if fs.groups[k].index == i {
			return fs.groups[k].features
		}
	}
	return nil
}

// Context is a featurized context, ready for [Loop.RankPrepared]. It is
// immutable, so one Context may serve any number of events and loops.
type Context struct {
	set featureSet
}

// Actions is a featurized list of actions in request order, ready for
// [Loop.RankPrepared]. It is immutable, so one Actions may serve any number
// of events and loops.
type Actions struct {
	ids   []string
	items []featureSet
	// present is the union of the actions' namespace indexes.
	present indexSet
}

// Len returns the number of actions.
func (a *Actions) Len() int { return len(a.ids) }

// ID returns the id of action i.
func (a *Actions) ID(i int) string { return a.ids[i] }

// PrepareContext featurizes context features the way the service did: the
// flat keys of every object land in namespace "FromUrl" (F), a nested object
// opens a namespace named by its key, and all objects are merged into one
// context. The package documentation lists the value rules. The loop's state
// is not read, so the result may be cached and shared.
func (l *Loop) PrepareContext(features []map[string]any) (*Context, error) {
	ctx, err := prepareContext(features)
	if err != nil {
		return nil, invalidRank(err.Error())
	}
	return ctx, nil
}

func prepareContext(features []map[string]any) (*Context, error) {
	var b setBuilder
	for i, obj := range features {
		if err := b.addObject(contextNamespace, obj); err != nil {
			return nil, fmt.Errorf("contextFeatures[%d]: %w", i, err)
		}
	}
	return &Context{set: b.build()}, nil
}

// PrepareActions featurizes actions the way the service did: the flat keys
// of every object of an action's features land in namespace "j", a nested
// object opens a namespace named by its key. Ids must be non-empty, at most
// 256 bytes long and unique. The loop's state is not read, so the result may
// be cached and shared.
func (l *Loop) PrepareActions(actions []personalizer.RankableAction) (*Actions, error) {
	if len(actions) == 0 {
		return nil, invalidRank("the request has no actions")
	}
	if err := validateActionIDs(actions); err != nil {
		return nil, err
	}
	return prepareActions(actions, nil)
}

// prepareActions featurizes the actions whose index is not in excluded.
func prepareActions(actions []personalizer.RankableAction, excluded []bool) (*Actions, error) {
	out := &Actions{
		ids:   make([]string, 0, len(actions)),
		items: make([]featureSet, 0, len(actions)),
	}
	for i, a := range actions {
		if excluded != nil && excluded[i] {
			continue
		}

		var b setBuilder
		for k, obj := range a.Features {
			if err := b.addObject(actionNamespace, obj); err != nil {
				return nil, invalidRank(fmt.Sprintf("actions[%d] (id %q): features[%d]: %v", i, a.ID, k, err))
			}
		}
		set := b.build()

		out.ids = append(out.ids, a.ID)
		out.items = append(out.items, set)
		out.present.union(set.present)
	}
	return out, nil
}

// validateActionIDs checks what the service checked of action ids.
func validateActionIDs(actions []personalizer.RankableAction) error {
	seen := make(map[string]int, len(actions))
	for i, a := range actions {
		switch {
		case a.ID == "":
			return invalidRank(fmt.Sprintf("actions[%d] has an empty id", i))
		case len(a.ID) > maxIDLength:
			return invalidRank(fmt.Sprintf("actions[%d] has an id of %d characters; the maximum is %d", i, len(a.ID), maxIDLength))
		}
		if j, dup := seen[a.ID]; dup {
			return invalidRank(fmt.Sprintf("actions[%d] and actions[%d] have the same id %q; action ids must be unique", j, i, a.ID))
		}
		seen[a.ID] = i
	}
	return nil
}

// namespace collects the features of one namespace name while a featureSet
// is built.
type namespace struct {
	name     string
	hash     uint32
	features []feature
}

// setBuilder merges objects into namespaces by name.
type setBuilder struct {
	spaces []*namespace
}

func (b *setBuilder) namespace(name string) *namespace {
	for _, ns := range b.spaces {
		if ns.name == name {
			return ns
		}
	}
	ns := &namespace{name: name, hash: hashString(name, 0)}
	b.spaces = append(b.spaces, ns)
	return ns
}

// build groups the namespaces by index, in order of first appearance, and
// drops empty ones: a namespace without features takes no part in
// interactions.
func (b *setBuilder) build() featureSet {
	var fs featureSet
	for _, ns := range b.spaces {
		if len(ns.features) == 0 {
			continue
		}

		idx := ns.name[0]
		if !fs.present.has(idx) {
			fs.present.add(idx)
			fs.groups = append(fs.groups, nsGroup{index: idx})
		}
		for k := range fs.groups {
			if fs.groups[k].index == idx {
				fs.groups[k].features = append(fs.groups[k].features, ns.features...)
			}
		}
	}
	return fs
}

// addObject adds the keys of obj to namespace nsName, following the value
// rules of the package documentation, which are Vowpal Wabbit's JSON
// parser's. Keys are visited in sorted order, because feature order decides
// how interaction hashes combine and Go maps have none.
func (b *setBuilder) addObject(nsName string, obj map[string]any) error {
	if nsName == "" {
		return errors.New("a nested object has an empty key, which cannot name a namespace")
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if !strings.HasPrefix(k, "_") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	for _, k := range keys {
		if err := b.addValue(nsName, k, obj[k]); err != nil {
			return fmt.Errorf("%q: %w", k, err)
		}
	}
	return nil
}

func (b *setBuilder) addValue(nsName, key string, v any) error {
	if x, ok, err := number(v); ok || err != nil {
		if err != nil {
			return err
		}
		if x != 0 {
			ns := b.namespace(nsName)
			ns.features = append(ns.features, feature{hashString(key, ns.hash), x})
		}
		return nil
	}

	switch v := v.(type) {
	case nil:
		return nil
	case string:
		ns := b.namespace(nsName)
		ns.features = append(ns.features, feature{hashString(key+escapeValue(v), ns.hash), 1})
	case bool:
		if v {
			ns := b.namespace(nsName)
			ns.features = append(ns.features, feature{hashString(key, ns.hash), 1})
		}
	case map[string]any:
		return b.addObject(key, v)
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, s := range v {
			m[k] = s
		}
		return b.addObject(key, m)
	case []map[string]any:
		for _, obj := range v {
			if err := b.addObject(key, obj); err != nil {
				return err
			}
		}
	case []any:
		return b.addArray(key, v)
	case []float64:
		return addNumbers(b, key, v)
	case []float32:
		return addNumbers(b, key, v)
	case []int:
		return addNumbers(b, key, v)
	case []int64:
		return addNumbers(b, key, v)
	case []string:
		return errStringArray
	default:
		return fmt.Errorf("unsupported value of type %T; use a string, number, boolean, object or array of numbers", v)
	}
	return nil
}

// addArray adds a JSON array: numbers as indexed features, objects into the
// namespace named by key.
func (b *setBuilder) addArray(key string, arr []any) error {
	ns := b.namespace(key)
	next := ns.hash
	for i, el := range arr {
		if x, ok, err := number(el); ok || err != nil {
			if err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
			if x != 0 {
				ns.features = append(ns.features, feature{next, x})
			}
			next++
			continue
		}

		switch el := el.(type) {
		case nil:
		case map[string]any:
			if err := b.addObject(key, el); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		case string:
			return errStringArray
		case []any:
			return fmt.Errorf("element %d: nested arrays are not supported", i)
		default:
			return fmt.Errorf("element %d: unsupported value of type %T in an array; use numbers or objects", i, el)
		}
	}
	return nil
}

func addNumbers[T float64 | float32 | int | int64](b *setBuilder, key string, xs []T) error {
	ns := b.namespace(key)
	for i, x := range xs {
		v := float64(x)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("element %d is %v; feature values must be finite", i, v)
		}
		if v != 0 {
			ns.features = append(ns.features, feature{ns.hash + uint32(i), float32(v)})
		}
	}
	return nil
}

// number converts the numeric types JSON decoding and Go callers produce.
// ok reports whether v is numeric.
func number(v any) (x float32, ok bool, err error) {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case float32:
		f = float64(v)
	case int:
		f = float64(v)
	case int8:
		f = float64(v)
	case int16:
		f = float64(v)
	case int32:
		f = float64(v)
	case int64:
		f = float64(v)
	case uint:
		f = float64(v)
	case uint8:
		f = float64(v)
	case uint16:
		f = float64(v)
	case uint32:
		f = float64(v)
	case uint64:
		f = float64(v)
	case json.Number:
		p, perr := v.Float64()
		if perr != nil {
			return 0, true, fmt.Errorf("invalid number %q: %w", v, perr)
		}
		f = p
	default:
		return 0, false, nil
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, true, fmt.Errorf("value %v is not finite; feature values must be finite", f)
	}
	return float32(f), true, nil
}

// escapeValue replaces the bytes Vowpal Wabbit's text format reserves.
func escapeValue(v string) string {
	if !strings.ContainsAny(v, " \t|:") {
		return v
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '|', ':':
			return '_'
		}
		return r
	}, v)
}
