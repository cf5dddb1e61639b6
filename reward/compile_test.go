package reward

import (
	"errors"
	"strings"
	"testing"
)

var coffeeDatasets = map[string]any{
	"preferences": map[string]any{
		"Alice": map[string]any{"Rainy": map[string]any{"Morning": "Latte"}},
	},
	"coffees": map[string]any{
		"Latte":     map[string]any{"type": "hot", "roast": "dark"},
		"Cold brew": map[string]any{"type": "cold", "roast": "light"},
	},
}

// plainAt is a one-line plain scalar that starts at line 10, column 9, as
// in "reward: <formula>".
var plainAt = Position{File: "coffee.yaml", Line: 10, Column: 9}

// blockAt is a literal block whose first line is line 21, indented by 2.
var blockAt = Position{File: "coffee.yaml", Line: 21, Block: true, Indent: 2}

func TestCompileErrorPositions(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		pos   Position
		opts  []Option
		first string // the error's first line
	}{
		{
			name:  "plain type error",
			src:   `0.7 * (action.id == expected)`,
			pos:   plainAt,
			opts:  []Option{WithExpected()},
			first: "coffee.yaml:10:13: invalid operation: * (mismatched types float64 and bool)",
		},
		{
			name:  "plain unknown name",
			src:   `action.id == favourite ? 1 : 0`,
			pos:   plainAt,
			first: "coffee.yaml:10:22: unknown name favourite",
		},
		{
			name:  "block syntax error on line 2",
			src:   "action.id == expected\n  ? 1 * : 0\n",
			pos:   blockAt,
			opts:  []Option{WithExpected()},
			first: `coffee.yaml:22:11: unexpected token Operator(":")`,
		},
		{
			name:  "block unknown name on line 3",
			src:   "let hot = action.features.type == \"hot\";\n\nhot && wet ? 1 : 0\n",
			pos:   blockAt,
			first: "coffee.yaml:23:10: unknown name wet",
		},
		{
			name:  "quoted scalar mapped from the opening quote",
			src:   `1 + nope`,
			pos:   Position{File: "coffee.yaml", Line: 4, Column: 10},
			first: "coffee.yaml:4:14: unknown name nope",
		},
		{
			name:  "approximate position names the formula column",
			src:   `1 + nope`,
			pos:   Position{File: "coffee.yaml", Line: 4, Column: 9, Approximate: true},
			first: "coffee.yaml:4:9: unknown name nope (formula line 1, column 5)",
		},
		{
			name:  "expected without an expected formula",
			src:   `action.id == expected ? 1 : 0`,
			pos:   plainAt,
			first: "coffee.yaml:10:22: expected is not defined: define an expected formula in the experiment to use it",
		},
		{
			name:  "bool result",
			src:   `action.id == "Latte"`,
			pos:   plainAt,
			first: "coffee.yaml:10:9: the reward formula returns a bool; it must return a number: write cond ? 1 : 0, or num(cond)",
		},
		{
			name:  "string result",
			src:   `action.id`,
			pos:   plainAt,
			first: "coffee.yaml:10:9: the reward formula returns string; it must return a number",
		},
		{
			name:  "constant string result",
			src:   `"a" + "b"`,
			pos:   plainAt,
			first: "coffee.yaml:10:9: the reward formula returns string; it must return a number",
		},
		{
			name:  "nil result",
			src:   `nil`,
			pos:   plainAt,
			first: "coffee.yaml:10:9: the reward formula returns nil; it must return a number",
		},
		{
			name:  "clock disabled",
			src:   `now().Hour() < 12 ? 1 : 0`,
			pos:   plainAt,
			first: "coffee.yaml:10:9: now() is disabled: formulas must not read the clock, so a run replays exactly from its seed; use event for the event's position in the run",
		},
		{
			name:  "date disabled",
			src:   `event > 0 && date("2026-01-01").Year() > 2000 ? 1 : 0`,
			pos:   plainAt,
			first: "coffee.yaml:10:22: date() is disabled: formulas must not read the clock, so a run replays exactly from its seed; use event for the event's position in the run",
		},
		{
			name:  "let hides an environment name",
			src:   `let event = 3; event / 10`,
			pos:   plainAt,
			first: "coffee.yaml:10:13: let event hides the name event; choose another variable name",
		},
		{
			name:  "let hides a dataset",
			src:   `let coffees = 1; coffees`,
			pos:   plainAt,
			first: "coffee.yaml:10:13: let coffees hides the name coffees; choose another variable name",
		},
		{
			name:  "env variable",
			src:   `$env.probability`,
			pos:   plainAt,
			first: "coffee.yaml:10:9: $env is not supported: read context, action, ranking, probability, event, expected and the datasets by name",
		},
		{
			name:  "num of a number",
			src:   `num(probability)`,
			pos:   plainAt,
			first: "coffee.yaml:10:13: cannot use float64 as argument (type bool) to call num ",
		},
		{
			name:  "weighted with an odd argument count",
			src:   `weighted(0.5, probability > 0.1, 0.5)`,
			pos:   plainAt,
			first: "coffee.yaml:10:9: weighted takes pairs of a number and a bool: weighted(weight1, condition1, weight2, condition2, ...); got 3 arguments",
		},
		{
			name:  "weighted with a number as condition",
			src:   `weighted(0.5, probability)`,
			pos:   plainAt,
			first: "coffee.yaml:10:9: weighted takes pairs of a number and a bool: weighted(weight1, condition1, weight2, condition2, ...); condition 1 is float64",
		},
		{
			name:  "weighted with a string as weight",
			src:   `weighted(action.id, true)`,
			pos:   plainAt,
			first: "coffee.yaml:10:9: weighted takes pairs of a number and a bool: weighted(weight1, condition1, weight2, condition2, ...); weight 1 is string",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.src, tt.pos, coffeeDatasets, tt.opts...)
			if err == nil {
				t.Fatalf("Compile(%q) succeeded, want error %q", tt.src, tt.first)
			}
			var ferr *Error
			if !errors.As(err, &ferr) {
				t.Fatalf("Compile(%q) error is %T, want *Error", tt.src, err)
			}
			first, _, _ := strings.Cut(err.Error(), "\n")
			if first != tt.first {
				t.Errorf("Compile(%q) error\n got: %s\nwant: %s", tt.src, first, tt.first)
			}
		})
	}
}

