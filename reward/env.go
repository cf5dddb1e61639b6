package reward

import "github.com/expr-lang/expr/vm"

// Env is the environment a formula reads for one event. Each exported
// field is a top-level name in the formula, spelt as its expr tag. Datasets are not
// fields: Compile binds each dataset's value into the program under its
// own name.
//
// A Reward or Value call reads Env without keeping it, so the caller may
// reuse one Env for every event. Formulas never modify the maps and
// slices Env points to.
type Env struct {
	// Context is the drawn context: each value variable by name, and each
	// row drawn from a dataset as a nested map under its variable's name.
	Context map[string]any `expr:"context"`
	// Action is the action being scored.
	Action Action `expr:"action"`
	// Ranking is the ranking the loop returned for the event. The chosen
	// action is first: the loop swaps it with the best-scored action,
	// which takes the chosen action's place. The others follow by score.
	Ranking []Ranked `expr:"ranking"`
	// Probability is the probability the loop gave Action.
	Probability float64 `expr:"probability"`
	// Event is the event's 0-based index in its run.
	Event int `expr:"event"`
	// Expected is the value of the experiment's expected formula for the
	// event; formulas may read it only when compiled WithExpected.
	Expected any `expr:"expected"`
}

// Action is one candidate action as formulas see it.
type Action struct {
	ID string `expr:"id"`
	// Features are the action's feature objects merged into one map.
	Features map[string]any `expr:"features"`
}

// Ranked is one entry of a ranking: an action and the probability the loop
// gave it.
type Ranked struct {
	ID          string  `expr:"id"`
	Probability float64 `expr:"probability"`
}

// Machine evaluates formulas. It keeps the virtual machine's stack between
// calls, so a worker that evaluates many events should own one Machine.
// The zero value is ready to use. A Machine is not safe for concurrent use;
// a compiled Formula is.
type Machine struct {
	vm vm.VM
}
