package runner

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/reward"
)

// remoteBlock is the number of events per concurrency slot ranked before
// their rewards are sent. Rewards of a block reach the endpoint after every
// Rank of that block, so learning lags by at most one block.
const remoteBlock = 8

// remoteCall is one queued Reward or Activate call.
type remoteCall struct {
	eventID  string
	value    float64
	activate bool
	// row points at the event whose reward_ms the call's duration fills.
	row int
}

// newEndpointClient returns a client for opts.Endpoint whose connections
// every run against the endpoint shares, and a function that closes them
// once the last run has ended.
func newEndpointClient(opts Options) (*personalizer.Client, func(), error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 100
	transport.MaxIdleConnsPerHost = 100
	client, err := personalizer.NewClient(opts.Endpoint, opts.Key, personalizer.WithHTTPClient(&http.Client{Transport: transport}), personalizer.WithLogger(opts.Logger))
	if err != nil {
		return nil, nil, err
	}
	return client, transport.CloseIdleConnections, nil
}

// runRemote executes one run against a Personalizer endpoint through
// client. It resets the endpoint's model first and, when the arm sets
// apply_settings, writes the arm's exploration, policy and model update
// frequency.
func runRemote(ctx context.Context, client *personalizer.Client, exp *Experiment, key runKey, layout *eventLayout, partsDir string, opts Options) *runOutcome {
	arm := exp.Arms[key.arm]
	applied, err := prepareEndpoint(ctx, client, arm, opts.Logger.With("arm", arm.Name, "repetition", key.repetition))
	if err != nil {
		return failed(key, fmt.Errorf("arm %q, repetition %d: %w", arm.Name, key.repetition, err))
	}

	var machine reward.Machine
	st, err := newRunState(exp, key, layout, &machine, partsDir)
	if err != nil {
		return failed(key, err)
	}
	defer st.abort()

	ids := make(map[string]int, len(arm.Actions))
	for i, a := range arm.Actions {
		ids[a.ID] = i
	}

	block := remoteBlock * opts.Concurrency
	events := make([]chosenEvent, block)
	contexts := make([]*contextEntry, block)
	var queue []remoteCall
	noPrepare := func([]map[string]any) (any, error) { return nil, nil }

	for start := 0; start < exp.Events; start += block {
		if ctx.Err() != nil {
			return failed(key, context.Cause(ctx))
		}
		n := min(block, exp.Events-start)

		// Contexts are drawn in event order, so the block size never
		// changes which context an event gets.
		for j := range n {
			c, err := st.drawContext(noPrepare)
			if err != nil {
				return failed(key, err)
			}
			contexts[j] = c
			events[j] = chosenEvent{index: start + j, eventID: st.eventID(start + j)}
		}

		err := forEach(ctx, n, opts.Concurrency, func(j int) error {
			return rankRemote(ctx, client, arm, contexts[j], &events[j], ids)
		})
		if err != nil {
			return failed(key, fmt.Errorf("arm %q: %w", arm.Name, err))
		}

		queue = queue[:0]
		firstRow := len(st.rows)
		for j := range n {
			ev := &events[j]
			err := st.deliverDue(ev.index, func(id string, v float64) error {
				queue = append(queue, remoteCall{eventID: id, value: v, row: -1})
				return nil
			})
			if err != nil {
				return failed(key, err)
			}
			row := firstRow + j
			send := func(id string, v float64) error {
				queue = append(queue, remoteCall{eventID: id, value: v, row: row})
				return nil
			}
			activate := func(id string) error {
				queue = append(queue, remoteCall{eventID: id, activate: true, row: -1})
				return nil
			}
			if err := st.completeBuffered(contexts[j], ev, send, activate); err != nil {
				return failed(key, err)
			}
		}

		err = forEach(ctx, len(queue), opts.Concurrency, func(q int) error {
			call := queue[q]
			began := time.Now()
			var err error
			if call.activate {
				err = client.Activate(ctx, call.eventID)
			} else {
				err = client.Reward(ctx, call.eventID, call.value)
			}
			if err != nil {
				return fmt.Errorf("event %s: %w", call.eventID, err)
			}
			if call.row >= 0 {
				st.rows[call.row].RewardMS = milliseconds(time.Since(began))
				st.rows[call.row].HasRewardMS = true
			}
			return nil
		})
		if err != nil {
			return failed(key, fmt.Errorf("arm %q: %w", arm.Name, err))
		}
		if err := st.flushRows(false); err != nil {
			return failed(key, err)
		}
		st.progress(opts, start+n, false)
	}

	err = st.drainPending(func(int) {}, func(id string, v float64) error { return client.Reward(ctx, id, v) })
	if err != nil {
		return failed(key, err)
	}
	out := st.finish(opts)
	out.applied = applied
	return out
}

