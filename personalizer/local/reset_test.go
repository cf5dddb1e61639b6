package local

import (
	"context"
	"fmt"
	"testing"

	"github.com/rankloop/rankloop/personalizer"
)

func TestResetModelRestartsRefreshCount(t *testing.T) {
	clock := &ManualClock{}
	l, err := New(Options{ModelUpdateEvery: 5, RewardWait: 100, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rank := func(id string) int64 {
		t.Helper()
		resp, err := l.Rank(ctx, &personalizer.RankRequest{
			EventID: id,
			Actions: []personalizer.RankableAction{
				{ID: "a", Features: []map[string]any{{"x": "1"}}},
				{ID: "b", Features: []map[string]any{{"x": "2"}}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Info.ModelVersion
	}

	// Three events before the reset, two of them still waiting for rewards.
	for i := range 3 {
		rank(fmt.Sprintf("before-%d", i))
	}
	if err := l.Reward(ctx, "before-0", 1); err != nil {
		t.Fatal(err)
	}
	if err := l.ResetModel(ctx); err != nil {
		t.Fatal(err)
	}
	trainedAtReset := l.Stats().Trained

	// The refresh comes after five Rank calls of the reset loop, not after
	// five counted from the loop's creation.
	var versions []int64
	for i := range 6 {
		versions = append(versions, rank(fmt.Sprintf("after-%d", i)))
	}
	if versions[4] != versions[0] {
		t.Errorf("model versions after reset = %v: refreshed before the fifth Rank call", versions)
	}
	if versions[5] == versions[4] {
		t.Errorf("model versions after reset = %v: no refresh at the sixth Rank call", versions)
	}

	// Events ranked before the reset never train the new model.
	if err := l.Reward(ctx, "before-1", 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(1000)
	rank("late")
	if got := l.Stats().Trained; got != trainedAtReset+6 {
		t.Errorf("trained = %d, want %d: the six events after the reset, and none from before it", got, trainedAtReset+6)
	}
}
