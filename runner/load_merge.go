package runner

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// replacedWhole lists the maps that an arm's value replaces instead of
// merging into, as paths where * stands for any key. The parts of a context
// variable, of a dataset and of a delay distribution only make sense
// together.
var replacedWhole = []string{"context.*", "datasets.*", "rewards.delay"}

// mergePairs returns base with an arm's overrides merged in. A map
// overriding a map merges key by key, recursively, except at the paths of
// replacedWhole. Any other value replaces the base value, so lists are
// replaced whole, and a null removes the key. Keys new to the base follow
// in the arm's order. path is the dotted path of the map that base belongs
// to, "" at the top level.
func mergePairs(base, overrides []pair, path string) []pair {
	out := make([]pair, 0, len(base)+len(overrides))
	for _, b := range base {
		o, ok := lookupPair(overrides, b.key.Value)
		keyPath := joinPath(path, b.key.Value)
		switch {
		case !ok:
			out = append(out, b)
		case isNull(o.value):
			// The arm removes the key.
		case deref(b.value).Kind == yaml.MappingNode && deref(o.value).Kind == yaml.MappingNode && !isReplacedWhole(keyPath):
			out = append(out, pair{key: o.key, value: mergeMaps(deref(b.value), deref(o.value), keyPath)})
		default:
			out = append(out, o)
		}
	}

	for _, o := range overrides {
		if _, inBase := lookupPair(base, o.key.Value); !inBase && !isNull(o.value) {
			out = append(out, o)
		}
	}
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// isReplacedWhole reports whether path matches a pattern of replacedWhole.
func isReplacedWhole(path string) bool {
	for _, pattern := range replacedWhole {
		prefix, wildcard := strings.CutSuffix(pattern, "*")
		if path == pattern || wildcard && strings.HasPrefix(path, prefix) && !strings.Contains(path[len(prefix):], ".") {
			return true
		}
	}
	return false
}

// mergeMaps returns a new mapping node with over merged into base as
// mergePairs does. The nodes inside keep their positions.
func mergeMaps(base, over *yaml.Node, path string) *yaml.Node {
	merged := mergePairs(mappingPairs(base), mappingPairs(over), path)
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: over.Line, Column: over.Column}
	for _, p := range merged {
		out.Content = append(out.Content, p.key, p.value)
	}
	return out
}

// mappingPairs returns a mapping node's pairs without any check.
func mappingPairs(n *yaml.Node) []pair {
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, pair{key: n.Content[i], value: n.Content[i+1]})
	}
	return out
}

func lookupPair(ps []pair, key string) (pair, bool) {
	for _, p := range ps {
		if p.key.Value == key {
			return p, true
		}
	}
	return pair{}, false
}

// resolve returns the experiment as plain values for the manifest: the
// grid, then every arm with its overrides merged and defaults filled in.
func resolve(exp *Experiment) map[string]any {
	arms := make([]any, 0, len(exp.Arms))
	for _, arm := range exp.Arms {
		arms = append(arms, resolveArm(arm))
	}
	return map[string]any{
		"name":        exp.Name,
		"description": exp.Description,
		"seed":        exp.Seed,
		"events":      exp.Events,
		"batch_size":  exp.BatchSize,
		"repetitions": exp.Repetitions,
		"arms":        arms,
	}
}

func resolveArm(arm *Arm) map[string]any {
	datasets := map[string]any{}
	for _, d := range arm.Datasets {
		source := map[string]any{"file": d.Path}
		if d.Key != "" {
			source["key"] = d.Key
		}
		datasets[d.Name] = source
	}

	context := make([]any, 0, len(arm.Context))
	for _, v := range arm.Context {
		if v.From != nil {
			context = append(context, map[string]any{"name": v.Name, "from": v.From.Name})
			continue
		}
		context = append(context, map[string]any{"name": v.Name, "values": v.Values, "weights": v.Weights})
	}

	actions := make([]any, 0, len(arm.Actions))
	for _, a := range arm.Actions {
		actions = append(actions, map[string]any{"id": a.ID, "features": a.Features})
	}

	out := map[string]any{
		"name":          arm.Name,
		"description":   arm.Description,
		"datasets":      datasets,
		"context":       context,
		"actions":       actions,
		"clamp_rewards": arm.ClampRewards,
		"threshold":     arm.Threshold,
		"personalizer":  resolvePersonalizer(arm.Personalizer),
		"rewards":       resolveRewards(arm.Rewards),
	}
	if arm.Expected != nil {
		out["expected"] = arm.Expected.Source()
	}
	if arm.Reward != nil {
		out["reward"] = arm.Reward.Source()
	}
	return out
}

func resolvePersonalizer(p PersonalizerSpec) map[string]any {
	out := map[string]any{
		"backend":            p.Backend,
		"policy":             p.Policy,
		"model_update_every": p.ModelUpdateEvery,
		"reward_wait":        p.RewardWait,
		"default_reward":     p.DefaultReward,
		"reward_aggregation": p.RewardAggregation,
		"defer_activation":   p.DeferActivation,
		"apply_settings":     p.ApplySettings,
	}
	if p.Exploration != nil {
		out["exploration"] = *p.Exploration
	}
	return out
}

func resolveRewards(d RewardDelivery) map[string]any {
	out := map[string]any{
		"loss":       d.LossProbability,
		"activation": d.ActivationProbability,
	}
	if len(d.DelayValues) > 0 {
		out["delay"] = map[string]any{"values": d.DelayValues, "weights": d.DelayWeights}
	} else {
		out["delay"] = d.Delay
	}
	return out
}
