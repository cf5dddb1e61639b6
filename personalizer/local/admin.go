package local

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/rankloop/rankloop/personalizer"
)

// maxPolicyArguments is the longest policy the service stored.
const maxPolicyArguments = 1024

// tickTime converts a clock tick to a time, reading ticks as nanoseconds
// since the Unix epoch as the wall clock counts them.
func tickTime(t int64) time.Time { return time.Unix(0, t).UTC() }

// ServiceConfiguration returns the loop's service configuration. Durations
// convert one to one between clock ticks and nanoseconds, which is exact
// for the wall clock.
func (l *Loop) ServiceConfiguration(context.Context) (*personalizer.ServiceConfiguration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.serviceConfiguration(), nil
}

func (l *Loop) serviceConfiguration() *personalizer.ServiceConfiguration {
	var mirror *bool
	if l.logMirrorEnabled != nil {
		v := *l.logMirrorEnabled
		mirror = &v
	}
	return &personalizer.ServiceConfiguration{
		RewardWaitTime:            time.Duration(l.rewardWait),
		DefaultReward:             l.defaultReward,
		RewardAggregation:         l.aggregation,
		ExplorationPercentage:     l.policy.Epsilon,
		ModelExportFrequency:      time.Duration(l.exportFrequency),
		LogMirrorEnabled:          mirror,
		LogMirrorSasURI:           l.logMirrorSasURI,
		LogRetentionDays:          l.logRetentionDays,
		LearningMode:              "Online",
		LastConfigurationEditDate: tickTime(l.editedAt),
		ModelUpdateEveryEvents:    l.updateEvery,
	}
}

// UpdateServiceConfiguration replaces the service configuration and returns
// the stored one. A new exploration percentage is written into the policy's
// --epsilon. A new reward wait time applies to events ranked from now on.
// Invalid values return an [InvalidRequestError] with code
// InvalidServiceConfiguration; only the Online learning mode is supported.
//
// NOTE: the service also reset the model and retrained it on its logs when
// the reward settings or the exploration changed. The loop keeps no logs, so
// it keeps the model.
func (l *Loop) UpdateServiceConfiguration(_ context.Context, cfg *personalizer.ServiceConfiguration) (*personalizer.ServiceConfiguration, error) {
	if cfg == nil {
		return nil, invalidConfiguration("the service configuration is empty")
	}
	aggregation, err := parseAggregation(cfg.RewardAggregation)
	if err != nil {
		return nil, invalidConfiguration(err.Error())
	}
	switch {
	case cfg.RewardWaitTime < 0:
		return nil, invalidConfiguration(fmt.Sprintf("invalid rewardWaitTime %v: want 0 or more", cfg.RewardWaitTime))
	case math.IsNaN(cfg.DefaultReward) || math.IsInf(cfg.DefaultReward, 0):
		return nil, invalidConfiguration(fmt.Sprintf("invalid defaultReward %v: want a finite number", cfg.DefaultReward))
	case !(cfg.ExplorationPercentage >= 0 && cfg.ExplorationPercentage <= 1):
		return nil, invalidConfiguration(fmt.Sprintf("invalid explorationPercentage %v: want a share from 0 to 1", cfg.ExplorationPercentage))
	case cfg.ModelExportFrequency < 0:
		return nil, invalidConfiguration(fmt.Sprintf("invalid modelExportFrequency %v: want 0 or more", cfg.ModelExportFrequency))
	case cfg.ModelUpdateEveryEvents < 0:
		return nil, invalidConfiguration(fmt.Sprintf("invalid modelUpdateEveryEvents %d: want 0 (refresh every modelExportFrequency) or more", cfg.ModelUpdateEveryEvents))
	case cfg.ModelUpdateEveryEvents == 0 && cfg.ModelExportFrequency == 0:
		return nil, invalidConfiguration("modelExportFrequency must be positive unless modelUpdateEveryEvents is set")
	case cfg.LogRetentionDays < -1:
		return nil, invalidConfiguration(fmt.Sprintf("invalid logRetentionDays %d: want -1 (keep forever) or more", cfg.LogRetentionDays))
	case cfg.LearningMode != "" && !strings.EqualFold(cfg.LearningMode, "Online"):
		return nil, invalidConfiguration(fmt.Sprintf("unsupported learningMode %q: the embedded loop runs Online only", cfg.LearningMode))
	}

	l.mu.Lock()
	defer l.mu.Unlock()

	if cfg.ExplorationPercentage != l.policy.Epsilon {
		args := WithEpsilon(l.policyArgs, cfg.ExplorationPercentage)
		p, err := ParsePolicy(args)
		if err != nil {
			return nil, invalidConfiguration(fmt.Sprintf("the policy does not accept the exploration percentage: %v", err))
		}
		l.setPolicy(args, p, false)
	}

	l.rewardWait = int64(cfg.RewardWaitTime)
	l.defaultReward = cfg.DefaultReward
	l.aggregation = aggregation
	l.exportFrequency = int64(cfg.ModelExportFrequency)
	if cfg.ModelUpdateEveryEvents != l.updateEvery {
		l.updateEvery = cfg.ModelUpdateEveryEvents
		l.setupServing()
	}
	l.logRetentionDays = cfg.LogRetentionDays
	l.logMirrorEnabled = cfg.LogMirrorEnabled
	l.logMirrorSasURI = cfg.LogMirrorSasURI
	l.editedAt = l.clock.Now()

	l.log.Info("service configuration updated",
		"rewardWait", l.rewardWait, "defaultReward", l.defaultReward, "aggregation", l.aggregation,
		"exploration", l.policy.Epsilon, "modelUpdateEvery", l.updateEvery, "modelExportFrequency", l.exportFrequency)
	return l.serviceConfiguration(), nil
}

