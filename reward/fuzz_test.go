package reward

import "testing"

// FuzzCompile compiles arbitrary formulas at arbitrary positions against
// declared context variables, action features and datasets: Compile and
// Reward must return errors, never panic.
func FuzzCompile(f *testing.F) {
	for _, src := range []string{
		"action.id == expected ? 1 : 0",
		"weighted(0.5, probability > 0.1, 0.5, true)",
		"let x = 1;\n x + nope",
		"preferences[context.name]",
		"num(true) / 0",
		"'é' + ",
		"context.shopper.tags[0] == action.features.origin.country ? 1 : 0",
		"rows[expected].type == rows[event % 2].type ? 1 : 0",
		"coffees[expected]?.tpye ?? broken.x",
	} {
		f.Add(src, 3, 9, false)
		f.Add(src, 4, 2, true)
	}

	f.Fuzz(func(t *testing.T, src string, line, indent int, block bool) {
		pos := Position{File: "x.yaml", Line: line, Column: indent + 1, Block: block, Indent: indent}
		formula, err := Compile(src, pos, mergeDatasets(coffeeDatasets, rowDatasets),
			WithExpected(), Clamp(), coffeeContext, coffeeFeatures, WithUnloadedDatasets("broken"))
		if err != nil {
			return
		}
		var m Machine
		_, _, _ = formula.Reward(&m, latteEnv())
	})
}