func TestCompileErrorSnippet(t *testing.T) {
	_, err := Compile("action.id == expected\n  ? 1 * : 0\n", blockAt, nil, WithExpected())
	if err == nil {
		t.Fatal("Compile succeeded, want a syntax error")
	}
	want := "coffee.yaml:22:11: unexpected token Operator(\":\")\n |   ? 1 * : 0\n | ........^"
	if err.Error() != want {
		t.Errorf("error\n got: %s\nwant: %s", err, want)
	}

	var ferr *Error
	if !errors.As(err, &ferr) {
		t.Fatalf("error is %T, want *Error", err)
	}
	if ferr.FormulaLine != 2 || ferr.FormulaColumn != 9 {
		t.Errorf("formula position = %d:%d, want 2:9", ferr.FormulaLine, ferr.FormulaColumn)
	}
}

func TestCompileMaxNodes(t *testing.T) {
	src := "probability" + strings.Repeat(" + probability", MaxNodes)
	_, err := Compile(src, plainAt, nil)
	if err == nil {
		t.Fatalf("Compile of %d nodes succeeded, want an error", 2*MaxNodes+1)
	}
	if !strings.Contains(err.Error(), "exceeds maximum allowed nodes") {
		t.Errorf("error = %v, want the node limit", err)
	}
}

func TestCompileAcceptsNumbers(t *testing.T) {
	for _, src := range []string{
		`action.id == expected ? 1 : 0`,
		`action.id == expected ? 1 : 0.5`,
		`num(action.id == expected)`,
		`weighted(0.5, action.id == expected, 0.5, action.features.type == coffees[expected].type)`,
		`preferences[context.name][context.weather][context.timeofday] == action.id ? 1 : 0`,
		`len(ranking) > 0 ? ranking[0].probability : 0`,
		`probability`,
		`event / 4000`,
		`context.bonus ?? 0`,
	} {
		if _, err := Compile(src, plainAt, coffeeDatasets, WithExpected()); err != nil {
			t.Errorf("Compile(%q): %v", src, err)
		}
	}
}

