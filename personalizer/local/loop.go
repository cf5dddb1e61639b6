package local

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"

	"github.com/rankloop/rankloop/personalizer"
)

// maxIDLength is the longest event or action id the service accepted.
const maxIDLength = 256

// Options configures a [Loop].
type Options struct {
	// Policy holds the Vowpal Wabbit arguments; "" means
	// personalizer.DefaultPolicyArguments. See [ParsePolicy].
	Policy string
	// Exploration, when set, replaces the policy's --epsilon, as the
	// service's exploration percentage did. It must be in [0, 1].
	Exploration *float64
	// ModelUpdateEvery is the number of Rank calls between serving-model
	// refreshes: before Rank call i (0-based) the serving model is refreshed
	// when i > 0 and i%ModelUpdateEvery == 0, so 1 learns after every
	// event. 0 refreshes on the clock every ModelExportFrequency instead.
	ModelUpdateEvery int
	// ModelExportFrequency is the refresh period in clock ticks, used when
	// ModelUpdateEvery is 0.
	ModelExportFrequency int64
	// RewardWait is the reward wait time in clock ticks: an event ranked at
	// tick t joins rewards that arrive up to tick t+RewardWait.
	RewardWait int64
	// DefaultReward is the reward an active event learns when its reward
	// wait time passes without one.
	DefaultReward float64
	// RewardAggregation is AggregationEarliest (the default, ""),
	// AggregationSum or AggregationAverage.
	RewardAggregation string
	// Seed is mixed into every exploration draw and generated id.
	Seed uint64
	// Clock is the time source; nil means a [WallClock] in nanoseconds.
	Clock Clock
	// Logger receives the loop's log records; nil discards them.
	Logger *slog.Logger
}

// Loop is the embedded learning loop. It implements [personalizer.Loop] and
// [personalizer.Admin]. All methods are safe for concurrent use: they
// serialize on one mutex, which costs little when, as in the runner, one
// goroutine drives the loop.
type Loop struct {
	mu     sync.Mutex
	clock  Clock
	log    *slog.Logger
	seed   uint64
	idSeed uint64 // seed of generated event ids
	ids    uint64 // event ids generated so far
	name   string // the loop's 32-hex id, the policy's name

	// Service configuration.
	rewardWait       int64
	defaultReward    float64
	aggregation      string
	updateEvery      int
	exportFrequency  int64
	logRetentionDays int32
	logMirrorEnabled *bool
	logMirrorSasURI  string
	editedAt         int64 // tick of the last configuration change

	// Policy and model.
	policyArgs     string
	policy         *Policy
	explore        explorer
	exp            *expander
	lrn            *learner
	srv            serving
	firstRemaining int // --first events still to explore, on the training side

	// Events.
	rankCalls int64 // Rank calls that ranked, for the refresh cadence
	events    eventTable
	open      eventQueue // events within their reward wait time, in Rank order
	retired   eventQueue // closed events still remembered, in Rank order
	free      []*event
	last      *event // the last ranked event, checked first by Reward
	stats     Stats

	cache termCache // terms of prepared contexts and actions

	// Scratch, reused between events.
	terms  []term
	scores []float32
	order  []int
	probs  []float64
	labels []float32
}

