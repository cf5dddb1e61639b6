package reward

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
)

func latteEnv() *Env {
	return &Env{
		Context: map[string]any{"name": "Alice", "weather": "Rainy", "timeofday": "Morning"},
		Action: Action{ID: "Cold brew", Features: map[string]any{
			"type": "cold", "roast": "light", "organic": "yes", "strength": 3.0,
		}},
		Ranking:     []Ranked{{ID: "Cold brew", Probability: 0.85}, {ID: "Latte", Probability: 0.15}},
		Probability: 0.85,
		Event:       42,
		Expected:    "Latte",
	}
}

func TestRewardValues(t *testing.T) {
	tests := []struct {
		src  string
		want float64
	}{
		{`action.id == expected ? 1 : 0`, 0},
		{`action.id == "Cold brew" ? 1 : 0`, 1},
		{`action.id == "Cold brew" ? 0.5 : 1`, 0.5},
		{`num(action.id != expected) * 0.25`, 0.25},
		{`weighted(0.3, action.features.type == coffees[expected].type, 0.2, action.features.roast == "light")`, 0.2},
		{`weighted(0.5, true, 0.25, true, -0.5, false)`, 0.75},
		{`action.features.strength / 10`, 0.3},
		{`ranking[1].id == expected ? ranking[1].probability : 0`, 0.15},
		{`probability - 0.05`, 0.8},
		{`event / 100`, 0.42},
		{`context.bonus ?? -0.5`, -0.5},
		{`preferences[context.name][context.weather][context.timeofday] == "Latte" ? 1 : 0`, 1},
		{`-1`, -1},
	}
	var m Machine
	for _, tt := range tests {
		f, err := Compile(tt.src, plainAt, coffeeDatasets, WithExpected())
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.src, err)
			continue
		}
		got, clamped, err := f.Reward(&m, latteEnv())
		if err != nil {
			t.Errorf("Reward(%q): %v", tt.src, err)
			continue
		}
		if math.Abs(got-tt.want) > 1e-12 || clamped {
			t.Errorf("Reward(%q) = %v, %v, want %v, false", tt.src, got, clamped, tt.want)
		}
	}
}

func TestRewardValueErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		value any
		msg   string
	}{
		{"missing key", `context.bonus`, nil, "formula returned nil: not a number: a key the formula reads is probably missing; use a ?? b for a default"},
		{"bool from any", `context.vip`, true, "formula returned true: not a number: write cond ? 1 : 0, or num(cond)"},
		{"string from any", `context.name`, "Alice", `formula returned the string "Alice": not a number`},
		{"map from dataset", `preferences[context.name]`, nil, "not a number"},
		{"NaN", `context.zero / context.zero`, math.NaN(), "formula returned NaN: a reward must be a finite number"},
		{"infinity", `1 / context.zero`, math.Inf(1), "formula returned +Inf: a reward must be a finite number"},
		{"above range", `1.5`, 1.5, "formula returned 1.5: outside [-1, 1]: scale the formula, or set clamp_rewards: true to cut values to the range"},
		{"below range", `-2`, -2, "formula returned -2: outside [-1, 1]: scale the formula, or set clamp_rewards: true to cut values to the range"},
		{"int above range", `event`, 42, "formula returned 42: outside [-1, 1]"},
	}

	env := latteEnv()
	env.Context["vip"] = true
	env.Context["zero"] = 0.0
	var m Machine
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Compile(tt.src, plainAt, coffeeDatasets, WithExpected())
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.src, err)
			}
			_, _, err = f.Reward(&m, env)
			var verr *ValueError
			if !errors.As(err, &verr) {
				t.Fatalf("Reward(%q) error = %v (%T), want *ValueError", tt.src, err, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Reward(%q) error\n got: %v\nwant: %s", tt.src, err, tt.msg)
			}
			if tt.value != nil && !sameValue(verr.Value, tt.value) {
				t.Errorf("ValueError.Value = %#v, want %#v", verr.Value, tt.value)
			}
		})
	}
}

