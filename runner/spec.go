package runner

import (
	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/reward"
)

// Experiment is a loaded and validated experiment file: the grid shared by
// every arm, and each arm with its own keys already merged in.
type Experiment struct {
	Name        string
	Description string
	// File is the experiment file's path as given on the command line.
	File        string
	Seed        uint64
	Events      int
	BatchSize   int
	Repetitions int

	// Datasets are listed in file order.
	Datasets []*Dataset
	Arms     []*Arm

	// Inputs are every file the experiment read, with their SHA-256.
	Inputs []Input
	// Warnings are problems that do not stop a run, such as a policy
	// interaction that names a namespace no example has.
	Warnings []string

	// Resolved is the experiment file after arm merging, as plain values
	// for the manifest.
	Resolved map[string]any
}

// Input is one file read by an experiment.
type Input struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Dataset is one entry of the experiment's datasets section.
type Dataset struct {
	Name string
	Path string
	// Value is what reward formulas see under Name: JSON as it is, CSV and
	// JSONL as a list of rows ([]any of map[string]any), or a map of rows
	// by Key when Key is set.
	Value any
	// Rows are the rows of a CSV or JSONL dataset, or of a JSON array of
	// objects, in file order; nil for other JSON values.
	Rows []map[string]any
	Key  string
}

// Arm is one variant of the experiment with every key resolved.
type Arm struct {
	Name        string
	Description string
	// Datasets are the datasets the arm's formulas and context read, in
	// file order.
	Datasets []*Dataset
	Context  []ContextVar
	Actions  []personalizer.RankableAction

	// Expected is nil when the experiment defines no expected value.
	Expected *reward.Formula
	Reward   *reward.Formula
	// ClampRewards clamps out-of-range rewards into [-1, 1] instead of
	// stopping the run.
	ClampRewards bool
	// Threshold is the moving-average reward the summary reports the first
	// crossing of.
	Threshold float64

	Personalizer PersonalizerSpec
	Rewards      RewardDelivery
}

// ContextVar is one context variable, drawn once per event in file order.
type ContextVar struct {
	Name string
	// Values and Weights describe a value list (equal weights) or a
	// weighted map; Weights sum to 1.
	Values  []any
	Weights []float64
	// From names a dataset whose rows are drawn uniformly; each row becomes
	// a nested context object.
	From *Dataset
}

// PersonalizerSpec is the personalizer section of an arm.
type PersonalizerSpec struct {
	Backend string // "local" or "http"
	Policy  string
	// Exploration replaces the policy's --epsilon when set.
	Exploration *float64
	// ModelUpdateEvery is the number of events between serving-model
	// refreshes; 1 learns after every event.
	ModelUpdateEvery int
	// RewardWait is the reward wait time in events: a reward that arrives
	// more events than this after its Rank gets DefaultReward instead. It
	// defaults to the longest delay of the arm's RewardDelivery, so that
	// every delayed reward counts unless the experiment sets it shorter.
	RewardWait        int
	DefaultReward     float64
	RewardAggregation string
	DeferActivation   bool
	// ApplySettings writes exploration, policy and model update frequency
	// to an HTTP endpoint before each run.
	ApplySettings bool
}

// RewardDelivery simulates rewards that arrive late or never.
type RewardDelivery struct {
	// Delay is a fixed delay in events, used when DelayValues is empty.
	Delay int
	// DelayValues and DelayWeights give a delay distribution in events.
	DelayValues  []int
	DelayWeights []float64
	// LossProbability is the chance a reward never arrives.
	LossProbability float64
	// ActivationProbability is the chance a deferred event is activated.
	ActivationProbability float64
}