// New returns a loop with an untrained model. It fails on invalid policy
// arguments, an unknown reward aggregation or invalid numbers.
func New(opts Options) (*Loop, error) {
	args := opts.Policy
	if args == "" {
		args = personalizer.DefaultPolicyArguments
	}
	if opts.Exploration != nil {
		e := *opts.Exploration
		if !(e >= 0 && e <= 1) {
			return nil, fmt.Errorf("invalid exploration %v: want a share from 0 to 1", e)
		}
		args = WithEpsilon(args, e)
	}
	policy, err := ParsePolicy(args)
	if err != nil {
		return nil, fmt.Errorf("invalid policy arguments %q: %w", args, err)
	}

	aggregation, err := parseAggregation(opts.RewardAggregation)
	if err != nil {
		return nil, err
	}
	switch {
	case opts.ModelUpdateEvery < 0:
		return nil, fmt.Errorf("invalid ModelUpdateEvery %d: want 0 (refresh on the clock) or more", opts.ModelUpdateEvery)
	case opts.ModelExportFrequency < 0:
		return nil, fmt.Errorf("invalid ModelExportFrequency %d: want 0 or more ticks", opts.ModelExportFrequency)
	case opts.ModelUpdateEvery == 0 && opts.ModelExportFrequency == 0:
		return nil, errors.New("the serving model would never refresh: set ModelUpdateEvery (events) or ModelExportFrequency (ticks)")
	case opts.RewardWait < 0:
		return nil, fmt.Errorf("invalid RewardWait %d: want 0 or more ticks", opts.RewardWait)
	case math.IsNaN(opts.DefaultReward) || math.IsInf(opts.DefaultReward, 0):
		return nil, fmt.Errorf("invalid DefaultReward %v: want a finite number", opts.DefaultReward)
	}

	l := &Loop{
		clock:            opts.Clock,
		log:              opts.Logger,
		seed:             opts.Seed,
		rewardWait:       opts.RewardWait,
		defaultReward:    opts.DefaultReward,
		aggregation:      aggregation,
		updateEvery:      opts.ModelUpdateEvery,
		exportFrequency:  opts.ModelExportFrequency,
		logRetentionDays: 90,
	}
	if l.clock == nil {
		l.clock = NewWallClock()
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}

	now := l.clock.Now()
	l.editedAt = now
	l.srv.lastRefresh = now
	l.idSeed = splitmix64(l.seed ^ uint64(now))
	l.name = l.newID()
	l.setPolicy(args, policy, true)
	return l, nil
}

// setPolicy installs a parsed policy. A new model is built when reset is
// set; otherwise the weights stay and take the new learning rates. The
// caller holds l.mu or owns l.
func (l *Loop) setPolicy(args string, p *Policy, reset bool) {
	old := l.policy
	l.policyArgs, l.policy = args, p
	l.explore = explorer{kind: p.Explore, epsilon: p.Epsilon, lambda: p.Lambda}

	if reset {
		// A reset loop starts over: the refresh cadence counts from its
		// first Rank, and earlier events never train the new model.
		l.rankCalls = 0
		l.forgetEvents()
		l.cache.invalidate()
		l.exp = newExpander(p)
		var version uint64
		if l.lrn != nil {
			version = l.lrn.version // kept monotonic: events may hold a score of the old model
		}
		l.lrn = newLearner(p)
		l.lrn.version += version
		l.firstRemaining = p.First
		l.srv = serving{lastRefresh: l.srv.lastRefresh, firstRemaining: p.First}
		l.setupServing()
		return
	}

	l.lrn.configure(p)
	if old == nil || old.First != p.First {
		l.firstRemaining = p.First
		l.srv.firstRemaining = p.First
	}
}

// Decision is the fast path's ranking of one event. RankPrepared reuses its
// slices, so a caller that keeps them across calls must copy them.
type Decision struct {
	// Chosen is the index of the action to show, in request order.
	Chosen int
	// Probabilities has the probability of every action, in request order.
	Probabilities []float64
	// Order is the ranking as indexes in request order: Order[0] == Chosen,
	// then the other actions by score, except that the action the chosen
	// one displaced from first place takes the chosen one's position.
	Order []int
	// Explored reports that the chosen action is not among the tied best.
	Explored bool
	// ModelVersion counts serving-model refreshes; 0 is the untrained model.
	ModelVersion int64
}

