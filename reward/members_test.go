package reward

import (
	"errors"
	"strings"
	"testing"
)

// coffeeContext are the tutorial's context variables and a shopper drawn
// from rows.
var coffeeContext = WithContext(
	Variable{Name: "name", Values: []any{"Alice", "Bob"}},
	Variable{Name: "weather", Values: []any{"Sunny", "Rainy"}},
	Variable{Name: "timeofday", Values: []any{"Morning", "Evening"}},
	Variable{Name: "shopper", Values: []any{
		map[string]any{"id": "s1", "age": 21.0, "tags": []any{"student"}},
		map[string]any{"id": "s2", "age": 67.0, "member": true},
	}},
)

var coffeeFeatures = WithActionFeatures(
	map[string]any{"type": "hot", "roast": "dark", "origin": map[string]any{"country": "kenya"}},
	map[string]any{"type": "cold", "roast": "light", "organic": "yes"},
)

// rowDatasets has a dataset that is a list of rows, without a key.
var rowDatasets = map[string]any{
	"rows": []any{
		map[string]any{"id": "Latte", "type": "hot"},
		map[string]any{"id": "Cold brew", "type": "cold"},
	},
	"names": []any{
		map[string]any{"coffee": "Latte"},
	},
	"empty":   []any{},
	"coffees": coffeeDatasets["coffees"],
}

func TestCompileUnknownMembers(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		first string
	}{
		{"context variable misspelt", `context.nmae == "Alice" ? 1 : 0`,
			"coffee.yaml:10:17: unknown context variable nmae; context has name, weather, timeofday, shopper; did you mean name?"},
		{"context variable far from any", `context.colour == "red" ? 1 : 0`,
			"coffee.yaml:10:17: unknown context variable colour; context has name, weather, timeofday, shopper"},
		{"context variable in brackets", `context["wether"] == "Sunny" ? 1 : 0`,
			"coffee.yaml:10:17: unknown context variable wether; context has name, weather, timeofday, shopper; did you mean weather?"},
		{"context variable in an optional chain", `context?.nmae == "Alice" ? 1 : 0`,
			"coffee.yaml:10:18: unknown context variable nmae; context has name, weather, timeofday, shopper; did you mean name?"},
		{"context variable in a predicate", `any(ranking, .id == context.nmae) ? 1 : 0`,
			"coffee.yaml:10:37: unknown context variable nmae; context has name, weather, timeofday, shopper; did you mean name?"},
		{"action feature misspelt", `action.features.tpye == "hot" ? 1 : 0`,
			"coffee.yaml:10:25: unknown action feature tpye; the actions have the features organic, origin, roast, type; did you mean type?"},
		{"member of a string", `context.name.nosuch == "x" ? 1 : 0`,
			"coffee.yaml:10:22: context.name is a string, so it has no field nosuch"},
		{"member of a feature", `action.features.type.x == "x" ? 1 : 0`,
			"coffee.yaml:10:30: action.features.type is a string, so it has no field x"},
		{"row field misspelt", `context.shopper.agee > 30 ? 1 : 0`,
			"coffee.yaml:10:25: unknown field agee of context.shopper; it has age, id, member, tags; did you mean age?"},
		{"member of a number field", `context.shopper.age.years > 30 ? 1 : 0`,
			"coffee.yaml:10:29: context.shopper.age is a number, so it has no field years"},
		{"member of a list field", `context.shopper.tags.first == "x" ? 1 : 0`,
			"coffee.yaml:10:30: context.shopper.tags is a list, so it has no field first; index it by an integer"},
		{"nested feature misspelt", `action.features.origin.contry == "kenya" ? 1 : 0`,
			"coffee.yaml:10:32: unknown field contry of action.features.origin; it has country; did you mean country?"},
		{"keyed dataset row field misspelt", `coffees[expected].tpye == "hot" ? 1 : 0`,
			"coffee.yaml:10:27: unknown field tpye of coffees[expected]; it has roast, type; did you mean type?"},
		{"JSON dataset key misspelt", `preferences.Alise.Rainy.Morning == action.id ? 1 : 0`,
			"coffee.yaml:10:21: unknown field Alise of preferences; it has Alice; did you mean Alice?"},
		{"list of rows by a string constant", `rows["Latte"].type == "hot" ? 1 : 0`,
			"coffee.yaml:10:14: dataset rows is a list of rows, so it cannot be indexed by the string \"Latte\"; add `key: id` to the dataset to index it by id"},
		{"list of rows by a field name", `names.Latte.coffee == "Latte" ? 1 : 0`,
			"coffee.yaml:10:15: dataset names is a list of rows, so it cannot be indexed by the string \"Latte\"; add `key: coffee` to the dataset to index it by coffee"},
		{"list of rows without the value in a column", `names["Mocha"].coffee == "Latte" ? 1 : 0`,
			"coffee.yaml:10:15: dataset names is a list of rows, so it cannot be indexed by the string \"Mocha\"; add `key: COLUMN` to the dataset to index it by one of its columns: coffee"},
		{"empty list by a string", `empty["Latte"] == nil ? 1 : 0`,
			"coffee.yaml:10:15: dataset empty is an empty list, so it cannot be indexed by the string \"Latte\""},
		{"list of rows by a string expression", `rows[action.id].type == "hot" ? 1 : 0`,
			"coffee.yaml:10:13: dataset rows is a list of rows, so it cannot be indexed by a string; add `key: id` to the dataset to index it by id"},
		{"list of rows by a float", `rows[probability].type == "hot" ? 1 : 0`,
			"coffee.yaml:10:13: dataset rows is a list of rows, so its index must be an integer row number, got float64"},
		{"row field of a list of rows misspelt", `rows[event].tpye == "hot" ? 1 : 0`,
			"coffee.yaml:10:21: unknown field tpye of rows[event]; it has id, type; did you mean type?"},
		{"function of the binder", `$rows_rows(0).type == "hot" ? 1 : 0`,
			"coffee.yaml:10:9: unknown name $rows_rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.src, plainAt, mergeDatasets(coffeeDatasets, rowDatasets), WithExpected(), coffeeContext, coffeeFeatures)
			if err == nil {
				t.Fatalf("Compile(%q) succeeded, want error %q", tt.src, tt.first)
			}
			var ferr *Error
			if !errors.As(err, &ferr) {
				t.Fatalf("Compile(%q) error is %T, want *Error", tt.src, err)
			}
			if first, _, _ := strings.Cut(err.Error(), "\n"); first != tt.first {
				t.Errorf("Compile(%q) error\n got: %s\nwant: %s", tt.src, first, tt.first)
			}
		})
	}
}

