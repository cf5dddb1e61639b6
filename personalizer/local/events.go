package local

import (
	"fmt"
	"strings"
)

// Reward aggregations: how several rewards for one event combine.
const (
	AggregationEarliest = "earliest" // the first reward counts; the event trains at once
	AggregationSum      = "sum"      // rewards add up; the event trains when its window closes
	AggregationAverage  = "average"  // rewards are averaged; the event trains when its window closes
)

func parseAggregation(s string) (string, error) {
	switch strings.ToLower(s) {
	case "", AggregationEarliest:
		return AggregationEarliest, nil
	case AggregationSum:
		return AggregationSum, nil
	case AggregationAverage:
		return AggregationAverage, nil
	}
	return "", fmt.Errorf("unsupported reward aggregation %q: want earliest, sum or average", s)
}

// minRetained is how many closed events the loop remembers at least, so a
// late reward is counted as late and not as unknown.
const minRetained = 4096

// event is one Rank call waiting for, or past, its rewards.
type event struct {
	id       string
	hash     uint64 // hashEventID of id: the event's draw and its eventTable key
	context  *Context
	actions  *Actions
	terms    *termEntry // the cached terms of the actions, or nil
	chosen   int
	prob     float32 // probability of the chosen action, as learning uses it
	score    float32 // raw score of the chosen action when ranked
	scoredAt uint64  // learner version score was computed at, or 0 if the serving model is a copy
	deadline int64   // last tick of the reward wait time
	forgetAt int64   // after this tick a closed event may be forgotten

	deferred  bool // ranked with DeferActivation
	activated bool
	rewards   int     // rewards joined within the window
	value     float64 // first reward (earliest) or sum of rewards
	trained   bool
	closed    bool
	replaced  bool // a later Rank reused the id
}

// active reports whether the event may train.
func (ev *event) active() bool { return !ev.deferred || ev.activated }

// eventQueue is a FIFO of events in Rank order.
type eventQueue struct {
	buf  []*event
	head int
	n    int
}

func (q *eventQueue) len() int { return q.n }

