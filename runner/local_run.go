package runner

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/reward"
)

// eventClock is the embedded loop's clock during a run: one tick per event,
// so reward wait times and delays are counted in events.
type eventClock struct{ now int64 }

func (c *eventClock) Now() int64 { return c.now }

// worker owns what one goroutine reuses from run to run.
type worker struct {
	machine reward.Machine
}

func newWorker() *worker { return &worker{} }

// runLocal executes one run against a fresh embedded loop.
func (w *worker) runLocal(ctx context.Context, exp *Experiment, key runKey, layout *eventLayout, partsDir string, opts Options) *runOutcome {
	arm := exp.Arms[key.arm]
	p := arm.Personalizer
	repetitionSeed := RepetitionSeed(exp.Seed, key.repetition)
	clock := &eventClock{}

	loop, err := local.New(local.Options{
		Policy:            p.Policy,
		Exploration:       p.Exploration,
		ModelUpdateEvery:  p.ModelUpdateEvery,
		RewardWait:        int64(p.RewardWait),
		DefaultReward:     p.DefaultReward,
		RewardAggregation: p.RewardAggregation,
		Seed:              repetitionSeed,
		Clock:             clock,
		Logger:            opts.Logger.With("arm", arm.Name, "repetition", key.repetition),
	})
	if err != nil {
		return failed(key, fmt.Errorf("arm %q: %w", arm.Name, err))
	}
	actions, err := loop.PrepareActions(arm.Actions)
	if err != nil {
		return failed(key, fmt.Errorf("arm %q: actions: %w", arm.Name, err))
	}

	st, err := newRunState(exp, key, layout, &w.machine, partsDir)
	if err != nil {
		return failed(key, err)
	}
	defer st.abort()

	var decision local.Decision
	for i := range exp.Events {
		if i%1024 == 0 && ctx.Err() != nil {
			return failed(key, context.Cause(ctx))
		}
		clock.now = int64(i)
		if err := st.deliverDue(i, loop.RewardPrepared); err != nil {
			return failed(key, err)
		}

		c, err := st.drawContext(func(features []map[string]any) (any, error) {
			return loop.PrepareContext(features)
		})
		if err != nil {
			return failed(key, err)
		}
		eventID := st.eventID(i)
		if err := loop.RankPrepared(eventID, p.DeferActivation, c.prepared.(*local.Context), actions, &decision); err != nil {
			return failed(key, fmt.Errorf("arm %q, event %s: rank: %w", arm.Name, eventID, err))
		}
		ev := chosenEvent{
			index:         i,
			eventID:       eventID,
			chosen:        decision.Chosen,
			probabilities: decision.Probabilities,
			order:         decision.Order,
			explored:      decision.Explored,
			modelVersion:  decision.ModelVersion,
		}
		if err := st.complete(c, &ev, loop.RewardPrepared, loop.ActivatePrepared); err != nil {
			return failed(key, err)
		}
		st.progress(opts, i+1, false)
	}
	if err := st.drainPending(func(i int) { clock.now = int64(i) }, loop.RewardPrepared); err != nil {
		return failed(key, err)
	}
	loop.Flush()
	return st.finish(opts)
}

func partPath(partsDir string, key runKey) string {
	return filepath.Join(partsDir, fmt.Sprintf("events-%04d-%04d.parquet", key.arm, key.repetition))
}
