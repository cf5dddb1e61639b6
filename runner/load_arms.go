package runner

import (
	"maps"
	"strings"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/reward"
	"go.yaml.in/yaml/v3"
)

// Keys of the personalizer and rewards sections.
var (
	personalizerKeys = []string{
		"backend", "policy", "exploration", "model_update_every", "reward_wait",
		"default_reward", "reward_aggregation", "defer_activation", "apply_settings",
	}
	rewardsKeys = []string{"delay", "loss", "activation"}
	delayKeys   = []string{"values", "weights"}

	backends     = []string{"local", "http"}
	aggregations = []string{"earliest", "sum", "average"}
)

// decodeArm reads one arm from its merged keys. Missing required keys were
// reported by requireKeys.
func (l *loader) decodeArm(name string, ps []pair) *Arm {
	arm := &Arm{Name: name, Threshold: defaultThreshold}

	datasets, failed := l.decodeDatasets(lookup(ps, "datasets"))
	arm.Datasets = datasets
	// byName binds a dataset that failed to load to nil, so that its uses
	// report no second error.
	byName := map[string]*Dataset{}
	values := map[string]any{}
	for _, d := range datasets {
		byName[d.Name] = d
		values[d.Name] = d.Value
	}
	for _, name := range failed {
		byName[name] = nil
	}

	var declared []declaredVar
	if n := lookup(ps, "context"); n != nil {
		declared = l.decodeContext(n, byName)
		arm.Context = loadedVars(declared)
		l.checkColumns(name, declared)
	}
	actionsLoaded := false
	if n := lookup(ps, "actions"); n != nil {
		arm.Actions, actionsLoaded = l.decodeActions(n, byName)
	}

	if n := lookup(ps, "clamp_rewards"); n != nil {
		arm.ClampRewards, _ = l.boolean(n, "clamp_rewards")
	}
	if n := lookup(ps, "threshold"); n != nil {
		if v, ok := l.number(n, "threshold"); ok {
			if v < -1 || v > 1 {
				l.add(n.Line, n.Column, "threshold must be in [-1, 1], the range of a reward, got %v", v)
			}
			arm.Threshold = v
		}
	}
	opts := []reward.Option{reward.WithUnloadedDatasets(formulaNames(failed)...)}
	// The top level's context and actions are checked against the arms,
	// which may replace them.
	if !l.topLevel {
		opts = append(opts, reward.WithContext(formulaContext(declared)...))
		if actionsLoaded {
			opts = append(opts, reward.WithActionFeatures(actionFeatures(arm.Actions)...))
		}
	}
	l.decodeFormulas(arm, ps, values, opts)

	var activation *yaml.Node
	arm.Rewards, activation = l.decodeRewards(lookup(ps, "rewards"))
	arm.Personalizer = l.decodePersonalizer(lookup(ps, "personalizer"), arm.Rewards)
	if activation != nil && !arm.Personalizer.DeferActivation && !l.topLevel {
		l.add(activation.Line, activation.Column, "rewards.activation applies only to deferred events: set personalizer.defer_activation: true, or remove it")
	}
	return arm
}

// decodeFormulas compiles the expected and reward formulas against the
// arm's datasets, with opts that declare what else they may read.
func (l *loader) decodeFormulas(arm *Arm, ps []pair, datasets map[string]any, opts []reward.Option) {
	if p, ok := lookupPair(ps, "expected"); ok {
		arm.Expected = l.formula(p.key, p.value, func(src string, pos reward.Position) (*reward.Formula, error) {
			return reward.CompileExpected(src, pos, datasets, opts...)
		})
		opts = append(opts, reward.WithExpected())
	}

	if arm.ClampRewards {
		opts = append(opts, reward.Clamp())
	}
	if p, ok := lookupPair(ps, "reward"); ok {
		arm.Reward = l.formula(p.key, p.value, func(src string, pos reward.Position) (*reward.Formula, error) {
			return reward.Compile(src, pos, datasets, opts...)
		})
	}
}

// formulaContext returns the context variables as formulas see them. A
// variable that failed to load has no values, so any member of it
// compiles.
func formulaContext(declared []declaredVar) []reward.Variable {
	vars := make([]reward.Variable, 0, len(declared))
	for _, d := range declared {
		v := reward.Variable{Name: d.v.Name}
		switch {
		case !d.ok:
		case d.v.From != nil:
			v.Values = make([]any, len(d.v.From.Rows))
			for i, row := range d.v.From.Rows {
				v.Values[i] = row
			}
		default:
			v.Values = d.v.Values
		}
		vars = append(vars, v)
	}
	return vars
}

