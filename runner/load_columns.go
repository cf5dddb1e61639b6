package runner

import (
	"fmt"
	"maps"
	"slices"

	"go.yaml.in/yaml/v3"
)

// contextColumn is one ctx_ column of events.parquet and the context value
// it holds: a value variable, or one field of a variable drawn from a
// dataset's rows.
type contextColumn struct {
	variable string
	// field is empty for a value variable.
	field string
	// key is the variable's key in the experiment file.
	key *yaml.Node
	arm string
}

func (c contextColumn) String() string {
	if c.field == "" {
		return c.variable
	}
	return fmt.Sprintf("%s (field %s)", c.variable, c.field)
}

func (c contextColumn) sameValue(o contextColumn) bool {
	return c.variable == o.variable && c.field == o.field
}

// columnsOf returns a variable's columns by name. As the event layout
// names them, a value variable v gives the column ctx_v, and a variable v
// drawn from rows gives ctx_v_f for each field f of any row.
func columnsOf(d declaredVar, arm string) map[string]contextColumn {
	if d.v.From == nil {
		return map[string]contextColumn{"ctx_" + d.v.Name: {variable: d.v.Name, key: d.key, arm: arm}}
	}
	out := map[string]contextColumn{}
	for _, field := range rowFields(d.v.From.Rows) {
		out["ctx_"+d.v.Name+"_"+field] = contextColumn{variable: d.v.Name, field: field, key: d.key, arm: arm}
	}
	return out
}

// checkColumns reports two context variables that give the same column of
// events.parquet, where one of them would be lost: within the arm, and
// against every arm before it, because all arms write one file.
func (l *loader) checkColumns(arm string, declared []declaredVar) {
	own := map[string]contextColumn{}
	for _, d := range declared {
		if !d.ok {
			continue
		}
		columns := columnsOf(d, arm)
		for _, name := range slices.Sorted(maps.Keys(columns)) {
			c := columns[name]
			prev, dup := own[name]
			switch {
			case !dup:
				own[name] = c
			case prev.variable != c.variable:
				// A variable declared twice is a duplicate key, reported
				// as such.
				l.add(d.key.Line, d.key.Column, "context variables %s and %s both give the column %s; rename one", prev, c, name)
			}
		}
	}

	// The top level's context is checked again in each arm that keeps it.
	if l.topLevel {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(own)) {
		c := own[name]
		prev, ok := l.columns[name]
		switch {
		case !ok:
			l.columns[name] = c
		case !prev.sameValue(c):
			l.add(c.key.Line, c.key.Column, "context variables %s of arm %q and %s of arm %q both give the column %s; rename one", prev, prev.arm, c, c.arm, name)
		}
	}
}
