package local

import (
	"context"
	"fmt"

	"github.com/rankloop/rankloop/personalizer"
)

var (
	_ personalizer.Loop  = (*Loop)(nil)
	_ personalizer.Admin = (*Loop)(nil)
)

// Rank ranks the request's actions as the service did. It first validates
// the request. An [InvalidRequestError] with code InvalidRankRequest reports
// a request without actions or with every action excluded, an action id
// that is empty, repeated or longer than 256 characters, an event id longer
// than 256 characters, or features that cannot be featurized. An empty event
// id is replaced by a generated one of 32 hex digits. A Rank that reuses the
// id of an event the loop still remembers replaces that event, which then
// never trains.
//
// Excluded actions never reach the learner: the ranking lists them at their
// request index with probability 0, and fills the other indexes, in order,
// with the ranked actions. RewardActionID is the chosen action, first among
// the ranked ones. Info carries the serving model's version and whether the
// choice explored.
func (l *Loop) Rank(_ context.Context, req *personalizer.RankRequest) (*personalizer.RankResponse, error) {
	if req == nil || len(req.Actions) == 0 {
		return nil, invalidRank("the request has no actions")
	}
	if err := validateActionIDs(req.Actions); err != nil {
		return nil, err
	}
	if len(req.EventID) > maxIDLength {
		return nil, invalidRank(fmt.Sprintf("the event id has %d characters; the maximum is %d", len(req.EventID), maxIDLength))
	}

	excluded, rankable := markExcluded(req)
	if len(rankable) == 0 {
		return nil, invalidRank("every action is excluded; at least one action must be rankable")
	}

	ctx, err := prepareContext(req.ContextFeatures)
	if err != nil {
		return nil, invalidRank(err.Error())
	}
	actions, err := prepareActions(req.Actions, excluded)
	if err != nil {
		return nil, err
	}

	var d Decision
	l.mu.Lock()
	eventID := req.EventID
	if eventID == "" {
		eventID = l.newID()
	}
	l.rank(eventID, req.DeferActivation, ctx, actions, &d, false)
	l.mu.Unlock()

	resp := &personalizer.RankResponse{
		Ranking:        make([]personalizer.RankedAction, len(req.Actions)),
		EventID:        eventID,
		RewardActionID: actions.ids[d.Chosen],
		Info:           &personalizer.RankInfo{ModelVersion: d.ModelVersion, Explored: d.Explored},
	}
	for i, a := range req.Actions {
		if excluded[i] {
			resp.Ranking[i] = personalizer.RankedAction{ID: a.ID}
		}
	}
	for k, pos := range rankable {
		i := d.Order[k]
		resp.Ranking[pos] = personalizer.RankedAction{ID: actions.ids[i], Probability: d.Probabilities[i]}
	}
	return resp, nil
}

// markExcluded flags the actions named in req.ExcludedActions and returns
// the request indexes of the others. Excluded ids that match no action have
// no effect.
func markExcluded(req *personalizer.RankRequest) (excluded []bool, rankable []int) {
	excluded = make([]bool, len(req.Actions))
	if len(req.ExcludedActions) > 0 {
		names := make(map[string]bool, len(req.ExcludedActions))
		for _, id := range req.ExcludedActions {
			names[id] = true
		}
		for i, a := range req.Actions {
			excluded[i] = names[a.ID]
		}
	}
	for i := range req.Actions {
		if !excluded[i] {
			rankable = append(rankable, i)
		}
	}
	return excluded, rankable
}

// Reward joins a reward to an event. Within the event's reward wait time
// the aggregation decides: earliest trains on the first reward at once, sum
// and average train when the wait time has passed. Later rewards are
// counted in [Stats] but not learned. Like the service, which queued
// rewards, Reward returns nil for an unknown event id. It returns an
// [InvalidRequestError] with code InvalidRewardRequest for a value that is
// not a finite number or an event id longer than 256 characters.
func (l *Loop) Reward(_ context.Context, eventID string, value float64) error {
	if len(eventID) > maxIDLength {
		return &InvalidRequestError{Code: CodeInvalidRewardRequest, Message: fmt.Sprintf("the event id has %d characters; the maximum is %d", len(eventID), maxIDLength)}
	}
	return l.RewardPrepared(eventID, value)
}

// Activate activates an event ranked with DeferActivation, so it trains
// when its reward arrives or its reward wait time passes. Activating an
// event that is not deferred, already activated, past its reward wait time
// or unknown does nothing and returns nil, as the service returned 204.
func (l *Loop) Activate(_ context.Context, eventID string) error {
	return l.ActivatePrepared(eventID)
}
