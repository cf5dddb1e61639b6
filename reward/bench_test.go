package reward

import "testing"

// benchEnv is one coffee event: the customer's preferred coffee is Latte
// and the loop chose Cappucino.
func benchEnv() Env {
	return Env{
		Context: map[string]any{"name": "Alice", "weather": "Rainy", "timeofday": "Morning"},
		Action: Action{ID: "Cappucino", Features: map[string]any{
			"type": "hot", "origin": "kenya", "organic": "yes", "roast": "dark",
		}},
		Probability: 0.85,
		Expected:    "Latte",
	}
}

func benchmarkReward(b *testing.B, src string) {
	datasets := map[string]any{
		"coffees": map[string]any{
			"Latte":     map[string]any{"type": "hot", "roast": "dark"},
			"Cappucino": map[string]any{"type": "hot", "roast": "dark"},
		},
	}
	f, err := Compile(src, Position{Line: 1, Column: 1}, datasets, WithExpected())
	if err != nil {
		b.Fatal(err)
	}
	env := benchEnv()
	var m Machine

	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.Reward(&m, &env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRewardExactMatch(b *testing.B) {
	benchmarkReward(b, `action.id == expected ? 1 : 0`)
}

func BenchmarkRewardWeighted(b *testing.B) {
	benchmarkReward(b, `action.id == expected ? 1 : weighted(0.3, action.features.type == coffees[expected].type, 0.2, action.features.roast == coffees[expected].roast)`)
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(`action.id == expected ? 1 : 0`, Position{Line: 1, Column: 1}, nil, WithExpected()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRewardRowsByExpected indexes a dataset that is a list of rows
// by a value of type any, which goes through the dataset's index function.
func BenchmarkRewardRowsByExpected(b *testing.B) {
	datasets := map[string]any{
		"rows": []any{
			map[string]any{"id": "Latte", "type": "hot"},
			map[string]any{"id": "Cappucino", "type": "hot"},
		},
	}
	f, err := Compile(`rows[expected].type == action.features.type ? 1 : 0`, Position{Line: 1, Column: 1}, datasets, WithExpected())
	if err != nil {
		b.Fatal(err)
	}
	env := benchEnv()
	env.Expected = 1
	var m Machine

	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.Reward(&m, &env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileChecked compiles against declared context variables and
// action features, whose names Compile checks.
func BenchmarkCompileChecked(b *testing.B) {
	context := WithContext(
		Variable{Name: "name", Values: []any{"Alice", "Bob", "Cathy", "Dave"}},
		Variable{Name: "weather", Values: []any{"Sunny", "Rainy", "Snowy"}},
	)
	features := WithActionFeatures(
		map[string]any{"type": "hot", "roast": "dark"},
		map[string]any{"type": "cold", "roast": "light"},
	)

	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(`context.name == "Alice" && action.features.type == "hot" ? 1 : 0`, Position{Line: 1, Column: 1}, nil, context, features); err != nil {
			b.Fatal(err)
		}
	}
}