func TestCompileKnownMembers(t *testing.T) {
	for _, src := range []string{
		`context.name == "Alice" ? 1 : 0`,
		`context["weather"] == "Sunny" ? 1 : 0`,
		`context.shopper.age > 30 ? 1 : 0`,
		// member appears in one row only
		`context.shopper.member ?? false ? 1 : 0`,
		`context.shopper.tags[0] == "student" ? 1 : 0`,
		`context[action.id] == nil ? 1 : 0`,
		`action.features.organic == "yes" ? 1 : 0`,
		`action.features.origin.country == "kenya" ? 1 : 0`,
		`action.features[context.name] == nil ? 1 : 0`,
		`context.name[0:1] == "A" ? 1 : 0`,
		`coffees[expected].type == action.features.type ? 1 : 0`,
		`preferences[context.name].Rainy.Morning == action.id ? 1 : 0`,
		`rows[0].type == "hot" ? 1 : 0`,
		`rows[-1].type == "cold" ? 1 : 0`,
		`rows[event % 2].type == "hot" ? 1 : 0`,
		`len(rows) > 1 ? 1 : 0`,
		`let row = rows[1]; row.type == "cold" ? 1 : 0`,
	} {
		if _, err := Compile(src, plainAt, mergeDatasets(coffeeDatasets, rowDatasets), WithExpected(), coffeeContext, coffeeFeatures); err != nil {
			t.Errorf("Compile(%q): %v", src, err)
		}
	}
}

