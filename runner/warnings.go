package runner

import (
	"fmt"

	"github.com/rankloop/rankloop/personalizer/local"
)

// interactionWarnings lists, for every arm, the policy interactions that
// name a namespace none of the arm's examples has: such an interaction
// adds no feature, which usually means a misspelt namespace letter. Every
// context of the arm has the same variables, so the first value of each
// stands for all of them.
func interactionWarnings(exp *Experiment) []string {
	var warnings []string
	for _, arm := range exp.Arms {
		loop, err := local.New(local.Options{Policy: arm.Personalizer.Policy, Exploration: arm.Personalizer.Exploration, ModelUpdateEvery: 1})
		if err != nil {
			// Load already reported an invalid policy.
			continue
		}
		actions, err := loop.PrepareActions(arm.Actions)
		if err != nil {
			continue
		}
		sampler := NewSampler(arm.Context)
		first := make([]int, len(arm.Context))
		ctx, err := loop.PrepareContext(sampler.ContextFeatures(first))
		if err != nil {
			continue
		}
		for _, term := range loop.UnusedInteractions(ctx, actions) {
			warnings = append(warnings, fmt.Sprintf("%s: arm %q: interaction %q names a namespace no context or action has, so it adds no feature (flat context features are namespace F, flat action features j, a nested object its key's first letter)",
				exp.File, arm.Name, term))
		}
	}
	return warnings
}