// actionFeatures returns each action's features as the one map formulas
// see as action.features.
func actionFeatures(actions []personalizer.RankableAction) []map[string]any {
	out := make([]map[string]any, len(actions))
	for i, a := range actions {
		out[i] = map[string]any{}
		for _, f := range a.Features {
			maps.Copy(out[i], f)
		}
	}
	return out
}

// formulaNames returns the names that formulas can read as datasets.
func formulaNames(names []string) []string {
	var out []string
	for _, name := range names {
		if reward.CheckName(name) == nil {
			out = append(out, name)
		}
	}
	return out
}

// decodePersonalizer reads the personalizer section and fills in the
// defaults. The reward wait defaults to the longest reward delay, so that
// every delayed reward counts unless the experiment sets a shorter wait.
func (l *loader) decodePersonalizer(n *yaml.Node, rewards RewardDelivery) PersonalizerSpec {
	p := PersonalizerSpec{
		Backend:           "local",
		Policy:            personalizer.DefaultPolicyArguments,
		ModelUpdateEvery:  1,
		RewardWait:        maxDelay(rewards),
		RewardAggregation: "earliest",
	}
	if n == nil {
		return p
	}
	ps, ok := l.pairs(n, "personalizer")
	if !ok {
		return p
	}
	l.checkKeys(ps, personalizerKeys, "personalizer")

	if v := lookup(ps, "backend"); v != nil {
		p.Backend = l.oneOf(v, "personalizer.backend", backends)
	}
	if v := lookup(ps, "policy"); v != nil {
		if s, ok := l.str(v, "personalizer.policy"); ok {
			p.Policy = strings.TrimSpace(s)
			if p.Policy == "" {
				l.add(v.Line, v.Column, "personalizer.policy is empty: give Vowpal Wabbit arguments such as %q, or remove the key for that default", personalizer.DefaultPolicyArguments)
			} else if _, err := local.ParsePolicy(p.Policy); err != nil {
				l.add(v.Line, v.Column, "personalizer.policy: %v", err)
			}
		}
	}
	if v := lookup(ps, "exploration"); v != nil {
		if x, ok := l.number(v, "personalizer.exploration"); ok {
			if x < 0 || x > 1 {
				l.add(v.Line, v.Column, "personalizer.exploration must be in [0, 1], the share of events explored, got %v", x)
			}
			p.Exploration = &x
		}
	}
	if v := lookup(ps, "model_update_every"); v != nil {
		if x, ok := l.integer(v, "personalizer.model_update_every"); ok {
			if x < 1 {
				l.add(v.Line, v.Column, "personalizer.model_update_every must be 1 or more events, got %d", x)
			}
			p.ModelUpdateEvery = x
		}
	}
	if v := lookup(ps, "reward_wait"); v != nil {
		if x, ok := l.integer(v, "personalizer.reward_wait"); ok {
			if x < 0 {
				l.add(v.Line, v.Column, "personalizer.reward_wait must be 0 or more events, got %d", x)
			}
			p.RewardWait = x
		}
	}
	if v := lookup(ps, "default_reward"); v != nil {
		if x, ok := l.number(v, "personalizer.default_reward"); ok {
			if x < -1 || x > 1 {
				l.add(v.Line, v.Column, "personalizer.default_reward must be in [-1, 1], got %v", x)
			}
			p.DefaultReward = x
		}
	}
	if v := lookup(ps, "reward_aggregation"); v != nil {
		p.RewardAggregation = l.oneOf(v, "personalizer.reward_aggregation", aggregations)
	}
	if v := lookup(ps, "defer_activation"); v != nil {
		p.DeferActivation, _ = l.boolean(v, "personalizer.defer_activation")
	}
	if v := lookup(ps, "apply_settings"); v != nil {
		p.ApplySettings, _ = l.boolean(v, "personalizer.apply_settings")
		if p.ApplySettings && p.Backend != "http" && !l.topLevel {
			l.add(v.Line, v.Column, "personalizer.apply_settings applies only to backend http: the local backend always runs with the arm's settings")
		}
	}
	return p
}

// oneOf returns a scalar that must be one of choices.
func (l *loader) oneOf(n *yaml.Node, what string, choices []string) string {
	s, ok := l.str(n, what)
	if !ok {
		return ""
	}
	for _, c := range choices {
		if s == c {
			return s
		}
	}
	l.add(n.Line, n.Column, "%s must be one of %s, got %q%s", what, strings.Join(choices, ", "), s, suggest(s, choices))
	return s
}

