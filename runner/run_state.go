package runner

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/rankloop/rankloop/results"
	"github.com/rankloop/rankloop/reward"
)

// Reward statuses written to events.parquet.
const (
	StatusOnTime       = "on_time"
	StatusLate         = "late"
	StatusMissing      = "missing"
	StatusNotActivated = "not_activated"
)

const rowBufferSize = 4096

// maxCachedContexts bounds the contexts a run keeps prepared. Past it the
// cache starts over, so a context drawn from a large dataset costs memory
// only while it is recent.
const maxCachedContexts = 1 << 16

// contextEntry is one distinct context of a run, prepared once and reused
// by every event that draws it.
type contextEntry struct {
	// prepared is the backend's own form: featurized for the embedded loop.
	prepared any
	features []map[string]any
	values   map[string]any
	columns  []results.Value

	expected     any
	expectedText string

	// rewards and clamped hold every action's reward when the formula
	// depends on nothing but the context and the action.
	rewards     []float64
	clamped     []bool
	rewardsDone bool
}

// chosenEvent is a backend's Rank result for one event.
type chosenEvent struct {
	index         int
	eventID       string
	chosen        int
	probabilities []float64
	order         []int
	explored      bool
	modelVersion  int64
	rankMS        float64
	rewardMS      float64
	hasLatency    bool
}

type pendingReward struct {
	due     int
	eventID string
	value   float64
}

type pendingQueue []pendingReward

