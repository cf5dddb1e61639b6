package local

import (
	"strconv"
	"testing"

	"github.com/rankloop/rankloop/personalizer"
)

// testLoop is a loop on a manual clock with two prepared actions.
type testLoop struct {
	*Loop
	clock   *ManualClock
	ctx     *Context
	actions *Actions
}

func newTestLoop(t *testing.T, opts Options) *testLoop {
	t.Helper()
	clock := &ManualClock{}
	opts.Clock = clock
	if opts.ModelUpdateEvery == 0 && opts.ModelExportFrequency == 0 {
		opts.ModelUpdateEvery = 1
	}
	l, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := l.PrepareContext([]map[string]any{{"user": "u1"}})
	if err != nil {
		t.Fatal(err)
	}
	actions, err := l.PrepareActions([]personalizer.RankableAction{
		{ID: "a", Features: []map[string]any{{"kind": "x"}}},
		{ID: "b", Features: []map[string]any{{"kind": "y"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testLoop{Loop: l, clock: clock, ctx: ctx, actions: actions}
}

// rankAt ranks event id at tick.
func (tl *testLoop) rankAt(t *testing.T, tick int64, id string, deferred bool) Decision {
	t.Helper()
	tl.clock.Set(tick)
	var d Decision
	if err := tl.RankPrepared(id, deferred, tl.ctx, tl.actions, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func (tl *testLoop) rewardAt(t *testing.T, tick int64, id string, value float64) {
	t.Helper()
	tl.clock.Set(tick)
	if err := tl.RewardPrepared(id, value); err != nil {
		t.Fatal(err)
	}
}

func (tl *testLoop) activateAt(t *testing.T, tick int64, id string) {
	t.Helper()
	tl.clock.Set(tick)
	if err := tl.ActivatePrepared(id); err != nil {
		t.Fatal(err)
	}
}

// learnedCost returns the lowest cost the model has learned: minus the
// highest reward it trained on.
func (tl *testLoop) learnedCost() float32 {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl.lrn.minLabel
}

func TestRewardEarliestTrainsAtOnce(t *testing.T) {
	tl := newTestLoop(t, Options{RewardWait: 10})
	tl.rankAt(t, 0, "e1", false)

	tl.rewardAt(t, 1, "e1", 0.3)
	if got := tl.Stats().Trained; got != 1 {
		t.Fatalf("trained %d events after the first reward, want 1", got)
	}
	tl.rewardAt(t, 2, "e1", 0.9)
	if got := tl.learnedCost(); got != -0.3 {
		t.Errorf("learned cost %v, want -0.3: only the earliest reward counts", got)
	}
	if s := tl.Stats(); s.Rewards != 2 || s.Trained != 1 {
		t.Errorf("stats %+v, want 2 rewards and 1 trained event", s)
	}

	tl.Flush()
	if got := tl.Stats().Trained; got != 1 {
		t.Errorf("trained %d events after Flush, want still 1", got)
	}
}

func TestRewardSumAverageTrainAtClose(t *testing.T) {
	for _, tc := range []struct {
		aggregation string
		want        float32
	}{
		{AggregationSum, -0.75},
		{AggregationAverage, -0.375},
	} {
		t.Run(tc.aggregation, func(t *testing.T) {
			tl := newTestLoop(t, Options{RewardWait: 10, RewardAggregation: tc.aggregation})
			tl.rankAt(t, 0, "e1", false)
			tl.rewardAt(t, 3, "e1", 0.5)
			tl.rewardAt(t, 10, "e1", 0.25)
			if got := tl.Stats().Trained; got != 0 {
				t.Fatalf("trained %d events within the reward wait time, want 0", got)
			}

			tl.rankAt(t, 11, "e2", false) // tick 11 closes e1's window
			if got := tl.Stats().Trained; got != 1 {
				t.Fatalf("trained %d events after the window closed, want 1", got)
			}
			if got := tl.learnedCost(); got != tc.want {
				t.Errorf("learned cost %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMissingRewardTrainsDefault(t *testing.T) {
	tl := newTestLoop(t, Options{RewardWait: 5, DefaultReward: 0.4})
	tl.rankAt(t, 0, "e1", false)
	tl.rankAt(t, 5, "e2", false)
	if got := tl.Stats().Trained; got != 0 {
		t.Fatalf("trained %d events at the window's last tick, want 0", got)
	}

	tl.rankAt(t, 6, "e3", false)
	if s := tl.Stats(); s.Trained != 1 || s.DefaultRewards != 1 {
		t.Errorf("stats %+v, want e1 trained with the default reward", s)
	}
	if got := tl.learnedCost(); got != -0.4 {
		t.Errorf("learned cost %v, want -0.4", got)
	}
}

func TestLateRewardIsCountedNotLearned(t *testing.T) {
	tl := newTestLoop(t, Options{RewardWait: 5})
	tl.rankAt(t, 0, "e1", false)
	tl.rewardAt(t, 6, "e1", 1)

	s := tl.Stats()
	if s.LateRewards != 1 || s.Rewards != 0 {
		t.Errorf("stats %+v, want 1 late reward and none joined", s)
	}
	if s.Trained != 1 || s.DefaultRewards != 1 {
		t.Errorf("stats %+v, want e1 trained once, with the default reward", s)
	}
	if got := tl.learnedCost(); got != 0 {
		t.Errorf("learned cost %v, want 0: the late reward must not train", got)
	}
}

func TestUnknownEventIDsAreAccepted(t *testing.T) {
	tl := newTestLoop(t, Options{})
	if err := tl.RewardPrepared("nope", 1); err != nil {
		t.Errorf("Reward on an unknown id: %v, want nil", err)
	}
	if err := tl.ActivatePrepared("nope"); err != nil {
		t.Errorf("Activate on an unknown id: %v, want nil", err)
	}
	if got := tl.Stats().UnknownRewards; got != 1 {
		t.Errorf("unknown rewards %d, want 1", got)
	}
}

func TestDeferredEventTrainsOnlyWhenActivated(t *testing.T) {
	t.Run("never activated", func(t *testing.T) {
		tl := newTestLoop(t, Options{RewardWait: 5})
		tl.rankAt(t, 0, "e1", true)
		tl.rewardAt(t, 1, "e1", 1)
		tl.activateAt(t, 6, "e1") // too late
		if s := tl.Stats(); s.Trained != 0 || s.Inactive != 1 || s.Activations != 0 {
			t.Errorf("stats %+v, want no training and 1 inactive event", s)
		}
	})

	t.Run("reward then activation", func(t *testing.T) {
		tl := newTestLoop(t, Options{RewardWait: 5})
		tl.rankAt(t, 0, "e1", true)
		tl.rewardAt(t, 1, "e1", 0.7)
		if got := tl.Stats().Trained; got != 0 {
			t.Fatalf("trained %d events before activation, want 0", got)
		}
		tl.activateAt(t, 2, "e1")
		if got := tl.Stats().Trained; got != 1 {
			t.Fatalf("trained %d events after activation, want 1", got)
		}
		if got := tl.learnedCost(); got != -0.7 {
			t.Errorf("learned cost %v, want -0.7", got)
		}
	})

	t.Run("activation without reward", func(t *testing.T) {
		tl := newTestLoop(t, Options{RewardWait: 5, DefaultReward: 0.2})
		tl.rankAt(t, 0, "e1", true)
		tl.activateAt(t, 5, "e1")
		tl.Flush()
		if s := tl.Stats(); s.Trained != 1 || s.DefaultRewards != 1 || s.Activations != 1 {
			t.Errorf("stats %+v, want the default reward trained", s)
		}
	})
}

func TestReusedEventIDReplacesEvent(t *testing.T) {
	tl := newTestLoop(t, Options{RewardWait: 10})
	tl.rankAt(t, 0, "e1", false)
	tl.rankAt(t, 1, "e1", false)
	tl.rewardAt(t, 2, "e1", 0.5)
	tl.Flush()

	if s := tl.Stats(); s.Replaced != 1 || s.Trained != 1 {
		t.Errorf("stats %+v, want the first event replaced and only the second trained", s)
	}
}

func TestClosedEventsAreForgotten(t *testing.T) {
	tl := newTestLoop(t, Options{RewardWait: 1})
	n := minRetained + 100
	for i := 0; i < n; i++ {
		tl.rankAt(t, int64(i), "ev"+strconv.Itoa(i), false)
	}
	tl.clock.Set(int64(n + 10))
	tl.Flush()
	tl.rewardAt(t, int64(n+10), "x", 0) // removes what it can from the event index

	tl.mu.Lock()
	defer tl.mu.Unlock()
	if got := tl.events.n; got > minRetained+1 {
		t.Errorf("%d events remembered, want at most %d", got, minRetained+1)
	}
}