// rankRemote sends one Rank call and reads the response into ev.
func rankRemote(ctx context.Context, client *personalizer.Client, arm *Arm, c *contextEntry, ev *chosenEvent, ids map[string]int) error {
	req := &personalizer.RankRequest{
		ContextFeatures: c.features,
		Actions:         arm.Actions,
		EventID:         ev.eventID,
		DeferActivation: arm.Personalizer.DeferActivation,
	}
	began := time.Now()
	resp, err := client.Rank(ctx, req)
	if err != nil {
		return fmt.Errorf("event %s: rank: %w", ev.eventID, err)
	}
	ev.rankMS = milliseconds(time.Since(began))
	ev.hasLatency = true
	ev.modelVersion = -1

	ev.probabilities = make([]float64, len(arm.Actions))
	ev.order = ev.order[:0]
	best := 0.0
	for _, r := range resp.Ranking {
		i, ok := ids[r.ID]
		if !ok {
			return fmt.Errorf("event %s: rank returned unknown action %q", ev.eventID, r.ID)
		}
		if slices.Contains(ev.order, i) {
			return fmt.Errorf("event %s: rank returned action %q twice", ev.eventID, r.ID)
		}
		ev.probabilities[i] = r.Probability
		ev.order = append(ev.order, i)
		best = max(best, r.Probability)
	}
	chosen, ok := ids[resp.RewardActionID]
	if !ok {
		return fmt.Errorf("event %s: rank returned unknown rewardActionId %q", ev.eventID, resp.RewardActionID)
	}
	ev.chosen = chosen
	// The wire does not say whether the draw explored: an action below the
	// highest probability can only have been chosen by exploration.
	ev.explored = ev.probabilities[chosen] < best
	return nil
}

// prepareEndpoint resets the endpoint's model and, with apply_settings,
// writes the arm's settings. It returns the endpoint's responses.
func prepareEndpoint(ctx context.Context, client *personalizer.Client, arm *Arm, logger *slog.Logger) (map[string]any, error) {
	if err := client.ResetModel(ctx); err != nil {
		return nil, fmt.Errorf("reset model: %w", err)
	}
	logger.Info("endpoint model reset")
	if !arm.Personalizer.ApplySettings {
		return nil, nil
	}

	p := arm.Personalizer
	cfg, err := client.ServiceConfiguration(ctx)
	if err != nil {
		return nil, fmt.Errorf("read service configuration: %w", err)
	}
	if p.Exploration != nil {
		cfg.ExplorationPercentage = *p.Exploration
	}
	cfg.ModelUpdateEveryEvents = p.ModelUpdateEvery
	cfg.DefaultReward = p.DefaultReward
	cfg.RewardAggregation = p.RewardAggregation
	cfg, err = client.UpdateServiceConfiguration(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("write service configuration: %w", err)
	}
	policy, err := client.UpdatePolicy(ctx, &personalizer.PolicyContract{Name: arm.Name, Arguments: p.Policy})
	if err != nil {
		return nil, fmt.Errorf("write policy: %w", err)
	}
	logger.Info("endpoint settings applied", "policy", policy.Arguments, "exploration", cfg.ExplorationPercentage)
	return map[string]any{"service_configuration": cfg, "policy": policy}, nil
}

// forEach calls fn for 0..n-1 on up to workers goroutines and returns the
// first error.
func forEach(ctx context.Context, n, workers int, fn func(int) error) error {
	var (
		mu    sync.Mutex
		first error
		next  int
		wg    sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for {
				mu.Lock()
				if first != nil || next >= n || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return first
}

func milliseconds(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
