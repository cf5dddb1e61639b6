package reward

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/vm/runtime"
)

// rowsFunctionPrefix starts the names of the functions that index a
// dataset that is a list of rows. The binder rejects every name that a
// formula spells with a '$', so formulas cannot call them by name.
const rowsFunctionPrefix = "$rows_"

// isRows reports whether a dataset's value is a list of rows: a list whose
// elements are all maps.
func isRows(v any) ([]any, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	for _, e := range list {
		if _, ok := e.(map[string]any); !ok {
			return nil, false
		}
	}
	return list, true
}

// rowsFunctions returns one function for each dataset that is a list of
// rows, given by name. The binder turns rows[i], where i may not be an
// integer, into a call of the dataset's function. The function reports a
// string index with the key column that would make the dataset a map of
// rows by that column.
func rowsFunctions(datasets map[string][]any) []expr.Option {
	var opts []expr.Option
	for _, name := range slices.Sorted(maps.Keys(datasets)) {
		rows := datasets[name]
		var boxed any = rows
		fn := &builtin.Function{
			Name: rowsFunctionPrefix + name,
			Func: func(params ...any) (any, error) {
				switch i := params[0].(type) {
				case string:
					return nil, rowsIndexError(name, rows, fmt.Sprintf("the string %q", i), i)
				case int:
					if i < 0 {
						i += len(rows)
					}
					if i >= 0 && i < len(rows) {
						return rows[i], nil
					}
				}
				// Fetch converts other numbers and reports an index out
				// of range, as expr does for any list.
				return runtime.Fetch(boxed, params[0]), nil
			},
			Validate: func(args []reflect.Type) (reflect.Type, error) {
				t := args[0]
				switch {
				case t.Kind() == reflect.Interface:
				case t.Kind() == reflect.String:
					return nil, rowsIndexError(name, rows, "a string", "")
				case !isIntegerKind(t.Kind()):
					return nil, fmt.Errorf("dataset %s is a list of rows, so its index must be an integer row number, got %s", name, t)
				}
				return reflect.TypeFor[any](), nil
			},
		}
		opts = append(opts, func(c *conf.Config) { c.Functions[fn.Name] = fn })
	}
	return opts
}

// rowsIndexError reports a list of rows indexed by a string, which index
// describes for the message. It names the column to index the dataset by:
// the first column, trying id first, whose values include value, or else
// id. Without either, it lists the columns.
func rowsIndexError(name string, rows []any, index, value string) error {
	var columns []string
	for _, r := range rows {
		for k := range r.(map[string]any) {
			if !slices.Contains(columns, k) {
				columns = append(columns, k)
			}
		}
	}
	slices.Sort(columns)
	if i := slices.Index(columns, "id"); i > 0 {
		columns = slices.Insert(slices.Delete(columns, i, i+1), 0, "id")
	}

	column := ""
	for _, c := range columns {
		if value != "" && slices.ContainsFunc(rows, func(r any) bool { return r.(map[string]any)[c] == value }) {
			column = c
			break
		}
	}
	if column == "" && slices.Contains(columns, "id") {
		column = "id"
	}

	switch {
	case len(columns) == 0:
		return fmt.Errorf("dataset %s is an empty list, so it cannot be indexed by %s", name, index)
	case column == "":
		return fmt.Errorf("dataset %s is a list of rows, so it cannot be indexed by %s; add `key: COLUMN` to the dataset to index it by one of its columns: %s", name, index, listNames(columns))
	}
	return fmt.Errorf("dataset %s is a list of rows, so it cannot be indexed by %s; add `key: %s` to the dataset to index it by %s", name, index, column, column)
}

func isIntegerKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// unloadedFunctionName is the function the binder calls in place of a
// dataset that failed to load.
const unloadedFunctionName = "$unloaded"

// unloadedFunction returns the function that stands for a dataset that
// failed to load. Its result has type any, so any use of it type-checks;
// calling it fails, but Compile returns no program that reads it.
func unloadedFunction() expr.Option {
	fn := &builtin.Function{
		Name: unloadedFunctionName,
		Func: func(...any) (any, error) {
			return nil, ErrUnloadedDataset
		},
		Validate: func([]reflect.Type) (reflect.Type, error) {
			return reflect.TypeFor[any](), nil
		},
	}
	return func(c *conf.Config) { c.Functions[fn.Name] = fn }
}
