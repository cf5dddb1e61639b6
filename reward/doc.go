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
//	ranking      [{id, probability}]  the loop's ranking: the chosen
//	                              action first, the others by score
//	probability  float64          the probability of the chosen action
//	event        int              the 0-based event index in the run
//	expected     any              the expected formula's value, only when
//	                              the experiment defines one
//
// The chosen action is first in ranking even when exploration chose it:
// the loop swaps it with the best-scored action, which takes the chosen
// action's place among the others.
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
// Given [WithContext] and [WithActionFeatures], Compile also rejects a
// name under context or action.features that no context variable or
// action has, such as context.nmae, and a member of a string, number or
// bool, such as context.name.first. A member read with a constant name
// from a dataset must be a key that the dataset's values have, so
// coffees[expected].tpye fails too. A dataset that is a list of rows
// cannot be indexed by a string, and the error names the key column to
// set. It fails to compile when the index is a string, and fails on the
// first event when the index's type is only known then.
//
// [Formula.Reward] checks each value: nil, a non-number, NaN, an infinity
// or a value outside [-1, 1] is a [*ValueError], unless the formula was
// compiled with [Clamp], which clamps finite values into the range.
package reward
