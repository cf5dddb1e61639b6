package reward

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// shapeKind is the kind of value a shape describes, which decides the
// members a formula can read from it.
type shapeKind int

const (
	// shapeNone is a value that is always nil, or that was never seen.
	shapeNone shapeKind = iota
	// shapeScalar is a string, number or bool: it has no members.
	shapeScalar
	// shapeMap is a map with string keys: its members are its keys.
	shapeMap
	// shapeList is a list: its members are its elements.
	shapeList
	// shapeMixed is a value of several kinds, or of a kind the check does
	// not know: any member is accepted.
	shapeMixed
)

// scalarKinds is a set of the scalar kinds a value took.
type scalarKinds uint8

const (
	scalarString scalarKinds = 1 << iota
	scalarNumber
	scalarBool
)

// shape is the structure that Compile infers for a name from every value
// it can take: the keys of a map, the elements of a list, or a scalar.
// Nil values add nothing, so a map key that only some values have is
// still a known key.
type shape struct {
	kind    shapeKind
	scalars scalarKinds
	// fields are a map's keys, each with the shape of its values.
	fields map[string]*shape
	// elem is the shape of a list's elements, or of all values of a map.
	// A map's elem is built on the first call to element.
	elem *shape
}

// shapeOf returns the shape of values, the values one name can take.
func shapeOf(values ...any) *shape {
	s := &shape{}
	for _, v := range values {
		s.add(v)
	}
	return s
}

// add merges one value into the shape.
func (s *shape) add(v any) {
	switch v := v.(type) {
	case nil:
	case map[string]any:
		if !s.become(shapeMap) {
			return
		}
		for k, x := range v {
			s.field(k).add(x)
		}
	case []any:
		if !s.become(shapeList) {
			return
		}
		if s.elem == nil {
			s.elem = &shape{}
		}
		for _, x := range v {
			s.elem.add(x)
		}
	case string:
		s.addScalar(scalarString)
	case bool:
		s.addScalar(scalarBool)
	case float64, float32, int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8:
		s.addScalar(scalarNumber)
	default:
		s.kind, s.fields, s.elem = shapeMixed, nil, nil
	}
}

func (s *shape) addScalar(k scalarKinds) {
	if s.become(shapeScalar) {
		s.scalars |= k
	}
}

// merge merges the values that o describes into the shape.
func (s *shape) merge(o *shape) {
	switch o.kind {
	case shapeNone:
	case shapeScalar:
		if s.become(shapeScalar) {
			s.scalars |= o.scalars
		}
	case shapeMap:
		if s.become(shapeMap) {
			for k, f := range o.fields {
				s.field(k).merge(f)
			}
		}
	case shapeList:
		if s.become(shapeList) {
			if s.elem == nil {
				s.elem = &shape{}
			}
			s.elem.merge(o.elem)
		}
	default:
		s.kind, s.fields, s.elem = shapeMixed, nil, nil
	}
}

// become reports whether the shape can take a value of kind k, making it
// of that kind if it has none yet. A shape that already has another kind
// becomes mixed.
func (s *shape) become(k shapeKind) bool {
	switch s.kind {
	case k:
		return true
	case shapeNone:
		s.kind = k
		if k == shapeMap {
			s.fields = map[string]*shape{}
		}
		return true
	}
	s.kind, s.fields, s.elem = shapeMixed, nil, nil
	return false
}

// field returns the shape of a map key's values, adding the key.
func (s *shape) field(key string) *shape {
	f := s.fields[key]
	if f == nil {
		f = &shape{}
		s.fields[key] = f
	}
	return f
}

// member returns the shape of the member a formula reads with a constant
// key, or nil when the shape does not constrain it.
func (s *shape) member(key string) *shape {
	if s == nil || s.kind != shapeMap {
		return nil
	}
	return s.fields[key]
}

// element returns the shape of the member a formula reads with a key or
// index computed when it runs: any element of a list or any value of a
// map. It returns nil when the shape does not constrain it.
func (s *shape) element() *shape {
	if s == nil {
		return nil
	}
	switch s.kind {
	case shapeList:
		return s.elem
	case shapeMap:
		if s.elem == nil {
			s.elem = &shape{}
			for _, f := range s.fields {
				s.elem.merge(f)
			}
		}
		return s.elem
	}
	return nil
}

// keys returns a map shape's keys in sorted order.
func (s *shape) keys() []string {
	return slices.Sorted(maps.Keys(s.fields))
}

// describe names a scalar shape's kinds for messages: "a string", "a
// string or number".
func (s *shape) describe() string {
	var kinds []string
	for _, k := range []struct {
		kind scalarKinds
		name string
	}{{scalarString, "string"}, {scalarNumber, "number"}, {scalarBool, "bool"}} {
		if s.scalars&k.kind != 0 {
			kinds = append(kinds, k.name)
		}
	}
	switch len(kinds) {
	case 0:
		return "a value"
	case 1:
		return "a " + kinds[0]
	}
	return fmt.Sprintf("a %s or %s", strings.Join(kinds[:len(kinds)-1], ", "), kinds[len(kinds)-1])
}