func (q pendingQueue) Len() int { return len(q) }
func (q pendingQueue) Less(i, j int) bool {
	if q[i].due != q[j].due {
		return q[i].due < q[j].due
	}
	return q[i].eventID < q[j].eventID
}
func (q pendingQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pendingQueue) Push(x any)   { *q = append(*q, x.(pendingReward)) }
func (q *pendingQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// runOutcome is the result of one run: its part file, figures and batches.
type runOutcome struct {
	key      runKey
	part     string
	stats    RunStats
	batches  []batchStats
	events   int
	finished bool
	err      error
	// applied holds the endpoint's responses when the arm's settings were
	// written to it.
	applied map[string]any
}

func failed(key runKey, err error) *runOutcome { return &runOutcome{key: key, err: err} }

// runState is everything one run keeps between events, whatever its backend.
type runState struct {
	exp    *Experiment
	arm    *Arm
	key    runKey
	layout *eventLayout

	sampler  *Sampler
	draws    []int
	contexts map[uint64]*contextEntry
	rng      *rand.Rand
	delivery *rand.Rand

	machine     *reward.Machine
	env         reward.Env
	actions     []reward.Action
	ranking     []reward.Ranked
	pureReward  bool
	pureExpect  bool
	needRanking bool
	epsilon     float64

	pending pendingQueue
	ids     eventIDs

	part     string
	file     *os.File
	writer   *results.EventWriter
	rows     []results.EventRow
	batch    batchStats
	batches  []batchStats
	acc      *runAccumulator
	reported int // events done at the last progress update
	finished bool
}

func newRunState(exp *Experiment, key runKey, layout *eventLayout, machine *reward.Machine, partsDir string) (*runState, error) {
	arm := exp.Arms[key.arm]
	repetitionSeed := RepetitionSeed(exp.Seed, key.repetition)
	epsilon, err := armEpsilon(arm)
	if err != nil {
		return nil, err
	}

	st := &runState{
		exp:      exp,
		arm:      arm,
		key:      key,
		layout:   layout,
		sampler:  NewSampler(arm.Context),
		contexts: make(map[uint64]*contextEntry),
		rng:      newStream(repetitionSeed, streamContext),
		delivery: newStream(repetitionSeed, streamDelivery),
		machine:  machine,
		epsilon:  epsilon,
		acc:      newRunAccumulator(exp.Events, exp.BatchSize, arm.Threshold),
		rows:     make([]results.EventRow, 0, rowBufferSize),
		part:     partPath(partsDir, key),
	}
	st.draws = make([]int, len(arm.Context))
	st.actions = make([]reward.Action, len(arm.Actions))
	for i, a := range arm.Actions {
		st.actions[i] = reward.Action{ID: a.ID, Features: mergeFeatures(a.Features)}
	}
	st.ranking = make([]reward.Ranked, len(arm.Actions))
	st.pureExpect = arm.Expected == nil || !arm.Expected.Uses("event")
	// A reward that reads an expected value which depends on the event
	// depends on the event too, so its rewards are not cached.
	st.pureReward = !arm.Reward.Uses("probability") && !arm.Reward.Uses("ranking") && !arm.Reward.Uses("event") &&
		(st.pureExpect || !arm.Reward.Uses("expected"))
	st.needRanking = arm.Reward.Uses("ranking")

	f, err := os.Create(st.part)
	if err != nil {
		return nil, fmt.Errorf("create part file: %w", err)
	}
	w, err := results.NewEventWriter(f, layout.schema, nil)
	if err != nil {
		f.Close()
		os.Remove(st.part)
		return nil, fmt.Errorf("create event writer: %w", err)
	}
	st.file, st.writer = f, w
	return st, nil
}

// eventID returns the id of event index of this run.
func (st *runState) eventID(index int) string {
	return st.ids.next(st.exp.Seed, st.key.repetition, index)
}

// drawContext draws the next context and returns its entry, preparing it
// with prepare the first time the run draws it.
func (st *runState) drawContext(prepare func([]map[string]any) (any, error)) (*contextEntry, error) {
	st.sampler.Draw(st.rng, st.draws)
	key := st.sampler.Key(st.draws)
	if c, ok := st.contexts[key]; ok {
		return c, nil
	}

	c := &contextEntry{
		features: st.sampler.ContextFeatures(st.draws),
		values:   st.sampler.ContextMap(st.draws),
	}
	c.columns = st.layout.columnValues(c.values)
	prepared, err := prepare(c.features)
	if err != nil {
		return nil, fmt.Errorf("arm %q: context %v: %w", st.arm.Name, c.values, err)
	}
	c.prepared = prepared
	if st.arm.Expected != nil && st.pureExpect {
		if err := st.evalExpected(c, 0); err != nil {
			return nil, err
		}
	}
	if len(st.contexts) >= maxCachedContexts {
		clear(st.contexts)
	}
	st.contexts[key] = c
	return c, nil
}

func (st *runState) evalExpected(c *contextEntry, index int) error {
	st.env.Context = c.values
	st.env.Event = index
	v, err := st.arm.Expected.Value(st.machine, &st.env)
	if err != nil {
		return fmt.Errorf("%s: arm %q, repetition %d, event %d: expected: %w", formulaAt(st.arm.Expected), st.arm.Name, st.key.repetition, index, err)
	}
	c.expected = v
	c.expectedText = fmt.Sprint(v)
	return nil
}

// rewardOf evaluates the reward formula for action a of event ev.
func (st *runState) rewardOf(c *contextEntry, ev *chosenEvent, a int) (float64, bool, error) {
	st.env.Context = c.values
	st.env.Expected = c.expected
	st.env.Action = st.actions[a]
	st.env.Probability = ev.probabilities[a]
	st.env.Event = ev.index
	if st.needRanking {
		for i, j := range ev.order {
			st.ranking[i] = reward.Ranked{ID: st.actions[j].ID, Probability: ev.probabilities[j]}
		}
		// An endpoint may rank fewer actions than it was sent, so the
		// formula reads only the entries of this event.
		st.env.Ranking = st.ranking[:len(ev.order)]
	}
	v, clamped, err := st.arm.Reward.Reward(st.machine, &st.env)
	if err != nil {
		return 0, false, fmt.Errorf("%s: arm %q, repetition %d, event %d (id %s), action %q: reward: %w",
			formulaAt(st.arm.Reward), st.arm.Name, st.key.repetition, ev.index, ev.eventID, st.actions[a].ID, err)
	}
	return v, clamped, nil
}

// formulaAt returns where a formula starts in its experiment file, as
// FILE:LINE.
func formulaAt(f *reward.Formula) string {
	p := f.Position()
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// scoreActions returns the chosen action's reward, whether it was clamped,
// and the best and mean reward over all actions.
func (st *runState) scoreActions(c *contextEntry, ev *chosenEvent) (value float64, clamped bool, best, mean float64, err error) {
	if !(st.pureReward && c.rewardsDone) {
		c.rewards, c.clamped = c.rewards[:0], c.clamped[:0]
		for a := range st.actions {
			v, cl, err := st.rewardOf(c, ev, a)
			if err != nil {
				return 0, false, 0, 0, err
			}
			c.rewards = append(c.rewards, v)
			c.clamped = append(c.clamped, cl)
		}
		c.rewardsDone = st.pureReward
	}
	best, mean = bestAndMean(c.rewards)
	return c.rewards[ev.chosen], c.clamped[ev.chosen], best, mean, nil
}

func bestAndMean(rewards []float64) (best, mean float64) {
	for i, r := range rewards {
		if i == 0 || r > best {
			best = r
		}
		mean += r
	}
	if len(rewards) > 0 {
		mean /= float64(len(rewards))
	}
	return best, mean
}

// complete scores event ev, simulates the delivery of its reward, records
// its row and writes the row buffer when it is full.
func (st *runState) complete(c *contextEntry, ev *chosenEvent, sendReward func(string, float64) error, activate func(string) error) error {
	if err := st.completeBuffered(c, ev, sendReward, activate); err != nil {
		return err
	}
	return st.flushRows(false)
}

// completeBuffered is complete without writing the row buffer, so the
// caller may still fill in the rows it just added.
func (st *runState) completeBuffered(c *contextEntry, ev *chosenEvent, sendReward func(string, float64) error, activate func(string) error) error {
	if st.arm.Expected != nil && !st.pureExpect {
		if err := st.evalExpected(c, ev.index); err != nil {
			return err
		}
	}
	value, clamped, best, mean, err := st.scoreActions(c, ev)
	if err != nil {
		return err
	}

	p := st.arm.Personalizer
	d := st.arm.Rewards
	// Three draws per event whatever the settings, so the delivery stream
	// stays aligned across arms.
	lossDraw := st.delivery.Float64()
	activationDraw := st.delivery.Float64()
	delay := d.Delay
	delayDraw := st.delivery.Float64()
	if len(d.DelayValues) > 0 {
		delay = pickWeighted(d.DelayValues, d.DelayWeights, delayDraw)
	}
	lost := lossDraw < d.LossProbability
	activated := !p.DeferActivation || activationDraw < d.ActivationProbability

	status := StatusOnTime
	switch {
	case !activated:
		status = StatusNotActivated
	case lost:
		status = StatusMissing
	case delay > p.RewardWait:
		status = StatusLate
	}

	if p.DeferActivation && activated {
		if err := activate(ev.eventID); err != nil {
			return fmt.Errorf("arm %q, event %s: activate: %w", st.arm.Name, ev.eventID, err)
		}
	}
	if !lost {
		if delay == 0 {
			if err := sendReward(ev.eventID, value); err != nil {
				return fmt.Errorf("arm %q, event %s: reward: %w", st.arm.Name, ev.eventID, err)
			}
		} else {
			heap.Push(&st.pending, pendingReward{due: ev.index + delay, eventID: ev.eventID, value: value})
		}
	}

	st.record(c, ev, value, clamped, best, mean, status)
	return nil
}

// deliverDue sends every pending reward due at or before event index. A
// loop accepts the reward of an unknown or closed event and learns nothing
// from it, so an error means that the backend failed, and deliverDue
// returns it.
func (st *runState) deliverDue(index int, sendReward func(string, float64) error) error {
	for len(st.pending) > 0 && st.pending[0].due <= index {
		if err := st.sendPending(sendReward); err != nil {
			return err
		}
	}
	return nil
}

// drainPending delivers every reward still pending, advancing the clock to
// each one's due event, before the run ends. It stops at the first error.
func (st *runState) drainPending(advance func(int), sendReward func(string, float64) error) error {
	for len(st.pending) > 0 {
		advance(st.pending[0].due)
		if err := st.sendPending(sendReward); err != nil {
			return err
		}
	}
	return nil
}

// sendPending sends the pending reward that is due first.
func (st *runState) sendPending(sendReward func(string, float64) error) error {
	r := heap.Pop(&st.pending).(pendingReward)
	if err := sendReward(r.eventID, r.value); err != nil {
		return fmt.Errorf("arm %q, event %s: delayed reward: %w", st.arm.Name, r.eventID, err)
	}
	return nil
}

func pickWeighted(values []int, weights []float64, u float64) int {
	acc := 0.0
	for i, w := range weights {
		acc += w
		if u < acc {
			return values[i]
		}
	}
	return values[len(values)-1]
}

func (st *runState) record(c *contextEntry, ev *chosenEvent, value float64, clamped bool, best, mean float64, status string) {
	exp, arm := st.exp, st.arm
	batch := ev.index / exp.BatchSize
	action := st.actions[ev.chosen].ID

	row := results.EventRow{
		Experiment:    exp.Name,
		Arm:           arm.Name,
		Repetition:    int32(st.key.repetition),
		Seed:          int64(exp.Seed),
		Event:         int64(ev.index),
		Batch:         int32(batch),
		EventID:       ev.eventID,
		Context:       c.columns,
		Action:        action,
		Probability:   ev.probabilities[ev.chosen],
		Reward:        value,
		BestReward:    best,
		HasBestReward: true,
		Explored:      ev.explored,
		ModelVersion:  ev.modelVersion,
		RewardStatus:  status,
		Clamped:       clamped,
		RankMS:        ev.rankMS,
		HasRankMS:     ev.hasLatency,
	}
	if arm.Expected != nil {
		row.Expected, row.HasExpected = c.expectedText, true
	}
	st.rows = append(st.rows, row)

	b := &st.batch
	b.batch = batch
	b.events++
	b.rewardSum += value
	b.bestSum += best
	b.ceilingSum += (1-st.epsilon)*best + st.epsilon*mean
	if ev.explored {
		b.explored++
	}
	if arm.Expected != nil && action == c.expectedText {
		b.matches++
	}
	if ev.index%exp.BatchSize == exp.BatchSize-1 || ev.index == exp.Events-1 {
		st.batches = append(st.batches, *b)
		*b = batchStats{}
	}
	st.acc.add(ev.index, value)
}

// flushRows writes buffered rows once the buffer is full, or always when
// force is set.
func (st *runState) flushRows(force bool) error {
	if len(st.rows) == 0 || (!force && len(st.rows) < rowBufferSize) {
		return nil
	}
	if err := st.writer.Write(st.rows); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	st.rows = st.rows[:0]
	return nil
}

// progressEvery is the number of events between two progress updates of a
// run.
const progressEvery = 2000

// progress sends a progress update when the run has finished or has done
// progressEvery events since the last update. Runs against an endpoint
// report once per block of events, so done may skip values.
func (st *runState) progress(opts Options, done int, finished bool) {
	if opts.Progress == nil || !finished && done-st.reported < progressEvery {
		return
	}
	st.reported = done
	opts.Progress(Progress{Arm: st.arm.Name, ArmIndex: st.key.arm, Repetition: st.key.repetition, Done: done, Total: st.exp.Events, Finished: finished})
}

// finish closes the run's part file and returns the run's outcome.
func (st *runState) finish(opts Options) *runOutcome {
	err := st.flushRows(true)
	err = errors.Join(err, st.writer.Close(), st.file.Close())
	if err != nil {
		return failed(st.key, fmt.Errorf("arm %q, repetition %d: %w", st.arm.Name, st.key.repetition, err))
	}
	st.finished = true
	st.progress(opts, st.exp.Events, true)
	return &runOutcome{
		key:      st.key,
		part:     st.part,
		stats:    st.acc.stats(st.arm.Name, st.key.repetition),
		batches:  st.batches,
		events:   st.exp.Events,
		finished: true,
	}
}

// abort removes the part file of a run that did not finish.
func (st *runState) abort() {
	if st.finished {
		return
	}
	st.writer.Close()
	st.file.Close()
	os.Remove(st.part)
}