func invalidConfiguration(msg string) error {
	return &InvalidRequestError{Code: CodeInvalidServiceConfiguration, Message: msg}
}

// Policy returns the learning policy. Its name is the loop's id.
func (l *Loop) Policy(context.Context) (*personalizer.PolicyContract, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return &personalizer.PolicyContract{Name: l.name, Arguments: l.policyArgs}, nil
}

// UpdatePolicy validates and installs new policy arguments; the supplied
// name is ignored, as the service did. When the arguments set --epsilon it
// becomes the exploration percentage; otherwise the current exploration
// percentage is written into them. A policy that learns differently (any
// change besides the exploration flags) starts a new, untrained model,
// because the weights of one policy do not fit another. Invalid arguments
// return an [InvalidRequestError] with code InvalidPolicyConfiguration.
func (l *Loop) UpdatePolicy(_ context.Context, policy *personalizer.PolicyContract) (*personalizer.PolicyContract, error) {
	if policy == nil {
		return nil, &InvalidRequestError{Code: CodeInvalidPolicyConfiguration, Message: "the policy is empty"}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.updatePolicy(policy.Arguments); err != nil {
		return nil, err
	}
	return &personalizer.PolicyContract{Name: l.name, Arguments: l.policyArgs}, nil
}

// ResetPolicy restores personalizer.DefaultPolicyArguments, exploration
// percentage included, and returns it.
func (l *Loop) ResetPolicy(context.Context) (*personalizer.PolicyContract, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.updatePolicy(personalizer.DefaultPolicyArguments); err != nil {
		return nil, err
	}
	return &personalizer.PolicyContract{Name: l.name, Arguments: l.policyArgs}, nil
}

// updatePolicy is UpdatePolicy without the lock. The caller holds l.mu.
func (l *Loop) updatePolicy(args string) error {
	if len(args) > maxPolicyArguments {
		return &InvalidRequestError{Code: CodeInvalidPolicyConfiguration,
			Message: fmt.Sprintf("the policy arguments have %d characters; the maximum is %d", len(args), maxPolicyArguments)}
	}
	p, err := ParsePolicy(args)
	if err == nil && !p.epsilonGiven {
		args = WithEpsilon(args, l.policy.Epsilon)
		p, err = ParsePolicy(args)
	}
	if err != nil {
		return &InvalidRequestError{Code: CodeInvalidPolicyConfiguration, Message: err.Error()}
	}

	reset := !p.learningEquals(l.policy)
	l.setPolicy(args, p, reset)
	l.log.Info("policy updated", "arguments", args, "modelReset", reset)
	return nil
}

// ResetModel replaces the model by an untrained one, both for training and
// serving. Events still waiting for rewards will train the new model.
func (l *Loop) ResetModel(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setPolicy(l.policyArgs, l.policy, true)
	l.log.Info("model reset")
	return nil
}

// ModelProperties returns when the serving model was first and last
// refreshed, both 0001-01-01T00:00:00Z while it is untrained.
func (l *Loop) ModelProperties(context.Context) (*personalizer.ModelProperties, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.updateEvery == 0 {
		now := l.clock.Now()
		l.closeExpired(now)
		l.maybeRefresh(now)
	}
	if l.srv.version == 0 {
		return &personalizer.ModelProperties{}, nil
	}
	return &personalizer.ModelProperties{
		CreationTime:     tickTime(l.srv.createdAt),
		LastModifiedTime: tickTime(l.srv.modifiedAt),
	}, nil
}