func TestCompileMembersUnchecked(t *testing.T) {
	// Without WithContext and WithActionFeatures, any name compiles.
	for _, src := range []string{
		`context.nmae == "Alice" ? 1 : 0`,
		`action.features.tpye == "hot" ? 1 : 0`,
	} {
		if _, err := Compile(src, plainAt, nil); err != nil {
			t.Errorf("Compile(%q): %v", src, err)
		}
	}

	// Declared but empty, every name is unknown.
	tests := []struct {
		src  string
		opt  Option
		want string
	}{
		{`context.name == "Alice" ? 1 : 0`, WithContext(),
			"coffee.yaml:10:17: unknown context variable name; the experiment defines no context variables"},
		{`action.features.type == "hot" ? 1 : 0`, WithActionFeatures(map[string]any{}),
			"coffee.yaml:10:25: unknown action feature type; the actions have no features"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.src, plainAt, nil, tt.opt)
		if err == nil {
			t.Errorf("Compile(%q) succeeded, want %q", tt.src, tt.want)
			continue
		}
		if first, _, _ := strings.Cut(err.Error(), "\n"); first != tt.want {
			t.Errorf("Compile(%q) error\n got: %s\nwant: %s", tt.src, first, tt.want)
		}
	}

	// A variable whose values are not known accepts any member.
	opt := WithContext(Variable{Name: "shopper"})
	if _, err := Compile(`context.shopper.anything == 1 ? 1 : 0`, plainAt, nil, opt); err != nil {
		t.Errorf("Compile with a variable of unknown values: %v", err)
	}
}

func TestCompileExpectedChecksContext(t *testing.T) {
	_, err := CompileExpected(`preferences[context.nmae]`, plainAt, coffeeDatasets, coffeeContext)
	want := "coffee.yaml:10:29: unknown context variable nmae; context has name, weather, timeofday, shopper; did you mean name?"
	if err == nil {
		t.Fatalf("CompileExpected succeeded, want %q", want)
	}
	if first, _, _ := strings.Cut(err.Error(), "\n"); first != want {
		t.Errorf("error\n got: %s\nwant: %s", first, want)
	}
}

func TestRewardRowsIndexedByString(t *testing.T) {
	f, err := Compile(`rows[expected].type == action.features.type ? 1 : 0`, plainAt, rowDatasets, WithExpected())
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	var m Machine
	_, _, err = f.Reward(&m, latteEnv())
	want := "coffee.yaml:10:13: dataset rows is a list of rows, so it cannot be indexed by the string \"Latte\"; add `key: id` to the dataset to index it by id"
	if err == nil {
		t.Fatalf("Reward succeeded, want %q", want)
	}
	if first, _, _ := strings.Cut(err.Error(), "\n"); first != want {
		t.Errorf("error\n got: %s\nwant: %s", first, want)
	}

	// An integer index computed when the formula runs reads the row.
	env := latteEnv()
	env.Expected = 1
	got, _, err := f.Reward(&m, env)
	if err != nil {
		t.Fatalf("Reward with index 1: %v", err)
	}
	if got != 1 {
		t.Errorf("Reward with index 1 = %v, want 1: row 1 is the cold brew", got)
	}
	if !f.Uses("rows") || !f.Uses("expected") {
		t.Errorf("Uses(rows), Uses(expected) = %v, %v, want true, true", f.Uses("rows"), f.Uses("expected"))
	}
}

func TestCompileUnloadedDataset(t *testing.T) {
	opts := []Option{WithExpected(), WithUnloadedDatasets("coffees")}

	_, err := Compile(`coffees[expected].type == action.features.type ? 1 : 0`, plainAt, nil, opts...)
	if !errors.Is(err, ErrUnloadedDataset) {
		t.Errorf("Compile reading only the unloaded dataset: error %v, want ErrUnloadedDataset", err)
	}

	// Other errors are still reported.
	_, err = Compile(`coffees[0] == nope ? 1 : 0`, plainAt, nil, opts...)
	want := "coffee.yaml:10:23: unknown name nope"
	if err == nil || errors.Is(err, ErrUnloadedDataset) {
		t.Fatalf("Compile with another error: error %v, want %q", err, want)
	}
	if first, _, _ := strings.Cut(err.Error(), "\n"); first != want {
		t.Errorf("error\n got: %s\nwant: %s", first, want)
	}

	// A formula that does not read it compiles.
	if _, err := Compile(`action.id == expected ? 1 : 0`, plainAt, nil, opts...); err != nil {
		t.Errorf("Compile without the unloaded dataset: %v", err)
	}
}

func mergeDatasets(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestCompileRejectsClock(t *testing.T) {
	for _, src := range []string{`now().Unix() > 0 ? 1 : 0`, `date("2026-01-01").Year() > 0 ? 1 : 0`} {
		_, err := Compile(src, Position{File: "x.yaml", Line: 3, Column: 9}, nil)
		if err == nil || !strings.Contains(err.Error(), "is disabled") {
			t.Errorf("Compile(%q) error = %v, want one saying the clock is disabled", src, err)
		}
	}
}
