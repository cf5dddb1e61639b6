package reward_test

import (
	"fmt"

	"github.com/rankloop/rankloop/reward"
)

// A reward formula scores the chosen action. The ternary turns the match
// into a number, and weighted gives partial credit when the chosen coffee
// shares the preferred coffee's temperature or roast.
func Example() {
	datasets := map[string]any{
		"coffees": map[string]any{
			"Latte":      map[string]any{"type": "hot", "roast": "dark"},
			"Cappucino":  map[string]any{"type": "hot", "roast": "dark"},
			"Iced mocha": map[string]any{"type": "cold", "roast": "light"},
		},
	}
	src := `action.id == expected ? 1 : weighted(
    0.3, action.features.type == coffees[expected].type,
    0.2, action.features.roast == coffees[expected].roast)`

	f, err := reward.Compile(src, reward.Position{File: "coffee.yaml", Line: 12, Column: 9}, datasets, reward.WithExpected())
	if err != nil {
		fmt.Println(err)
		return
	}

	var m reward.Machine
	env := reward.Env{Expected: "Latte"}
	for _, id := range []string{"Latte", "Cappucino", "Iced mocha"} {
		env.Action = reward.Action{ID: id, Features: datasets["coffees"].(map[string]any)[id].(map[string]any)}
		value, _, err := f.Reward(&m, &env)
		fmt.Println(id, value, err)
	}
	// Output:
	// Latte 1 <nil>
	// Cappucino 0.5 <nil>
	// Iced mocha 0 <nil>
}

// A comparison is a bool, and a bool is not a number: the error points at
// the operator in the experiment file.
func ExampleCompile_boolean() {
	_, err := reward.Compile(`0.7 * (action.id == "Latte")`, reward.Position{File: "coffee.yaml", Line: 12, Column: 9}, nil)
	fmt.Println(err)
	// Output:
	// coffee.yaml:12:13: invalid operation: * (mismatched types float64 and bool)
	//  | 0.7 * (action.id == "Latte")
	//  | ....^
}