func (q *eventQueue) push(ev *event) {
	if q.n == len(q.buf) {
		grown := make([]*event, max(16, 2*len(q.buf)))
		for i := 0; i < q.n; i++ {
			grown[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = ev
	q.n++
}

func (q *eventQueue) peek() *event { return q.buf[q.head] }

func (q *eventQueue) pop() *event {
	ev := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return ev
}

// Stats counts what happened to the loop's events since it was created.
type Stats struct {
	Events         int64 // Rank calls
	Rewards        int64 // rewards received within their event's reward wait time
	LateRewards    int64 // rewards received after the reward wait time: not learned
	UnknownRewards int64 // rewards for event ids the loop does not know or no longer remembers
	DefaultRewards int64 // events whose reward wait time passed without a reward: trained with the default reward
	Trained        int64 // events the model learned from
	Inactive       int64 // deferred events not activated within the reward wait time: not trained
	Activations    int64 // deferred events activated in time
	Replaced       int64 // events dropped untrained because a later Rank reused their id
	NaNUpdates     int64 // model updates skipped because they came out NaN
}

// addEvent records a ranked event. The caller holds l.mu.
func (l *Loop) addEvent(id string, hash uint64, deferred bool, ctx *Context, acts *Actions, terms *termEntry, chosen int, prob float32, now int64) *event {
	var ev *event
	if n := len(l.free); n > 0 {
		ev, l.free = l.free[n-1], l.free[:n-1]
	} else {
		ev = new(event)
	}
	*ev = event{
		id:       id,
		hash:     hash,
		context:  ctx,
		actions:  acts,
		terms:    terms,
		chosen:   chosen,
		prob:     prob,
		deadline: now + l.rewardWait,
		forgetAt: now + 2*l.rewardWait,
		deferred: deferred,
	}

	if old := l.events.put(ev); old != nil {
		old.replaced = true
		if !old.closed {
			l.stats.Replaced++
		}
	}
	l.open.push(ev)
	l.last = ev
	return ev
}

// closeExpired closes every event whose reward wait time has passed, and
// removes closed events past their retention from the event index. The
// caller holds l.mu.
//
// NOTE: events close in Rank order. After the reward wait time shrinks, an
// event ranked later may pass its deadline before an earlier one and then
// closes only with it.
func (l *Loop) closeExpired(now int64) {
	for l.open.len() > 0 && now > l.open.peek().deadline {
		l.closeEvent(l.open.pop())
	}
	for l.retired.len() > minRetained && now > l.retired.peek().forgetAt {
		ev := l.retired.pop()
		if !ev.replaced { // a replaced event's id maps to its successor
			l.events.remove(ev)
		}
		l.release(ev)
	}
}

// closeEvent ends an event's reward wait time: an active event that has not
// trained yet trains with its aggregated reward, or the default reward when
// none came. The caller holds l.mu.
func (l *Loop) closeEvent(ev *event) {
	if ev.replaced {
		l.release(ev)
		return
	}
	ev.closed = true

	switch {
	case !ev.active():
		l.stats.Inactive++
	case !ev.trained:
		value := l.defaultReward
		if ev.rewards > 0 {
			value = ev.value
			if l.aggregation == AggregationAverage {
				value /= float64(ev.rewards)
			}
		} else {
			l.stats.DefaultRewards++
		}
		l.train(ev, value)
	}
	l.retired.push(ev)
}

func (l *Loop) release(ev *event) {
	if l.last == ev {
		l.last = nil
	}
	*ev = event{}
	l.free = append(l.free, ev)
}

// lookupEvent returns the event with the given id, checking the last ranked
// event before the map: a simulation rewards each event right after Rank.
// The caller holds l.mu.
func (l *Loop) lookupEvent(id string) *event {
	if l.last != nil && l.last.id == id && !l.last.replaced {
		return l.last
	}
	return l.events.get(id, hashEventID(id, l.seed))
}

// reward joins a reward to an event. The caller holds l.mu.
func (l *Loop) reward(id string, value float64) {
	l.closeExpired(l.clock.Now())

	ev := l.lookupEvent(id)
	switch {
	case ev == nil:
		l.stats.UnknownRewards++
		return
	case ev.closed:
		l.stats.LateRewards++
		return
	}

	l.stats.Rewards++
	ev.rewards++
	if l.aggregation != AggregationEarliest {
		ev.value += value
		return
	}
	if ev.rewards == 1 {
		ev.value = value
		if ev.active() {
			l.train(ev, value)
		}
	}
}

// activate activates a deferred event. The caller holds l.mu.
func (l *Loop) activate(id string) {
	l.closeExpired(l.clock.Now())

	ev := l.lookupEvent(id)
	if ev == nil || ev.closed || !ev.deferred || ev.activated {
		return
	}
	ev.activated = true
	l.stats.Activations++
	if l.aggregation == AggregationEarliest && ev.rewards > 0 && !ev.trained {
		l.train(ev, ev.value)
	}
}

// train teaches the training model the event's reward. The caller holds l.mu.
func (l *Loop) train(ev *event, value float64) {
	nan := l.lrn.nanUpdates
	l.learnEvent(ev, float32(-value))
	if n := l.lrn.nanUpdates; n > nan && n&(n-1) == 0 { // log the 1st, 2nd, 4th, 8th... occurrence
		l.log.Warn("model update is NaN; skipped it", "eventId", ev.id, "reward", value, "skippedUpdates", n)
	}
	ev.trained = true
	l.stats.Trained++
	if l.firstRemaining > 0 {
		l.firstRemaining--
	}
}

// forgetEvents drops every remembered event without training on it, so a
// reset model learns nothing from events ranked before the reset: their
// rewards then count as unknown. The caller holds l.mu.
func (l *Loop) forgetEvents() {
	for _, q := range []*eventQueue{&l.open, &l.retired} {
		for q.len() > 0 {
			ev := q.pop()
			if !ev.replaced {
				l.events.remove(ev)
			}
			l.release(ev)
		}
	}
}
