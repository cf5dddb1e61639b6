package reward

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
)

// functions returns the helpers every formula may call. Their argument
// types are checked at compile time.
func functions() []expr.Option {
	return []expr.Option{
		expr.Function("num", num, new(func(bool) float64)),
		func(c *conf.Config) {
			c.Functions["weighted"] = &builtin.Function{
				Name:     "weighted",
				Func:     weighted,
				Validate: validateWeighted,
			}
		},
	}
}

// num returns 1 for true and 0 for false.
func num(params ...any) (any, error) {
	b, ok := params[0].(bool)
	if !ok {
		return nil, fmt.Errorf("num: argument is %s, not a bool", describe(params[0]))
	}
	if b {
		return 1.0, nil
	}
	return 0.0, nil
}

// weighted returns the sum of the weights whose condition is true:
// weighted(w1, c1, w2, c2, ...).
func weighted(params ...any) (any, error) {
	sum := 0.0
	for i := 0; i+1 < len(params); i += 2 {
		w, ok := toFloat(params[i])
		if !ok {
			return nil, fmt.Errorf("weighted: weight %d is %s, not a number", i/2+1, describe(params[i]))
		}
		c, ok := params[i+1].(bool)
		if !ok {
			return nil, fmt.Errorf("weighted: condition %d is %s, not a bool", i/2+1, describe(params[i+1]))
		}
		if c {
			sum += w
		}
	}
	return sum, nil
}

// validateWeighted checks the argument types of a weighted call at compile
// time. An argument of type any is checked when the formula runs.
func validateWeighted(args []reflect.Type) (reflect.Type, error) {
	const usage = "weighted takes pairs of a number and a bool: weighted(weight1, condition1, weight2, condition2, ...)"
	if len(args) == 0 || len(args)%2 != 0 {
		return nil, fmt.Errorf("%s; got %d arguments", usage, len(args))
	}

	for i, t := range args {
		if t.Kind() == reflect.Interface {
			continue
		}
		pair := i/2 + 1
		if i%2 == 0 && !isNumberKind(t.Kind()) {
			return nil, fmt.Errorf("%s; weight %d is %s", usage, pair, t)
		}
		if i%2 == 1 && t.Kind() != reflect.Bool {
			return nil, fmt.Errorf("%s; condition %d is %s", usage, pair, t)
		}
	}
	return reflect.TypeFor[float64](), nil
}

func isNumberKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// describe names a value and its type for messages.
func describe(v any) string {
	if v == nil {
		return "nil"
	}
	switch v.(type) {
	case string:
		return fmt.Sprintf("the string %q", v)
	case bool, float64, float32, int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8:
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%v (%T)", v, v)
}
