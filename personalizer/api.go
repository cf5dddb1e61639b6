// Package personalizer holds the Azure AI Personalizer contract that every
// rankloop backend speaks: the wire types of the REST API v1.0, the [Loop]
// interface the runner drives, and the [Admin] interface for the
// configuration, policy and model operations.
package personalizer

import (
	"context"
	"time"
)

// Loop is one learning loop: Rank chooses an action for an event, Reward
// scores it and Activate activates an event ranked with DeferActivation.
// Implementations are safe for concurrent use.
type Loop interface {
	Rank(ctx context.Context, req *RankRequest) (*RankResponse, error)
	Reward(ctx context.Context, eventID string, value float64) error
	Activate(ctx context.Context, eventID string) error
}

// Admin is the configuration side of a loop: the service configuration,
// the learning policy and the model. The embedded loop and the HTTP client
// implement it.
type Admin interface {
	ServiceConfiguration(ctx context.Context) (*ServiceConfiguration, error)
	UpdateServiceConfiguration(ctx context.Context, cfg *ServiceConfiguration) (*ServiceConfiguration, error)
	Policy(ctx context.Context) (*PolicyContract, error)
	UpdatePolicy(ctx context.Context, policy *PolicyContract) (*PolicyContract, error)
	ResetPolicy(ctx context.Context) (*PolicyContract, error)
	ResetModel(ctx context.Context) error
	ModelProperties(ctx context.Context) (*ModelProperties, error)
}

// RankRequest is the body of POST /rank.
type RankRequest struct {
	// ContextFeatures are merged into one context; see the featurization
	// rules of the embedded loop.
	ContextFeatures []map[string]any `json:"contextFeatures,omitempty"`
	Actions         []RankableAction `json:"actions"`
	ExcludedActions []string         `json:"excludedActions,omitempty"`
	// EventID joins Rank with Reward and Activate; the loop generates one
	// when it is empty.
	EventID         string `json:"eventId,omitempty"`
	DeferActivation bool   `json:"deferActivation,omitempty"`
}

// RankableAction is one candidate action with its features.
type RankableAction struct {
	ID       string           `json:"id"`
	Features []map[string]any `json:"features"`
}

// RankResponse is the body of a 201 response to POST /rank.
type RankResponse struct {
	// Ranking has one entry per requested action, excluded ones included
	// with probability 0.
	Ranking        []RankedAction `json:"ranking"`
	EventID        string         `json:"eventId"`
	RewardActionID string         `json:"rewardActionId"`

	// Info carries facts the wire format lacks. The HTTP client leaves it nil.
	Info *RankInfo `json:"-"`
}

// RankedAction is one action of a ranking with the probability the policy
// gave it for this event.
type RankedAction struct {
	ID          string  `json:"id"`
	Probability float64 `json:"probability"`
}

// RankInfo is the embedded loop's account of one Rank call.
type RankInfo struct {
	// ModelVersion counts serving-model refreshes: 0 is the untrained model.
	ModelVersion int64
	// Explored reports that the chosen action is not among the greedy ones.
	Explored bool
}

// RewardRequest is the body of POST /events/{eventId}/reward.
type RewardRequest struct {
	Value *float64 `json:"value"`
}

// ServiceConfiguration is the body of GET and PUT /configurations/service.
// Durations travel as ISO-8601 strings (PT10M) on the wire.
type ServiceConfiguration struct {
	RewardWaitTime        time.Duration
	DefaultReward         float64
	RewardAggregation     string
	ExplorationPercentage float64
	ModelExportFrequency  time.Duration
	LogMirrorEnabled      *bool
	LogMirrorSasURI       string
	LogRetentionDays      int32
	LearningMode          string
	// LastConfigurationEditDate is set by the loop.
	LastConfigurationEditDate time.Time
	// ModelUpdateEveryEvents is a rankloop extension: when positive, the
	// serving model refreshes every that many events instead of on the
	// wall clock, so short experiments learn. The service had no such
	// field; clients that do not know it ignore it.
	ModelUpdateEveryEvents int
}

// PolicyContract is the body of GET, PUT and DELETE /configurations/policy.
type PolicyContract struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// ModelProperties is the body of GET /model/properties.
type ModelProperties struct {
	CreationTime     time.Time `json:"creationTime"`
	LastModifiedTime time.Time `json:"lastModifiedTime"`
}

// DefaultPolicyArguments is the learning policy the service reported for a
// new single-slot loop from 2022 on.
const DefaultPolicyArguments = "--cb_explore_adf --epsilon 0.2 --power_t 0 -l 0.001 --cb_type mtr -q ::"
