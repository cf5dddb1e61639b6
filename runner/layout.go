package runner

import (
	"fmt"
	"maps"
	"slices"

	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/results"
)

// eventLayout maps an experiment's context onto the ctx_ columns of
// events.parquet. Every arm shares one layout, so the file has one schema.
type eventLayout struct {
	schema results.EventSchema
	// paths[i] locates column i in a formula's context map: one key for a
	// value variable, two for a field of a dataset row.
	paths [][]string
}

func newEventLayout(exp *Experiment) *eventLayout {
	l := &eventLayout{}
	index := map[string]int{}
	// values collects each column's values over every arm, because arms
	// may draw the same variable from values of different kinds, and one
	// column kind must hold them all.
	var values [][]any
	add := func(name string, vs []any, path ...string) {
		i, ok := index[name]
		if !ok {
			i = len(l.paths)
			index[name] = i
			l.schema.Context = append(l.schema.Context, results.Column{Name: name})
			l.paths = append(l.paths, path)
			values = append(values, nil)
		}
		values[i] = append(values[i], vs...)
	}

	for _, arm := range exp.Arms {
		if arm.Expected != nil {
			l.schema.HasExpected = true
		}
		for _, v := range arm.Context {
			if v.From == nil {
				add(v.Name, v.Values, v.Name)
				continue
			}
			for _, field := range rowFields(v.From.Rows) {
				fieldValues := make([]any, 0, len(v.From.Rows))
				for _, row := range v.From.Rows {
					fieldValues = append(fieldValues, row[field])
				}
				add(v.Name+"_"+field, fieldValues, v.Name, field)
			}
		}
	}
	for i := range l.schema.Context {
		l.schema.Context[i].Kind = kindOf(values[i])
	}
	return l
}

// rowFields lists the fields of a dataset's rows: the first row's in sorted
// order, then any other row's new ones.
func rowFields(rows []map[string]any) []string {
	var fields []string
	seen := map[string]bool{}
	for _, row := range rows {
		for _, k := range slices.Sorted(maps.Keys(row)) {
			if !seen[k] {
				seen[k] = true
				fields = append(fields, k)
			}
		}
	}
	return fields
}

// kindOf picks the column kind that holds every value: a number, boolean or
// string column, or a string column of their text when they mix.
func kindOf(values []any) results.Kind {
	kind := results.Kind(-1)
	for _, v := range values {
		var k results.Kind
		switch v.(type) {
		case nil:
			continue
		case float64, float32, int, int64:
			k = results.KindFloat64
		case bool:
			k = results.KindBool
		default:
			k = results.KindString
		}
		if kind == results.Kind(-1) {
			kind = k
		} else if kind != k {
			return results.KindString
		}
	}
	if kind == results.Kind(-1) {
		return results.KindString
	}
	return kind
}

// columnValues returns the ctx_ column values of one context.
func (l *eventLayout) columnValues(context map[string]any) []results.Value {
	out := make([]results.Value, len(l.paths))
	for i, path := range l.paths {
		var v any = context
		for _, k := range path {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[k]
		}
		out[i] = toValue(v, l.schema.Context[i].Kind)
	}
	return out
}

func toValue(v any, kind results.Kind) results.Value {
	if v == nil {
		return results.Value{Null: true}
	}
	switch kind {
	case results.KindFloat64:
		switch n := v.(type) {
		case float64:
			return results.Value{Num: n}
		case float32:
			return results.Value{Num: float64(n)}
		case int:
			return results.Value{Num: float64(n)}
		case int64:
			return results.Value{Num: float64(n)}
		}
	case results.KindBool:
		if b, ok := v.(bool); ok {
			return results.Value{Bool: b}
		}
	}
	if s, ok := v.(string); ok {
		return results.Value{Str: s}
	}
	return results.Value{Str: fmt.Sprint(v)}
}

// mergeFeatures merges an action's feature objects into the one map reward
// formulas see as action.features.
func mergeFeatures(objects []map[string]any) map[string]any {
	merged := map[string]any{}
	for _, o := range objects {
		maps.Copy(merged, o)
	}
	return merged
}

// armEpsilon returns the exploration share an arm's policy runs with.
func armEpsilon(arm *Arm) (float64, error) {
	if arm.Personalizer.Exploration != nil {
		return *arm.Personalizer.Exploration, nil
	}
	policy, err := local.ParsePolicy(arm.Personalizer.Policy)
	if err != nil {
		return 0, fmt.Errorf("arm %q: %w", arm.Name, err)
	}
	return policy.Epsilon, nil
}