// sameValue compares two values, NaN equal to NaN.
func sameValue(a, b any) bool {
	fa, aok := a.(float64)
	fb, bok := b.(float64)
	if aok && bok && math.IsNaN(fa) && math.IsNaN(fb) {
		return true
	}
	return a == b
}

func TestRewardClamp(t *testing.T) {
	tests := []struct {
		src     string
		want    float64
		clamped bool
	}{
		{`1.5`, 1, true},
		{`-3`, -1, true},
		{`event`, 1, true},
		{`0.5`, 0.5, false},
		{`1`, 1, false},
		{`-1`, -1, false},
	}
	var m Machine
	for _, tt := range tests {
		f, err := Compile(tt.src, plainAt, nil, Clamp())
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.src, err)
		}
		if !f.Clamps() {
			t.Errorf("Compile(%q, Clamp()).Clamps() = false", tt.src)
		}
		got, clamped, err := f.Reward(&m, latteEnv())
		if err != nil {
			t.Errorf("Reward(%q): %v", tt.src, err)
			continue
		}
		if got != tt.want || clamped != tt.clamped {
			t.Errorf("Reward(%q) = %v, %v, want %v, %v", tt.src, got, clamped, tt.want, tt.clamped)
		}
	}

	// Clamping never hides a value that is not a finite number.
	f, err := Compile(`1 / context.zero`, plainAt, nil, Clamp())
	if err != nil {
		t.Fatal(err)
	}
	env := latteEnv()
	env.Context["zero"] = 0.0
	var verr *ValueError
	if _, _, err := f.Reward(&m, env); !errors.As(err, &verr) {
		t.Errorf("clamped Reward(1 / 0) error = %v, want *ValueError", err)
	}
}

func TestRewardRuntimeError(t *testing.T) {
	f, err := Compile(`weighted(0.5, action.features.organic)`, plainAt, nil)
	if err != nil {
		t.Fatal(err)
	}
	var m Machine
	_, _, err = f.Reward(&m, latteEnv())

	var ferr *Error
	if !errors.As(err, &ferr) {
		t.Fatalf("Reward error = %v (%T), want *Error", err, err)
	}
	want := `coffee.yaml:10:9: weighted: condition 1 is the string "yes", not a bool`
	if first, _, _ := strings.Cut(err.Error(), "\n"); first != want {
		t.Errorf("error\n got: %s\nwant: %s", first, want)
	}
}

func TestValue(t *testing.T) {
	f, err := CompileExpected(`preferences[context.name][context.weather][context.timeofday]`, plainAt, coffeeDatasets)
	if err != nil {
		t.Fatal(err)
	}
	var m Machine
	env := latteEnv()
	got, err := f.Value(&m, env)
	if err != nil || got != "Latte" {
		t.Errorf("Value = %v, %v, want Latte, nil", got, err)
	}

	// The last lookup misses: nil.
	env.Context["timeofday"] = "Night"
	got, err = f.Value(&m, env)
	var verr *ValueError
	if !errors.As(err, &verr) {
		t.Errorf("Value for a missing time of day = %v, %v, want a *ValueError", got, err)
	}

	// A lookup in the nil that a missing customer gives fails at its
	// position.
	env.Context["name"] = "Zoe"
	got, err = f.Value(&m, env)
	want := "coffee.yaml:10:34: cannot fetch Rainy from <nil>"
	var ferr *Error
	if !errors.As(err, &ferr) {
		t.Fatalf("Value for a missing customer = %v, %v, want an *Error", got, err)
	}
	if first, _, _ := strings.Cut(err.Error(), "\n"); first != want {
		t.Errorf("error\n got: %s\nwant: %s", first, want)
	}
}

func TestFormulaConcurrentUse(t *testing.T) {
	f, err := Compile(`action.id == expected ? 1 : probability`, plainAt, nil, WithExpected())
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make([]error, 4)
	for w := range errs {
		wg.Go(func() {
			var m Machine
			env := latteEnv()
			for i := range 1000 {
				env.Probability = float64(i%100) / 100
				got, _, err := f.Reward(&m, env)
				if err == nil && got != env.Probability {
					err = errors.New("reward differs from the probability it should return")
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", w, err)
		}
	}
}