// maxDelay returns the longest delay in events that d can give a reward.
func maxDelay(d RewardDelivery) int {
	longest := d.Delay
	for _, v := range d.DelayValues {
		longest = max(longest, v)
	}
	return longest
}

// decodeRewards reads the rewards section, which simulates rewards that
// arrive late, never, or for events never activated. It also returns the
// activation node, which needs deferred activation.
func (l *loader) decodeRewards(n *yaml.Node) (d RewardDelivery, activation *yaml.Node) {
	d.ActivationProbability = 1
	if n == nil {
		return d, nil
	}
	ps, ok := l.pairs(n, "rewards")
	if !ok {
		return d, nil
	}
	l.checkKeys(ps, rewardsKeys, "rewards")

	if v := lookup(ps, "delay"); v != nil {
		l.decodeDelay(v, &d)
	}
	if v := lookup(ps, "loss"); v != nil {
		if x, ok := l.number(v, "rewards.loss"); ok {
			if x < 0 || x > 1 {
				l.add(v.Line, v.Column, "rewards.loss must be a probability in [0, 1], got %v", x)
			}
			d.LossProbability = x
		}
	}
	if v := lookup(ps, "activation"); v != nil {
		if x, ok := l.number(v, "rewards.activation"); ok {
			if x < 0 || x > 1 {
				l.add(v.Line, v.Column, "rewards.activation must be a probability in [0, 1], got %v", x)
			}
			d.ActivationProbability = x
		}
		activation = v
	}
	return d, activation
}

// decodeDelay reads rewards.delay: a number of events, or a distribution
// {values: [...], weights: [...]} whose weights default to equal.
func (l *loader) decodeDelay(n *yaml.Node, d *RewardDelivery) {
	if deref(n).Kind != yaml.MappingNode {
		if x, ok := l.integer(n, "rewards.delay"); ok {
			if x < 0 {
				l.add(n.Line, n.Column, "rewards.delay must be 0 or more events, got %d", x)
			}
			d.Delay = x
		}
		return
	}

	ps, _ := l.pairs(n, "rewards.delay")
	l.checkKeys(ps, delayKeys, "rewards.delay")
	valuesNode := lookup(ps, "values")
	if valuesNode == nil {
		l.add(n.Line, n.Column, "rewards.delay needs values: a list of delays in events, such as [0, 5, 50]")
		return
	}
	for _, c := range l.list(valuesNode, "rewards.delay.values") {
		if x, ok := l.integer(c, "a delay"); ok {
			if x < 0 {
				l.add(c.Line, c.Column, "a delay must be 0 or more events, got %d", x)
			}
			d.DelayValues = append(d.DelayValues, x)
		}
	}

	weightsNode := lookup(ps, "weights")
	if weightsNode == nil {
		for range d.DelayValues {
			d.DelayWeights = append(d.DelayWeights, 1/float64(len(d.DelayValues)))
		}
		return
	}
	var weights []float64
	for _, c := range l.list(weightsNode, "rewards.delay.weights") {
		weights = append(weights, l.weight(c, "a delay weight"))
	}
	if len(weights) != len(deref(valuesNode).Content) {
		l.add(weightsNode.Line, weightsNode.Column, "rewards.delay has %d values but %d weights: give one weight per value", len(deref(valuesNode).Content), len(weights))
		return
	}
	d.DelayWeights = normalise(weights)
}

// list returns the items of a sequence node, reporting an empty list or a
// value that is not a list.
func (l *loader) list(n *yaml.Node, what string) []*yaml.Node {
	n = deref(n)
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		l.add(n.Line, n.Column, "%s must be a list of at least one value, got %s", what, kindName(n))
		return nil
	}
	return n.Content
}

// weight returns a positive finite weight, or 0 after reporting it.
func (l *loader) weight(n *yaml.Node, what string) float64 {
	x, ok := l.number(n, what)
	if !ok {
		return 0
	}
	if x <= 0 {
		l.add(n.Line, n.Column, "%s must be greater than 0, got %v", what, x)
		return 0
	}
	return x
}

// normalise scales positive weights to sum to 1.
func normalise(weights []float64) []float64 {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	out := make([]float64, len(weights))
	if total <= 0 {
		return out
	}
	for i, w := range weights {
		out[i] = w / total
	}
	return out
}