func TestCompileExpected(t *testing.T) {
	f, err := CompileExpected(`preferences[context.name][context.weather][context.timeofday]`, plainAt, coffeeDatasets)
	if err != nil {
		t.Fatalf("CompileExpected: %v", err)
	}
	if !f.Uses("preferences") || !f.Uses("context") {
		t.Errorf("Uses(preferences), Uses(context) = %v, %v, want true, true", f.Uses("preferences"), f.Uses("context"))
	}

	for _, name := range []string{"action", "ranking", "probability", "expected"} {
		t.Run(name, func(t *testing.T) {
			src := "context.name + string(" + name + ")"
			_, err := CompileExpected(src, plainAt, coffeeDatasets)
			want := "coffee.yaml:10:31: " + name + " is not defined in the expected formula: it describes the context before any action is chosen"
			if err == nil {
				t.Fatalf("CompileExpected(%q) succeeded, want %q", src, want)
			}
			if first, _, _ := strings.Cut(err.Error(), "\n"); first != want {
				t.Errorf("error\n got: %s\nwant: %s", first, want)
			}
		})
	}
}

func TestCompileDatasetNames(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"event", `dataset name "event" is reserved in formulas; choose another name`},
		{"len", `dataset name "len" is reserved in formulas; choose another name`},
		{"weighted", `dataset name "weighted" is reserved in formulas; choose another name`},
		{"matches", `dataset name "matches" is reserved in formulas; choose another name`},
		{"2coffees", `dataset name "2coffees" is not an identifier: use letters, digits and underscores, not starting with a digit`},
		{"coffee-prefs", `dataset name "coffee-prefs" is not an identifier: use letters, digits and underscores, not starting with a digit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckName(tt.name); err == nil || err.Error() != tt.want {
				t.Errorf("CheckName(%q) = %v, want %q", tt.name, err, tt.want)
			}
			_, err := Compile(`1`, plainAt, map[string]any{tt.name: 1})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Compile with dataset %q: error %v, want %q", tt.name, err, tt.want)
			}
		})
	}

	if err := CheckName("coffee_prefs2"); err != nil {
		t.Errorf("CheckName(coffee_prefs2) = %v, want nil", err)
	}
}

func TestUses(t *testing.T) {
	tests := []struct {
		src  string
		uses []string
		not  []string
	}{
		{`action.id == expected ? 1 : 0`, []string{"action", "expected"}, []string{"probability", "ranking", "event", "context"}},
		{`probability > 0.5 ? 1 : 0`, []string{"probability"}, []string{"action", "ranking", "event"}},
		{`ranking[0].id == action.id ? 1 : 0`, []string{"ranking", "action"}, []string{"probability"}},
		{`any(ranking, .probability > 0.9) ? 1 : 0`, []string{"ranking"}, []string{"probability"}},
		{`event < 100 ? 0 : 1`, []string{"event"}, []string{"action"}},
		{`context.probability ?? 0`, []string{"context"}, []string{"probability"}},
		{`coffees[action.id].type == "hot" ? 1 : 0`, []string{"coffees", "action"}, []string{"preferences"}},
		{`let p = 0.5; p`, nil, []string{"probability", "p"}},
		{`num(action.id == "Latte")`, []string{"num", "action"}, []string{"weighted"}},
	}
	for _, tt := range tests {
		f, err := Compile(tt.src, plainAt, coffeeDatasets, WithExpected())
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.src, err)
			continue
		}
		for _, name := range tt.uses {
			if !f.Uses(name) {
				t.Errorf("%q: Uses(%q) = false, want true", tt.src, name)
			}
		}
		for _, name := range tt.not {
			if f.Uses(name) {
				t.Errorf("%q: Uses(%q) = true, want false", tt.src, name)
			}
		}
	}
}
