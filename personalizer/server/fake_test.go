package server_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/rankloop/rankloop/personalizer"
)

// fakeLoop is a Backend that records what the server passes on. It ranks
// actions in request order, giving every rankable action the same
// probability and choosing the first one, so tests can predict responses
// without a learner.
type fakeLoop struct {
	mu          sync.Mutex
	ranks       []personalizer.RankRequest
	rewards     map[string][]float64
	activations []string
	config      personalizer.ServiceConfiguration
	policy      personalizer.PolicyContract
	model       personalizer.ModelProperties
	modelResets int

	// failWith, when set, is returned by every call.
	failWith error
}

func newFakeLoop() *fakeLoop {
	return &fakeLoop{
		rewards: map[string][]float64{},
		config: personalizer.ServiceConfiguration{
			RewardWaitTime:        10 * time.Minute,
			DefaultReward:         0,
			RewardAggregation:     "earliest",
			ExplorationPercentage: 0.2,
			ModelExportFrequency:  time.Minute,
			LogRetentionDays:      90,
			LearningMode:          "Online",
		},
		policy: personalizer.PolicyContract{
			Name:      "0123456789abcdef0123456789abcdef",
			Arguments: personalizer.DefaultPolicyArguments,
		},
	}
}

// policyError is a validation error in the shape the server maps to 400.
type policyError struct{ msg string }

func (e *policyError) Error() string     { return e.msg }
func (e *policyError) ErrorCode() string { return personalizer.CodeInvalidPolicyConfiguration }

func (f *fakeLoop) Rank(ctx context.Context, req *personalizer.RankRequest) (*personalizer.RankResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil {
		return nil, f.failWith
	}
	f.ranks = append(f.ranks, *req)

	excluded := map[string]bool{}
	for _, id := range req.ExcludedActions {
		excluded[id] = true
	}
	rankable := 0
	for _, a := range req.Actions {
		if !excluded[a.ID] {
			rankable++
		}
	}
	resp := &personalizer.RankResponse{EventID: req.EventID}
	for _, a := range req.Actions {
		p := 0.0
		if !excluded[a.ID] {
			p = 1 / float64(rankable)
			if resp.RewardActionID == "" {
				resp.RewardActionID = a.ID
			}
		}
		resp.Ranking = append(resp.Ranking, personalizer.RankedAction{ID: a.ID, Probability: p})
	}
	return resp, nil
}

func (f *fakeLoop) Reward(ctx context.Context, eventID string, value float64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil {
		return f.failWith
	}
	f.rewards[eventID] = append(f.rewards[eventID], value)
	return nil
}

func (f *fakeLoop) Activate(ctx context.Context, eventID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil {
		return f.failWith
	}
	f.activations = append(f.activations, eventID)
	return nil
}

func (f *fakeLoop) ServiceConfiguration(ctx context.Context) (*personalizer.ServiceConfiguration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil {
		return nil, f.failWith
	}
	cfg := f.config
	return &cfg, nil
}

func (f *fakeLoop) UpdateServiceConfiguration(ctx context.Context, cfg *personalizer.ServiceConfiguration) (*personalizer.ServiceConfiguration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil {
		return nil, f.failWith
	}
	f.config = *cfg
	stored := f.config
	return &stored, nil
}

func (f *fakeLoop) Policy(ctx context.Context) (*personalizer.PolicyContract, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil {
		return nil, f.failWith
	}
	p := f.policy
	return &p, nil
}

func (f *fakeLoop) UpdatePolicy(ctx context.Context, policy *personalizer.PolicyContract) (*personalizer.PolicyContract, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil {
		return nil, f.failWith
	}
	if strings.Contains(policy.Arguments, "--bogus") {
		return nil, &policyError{msg: "unknown policy argument --bogus"}
	}
	// The loop keeps its own name, as the service did.
	f.policy.Arguments = policy.Arguments
	p := f.policy
	return &p, nil
}

func (f *fakeLoop) ResetPolicy(ctx context.Context) (*personalizer.PolicyContract, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil {
		return nil, f.failWith
	}
	f.policy.Arguments = personalizer.DefaultPolicyArguments
	p := f.policy
	return &p, nil
}

func (f *fakeLoop) ResetModel(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil {
		return f.failWith
	}
	f.modelResets++
	return nil
}

func (f *fakeLoop) ModelProperties(ctx context.Context) (*personalizer.ModelProperties, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil {
		return nil, f.failWith
	}
	m := f.model
	return &m, nil
}

func (f *fakeLoop) setFailure(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failWith = err
}

var errBackendDown = errors.New("backend storage is unavailable")

// The accessors below lock, because the server's goroutines write the
// fields while tests read them.

func (f *fakeLoop) rewardsFor(eventID string) []float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]float64(nil), f.rewards[eventID]...)
}

func (f *fakeLoop) rankRequests() []personalizer.RankRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]personalizer.RankRequest(nil), f.ranks...)
}

func (f *fakeLoop) activationList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.activations...)
}

func (f *fakeLoop) storedConfig() personalizer.ServiceConfiguration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.config
}

func (f *fakeLoop) modelResetCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.modelResets
}

func (f *fakeLoop) setModel(m personalizer.ModelProperties) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.model = m
}

func (f *fakeLoop) rewardCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rewards)
}