// RankPrepared ranks prepared actions in a prepared context for the event
// eventID, as [Loop.Rank] does with the same inputs, and fills d. ctx may be
// nil for no context features. The loop keeps ctx and actions until the
// event's reward wait time has passed, so they must not change.
func (l *Loop) RankPrepared(eventID string, deferActivation bool, ctx *Context, actions *Actions, d *Decision) error {
	switch {
	case eventID == "":
		return invalidRank("the event id is empty; RankPrepared needs one")
	case len(eventID) > maxIDLength:
		return invalidRank(fmt.Sprintf("the event id has %d characters; the maximum is %d", len(eventID), maxIDLength))
	case actions == nil || actions.Len() == 0:
		return invalidRank("the request has no actions")
	}
	if ctx == nil {
		ctx = &emptyContext
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	l.rank(eventID, deferActivation, ctx, actions, d, true)
	return nil
}

var emptyContext Context

// rank closes expired events, refreshes the serving model when due, ranks
// and records the event. With cache set, the terms of ctx and actions are
// kept for the next events that share them. The caller holds l.mu.
func (l *Loop) rank(eventID string, deferActivation bool, ctx *Context, actions *Actions, d *Decision, cache bool) {
	now := l.clock.Now()
	l.closeExpired(now)
	l.maybeRefresh(now)

	present := ctx.set.present
	present.union(actions.present)
	if l.exp.observe(present) {
		l.cache.invalidate()
		l.lrn.version++ // scores kept by events used the old interactions
	}

	k := actions.Len()
	l.scores = grow(l.scores, k)
	l.order = grow(l.order, k)
	l.probs = grow(l.probs, k)

	var entry *termEntry
	if cache {
		entry = l.cache.lookup(l.exp, ctx, actions)
	}
	view, firstRemaining := l.servingView()
	for i := range actions.items {
		terms := l.terms
		if entry != nil {
			terms = entry.action(i)
		} else {
			l.terms = l.exp.expand(&ctx.set, &actions.items[i], l.terms)
			terms = l.terms
		}
		l.scores[i] = view.predict(terms, 0, l.exp.mask)
	}

	sortByScore(l.scores, l.order)
	l.explore.probabilities(l.scores, l.order, l.probs, firstRemaining > 0)
	hash := hashEventID(eventID, l.seed)
	pos := sample(l.probs, l.order, drawOf(hash))
	chosen := l.order[pos]

	d.Chosen = chosen
	d.Explored = !sameScore(l.scores[chosen], l.scores[l.order[0]])
	d.ModelVersion = l.srv.version
	d.Order = append(d.Order[:0], l.order...)
	d.Order[0], d.Order[pos] = d.Order[pos], d.Order[0]
	d.Probabilities = d.Probabilities[:0]
	for _, p := range l.probs {
		d.Probabilities = append(d.Probabilities, roundProbability(p))
	}

	prob := l.explore.learningProbability(l.probs, l.order, pos)
	ev := l.addEvent(eventID, hash, deferActivation, ctx, actions, entry, chosen, prob, now)
	if l.srv.own == nil {
		// Ranking read the training model: mtr may reuse the score.
		ev.score, ev.scoredAt = l.scores[chosen], l.lrn.version
	}
	l.rankCalls++
	l.stats.Events++
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// RewardPrepared joins a reward to an event as [Loop.Reward] does.
func (l *Loop) RewardPrepared(eventID string, value float64) error {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return &InvalidRequestError{Code: CodeInvalidRewardRequest, Message: fmt.Sprintf("the reward %v is not a finite number", value)}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reward(eventID, value)
	return nil
}

// ActivatePrepared activates a deferred event as [Loop.Activate] does.
func (l *Loop) ActivatePrepared(eventID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.activate(eventID)
	return nil
}

// Flush closes the reward wait time of every open event now, as if it had
// passed: active events without a reward learn the default reward. The
// runner calls it at the end of a run.
func (l *Loop) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.open.len() > 0 {
		l.closeEvent(l.open.pop())
	}
}

// UnusedInteractions returns the policy's interactions that name, outside
// wildcards, a namespace that neither ctx nor any of actions has (or that
// --ignore removes). Such an interaction never produces a feature; callers
// warn about it when they load an experiment. ctx may be nil.
func (l *Loop) UnusedInteractions(ctx *Context, actions *Actions) []string {
	var present indexSet
	if ctx != nil {
		present = ctx.set.present
	}
	if actions != nil {
		present.union(actions.present)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range present {
		present[i] &^= l.exp.ignore[i]
	}
	return unusedInteractions(l.policy.Interactions, present)
}

// Stats returns the loop's event counters.
func (l *Loop) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.NaNUpdates = l.lrn.nanUpdates
	return s
}

// newID returns a new 32-hex id from the loop's seed. The caller holds l.mu
// or owns l.
func (l *Loop) newID() string {
	l.ids++
	a := splitmix64(l.idSeed + l.ids)
	b := splitmix64(a)
	return fmt.Sprintf("%016x%016x", a, b)
}
