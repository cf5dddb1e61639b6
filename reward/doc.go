// Package reward compiles and evaluates the formulas of an experiment: the
// reward formula, which scores the action the loop chose for an event, and
// the expected formula, which names the value a context calls for, such as
// the preferred action. Formulas are expr expressions
// (github.com/expr-lang/expr), compiled once when the experiment is loaded
// and evaluated for every event.
//
// # Names
//
// A formula reads these top-level names, checked at compile time against
// the types of [Env]:
//
//	context      map[string]any   the drawn context; a row drawn from a
//	                              dataset is a nested map
//	action       {id, features}   the action being scored; features is
//	                              the action's features as one map
//	ranking      [{id, probability}]  the loop's ranking, best first
//	probability  float64          the probability of the chosen action
//	event        int              the 0-based event index in the run
//	expected     any              the expected formula's value, only when
//	                              the experiment defines one
//
// Every dataset is a top-level name too, bound to its value when the
// formula is compiled: preferences[context.name] reads the preferences
// dataset. The expected formula may read context, event and the datasets.
//
// # Rewards are numbers
//
// A reward formula must return a number in [-1, 1]. A comparison is a
// bool, and expr never turns a bool into a number: 0.7 * (a == b) fails to
// compile. Write the ternary instead,
//
//	action.id == expected ? 1 : 0
//
// or call num, which returns 1 for true and 0 for false. For rules that
// give partial credit, weighted(w1, c1, w2, c2, ...) returns the sum of the
// weights whose condition is true:
//
//	action.id == expected ? 1 : weighted(0.3, action.features.type == coffees[expected].type,
//	                                     0.2, action.features.roast == coffees[expected].roast)
//
// A map lookup of a missing key gives nil; a ?? b replaces nil with b.
//
// # Checks
//
// Compile rejects unknown names, type errors, a result that is not a
// number, and formulas of more than [MaxNodes] nodes. The builtins now and
// date are disabled, so that a run replays from its seed. Every compile
// error is an [*Error] positioned in the experiment file.
//
// [Formula.Reward] checks each value: nil, a non-number, NaN, an infinity
// or a value outside [-1, 1] is a [*ValueError], unless the formula was
// compiled with [Clamp], which clamps finite values into the range.
package reward
