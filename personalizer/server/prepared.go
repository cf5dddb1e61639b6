package server

import (
	"hash/maphash"
	"net/http"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/personalizer/local"
)

// preparedLoop is the fast path of the embedded loop ([local.Loop]): it
// featurizes context features and actions once, and ranks the prepared
// ones with the same results as Rank.
type preparedLoop interface {
	PrepareContext(features []map[string]any) (*local.Context, error)
	PrepareActions(actions []personalizer.RankableAction) (*local.Actions, error)
	RankPrepared(eventID string, deferActivation bool, ctx *local.Context, actions *local.Actions, d *local.Decision) error
}

// preparedCache keeps the featurized contextFeatures and actions of recent
// rank requests, keyed by their JSON text. Applications send the same
// action list and a limited set of contexts again and again, so most
// requests skip decoding and featurizing them. Each table is
// direct-mapped: a new entry replaces whatever shared its slot, so memory
// stays bounded. It is safe for concurrent use without locks.
type preparedCache struct {
	loop     preparedLoop
	seed     maphash.Seed
	contexts [contextSlots]atomic.Pointer[cachedContext]
	actions  [actionListSlots]atomic.Pointer[cachedActions]

	// lastActions is the action list used last, which the next request
	// most likely repeats.
	lastActions atomic.Pointer[cachedActions]
}

// The cache holds at most contextSlots × maxCachedContextBytes plus
// actionListSlots × maxCachedActionsBytes of JSON text (4 MiB each), and
// the featurized forms of the same.
const (
	contextSlots          = 1024 // a power of two
	actionListSlots       = 64   // a power of two
	maxCachedContextBytes = 4 << 10
	maxCachedActionsBytes = 64 << 10
)

// cachedContext is the featurized form of one contextFeatures array.
type cachedContext struct {
	text string
	ctx  *local.Context
}

// cachedActions is the featurized form of one actions array, with each
// action id already encoded as a JSON string for the response.
type cachedActions struct {
	text      string
	actions   *local.Actions
	quotedIDs [][]byte
}

// context returns the featurized form of a contextFeatures array given as
// JSON text, preparing and storing it on a miss. ok is false when the text
// is too long to cache or the request is invalid; the general path then
// reports the error.
func (c *preparedCache) context(text []byte, interned *internTable) (ctx *local.Context, ok bool) {
	if len(text) > maxCachedContextBytes {
		return nil, false
	}
	slot := &c.contexts[maphash.Bytes(c.seed, text)&(contextSlots-1)]
	if e := slot.Load(); e != nil && e.text == string(text) {
		return e.ctx, true
	}

	p := rankParser{data: text, interned: interned}
	features, err := p.featureList()
	if err != nil || p.end() != nil || checkContextFeatures(features) != nil {
		return nil, false
	}
	ctx, err = c.loop.PrepareContext(features)
	if err != nil {
		return nil, false
	}
	slot.Store(&cachedContext{text: string(text), ctx: ctx})
	return ctx, true
}

// actionList returns the featurized form of an actions array given as
// JSON text, preparing and storing it on a miss. ok is false as for
// [preparedCache.context], and for an empty array.
func (c *preparedCache) actionList(text []byte, interned *internTable) (e *cachedActions, ok bool) {
	if len(text) > maxCachedActionsBytes {
		return nil, false
	}
	if e := c.lastActions.Load(); e != nil && e.text == string(text) {
		return e, true
	}
	slot := &c.actions[maphash.Bytes(c.seed, text)&(actionListSlots-1)]
	if e := slot.Load(); e != nil && e.text == string(text) {
		c.lastActions.Store(e)
		return e, true
	}

	p := rankParser{data: text, interned: interned}
	list, err := p.actions()
	if err != nil || p.end() != nil || len(list) == 0 || checkActions(list) != nil {
		return nil, false
	}
	actions, err := c.loop.PrepareActions(list)
	if err != nil {
		return nil, false
	}
	e = &cachedActions{text: string(text), actions: actions, quotedIDs: make([][]byte, actions.Len())}
	for i := range e.quotedIDs {
		e.quotedIDs[i] = appendJSONString(nil, actions.ID(i))
	}
	slot.Store(e)
	c.lastActions.Store(e)
	return e, true
}

// rankScratch is the per-request memory of the prepared path.
type rankScratch struct {
	decision local.Decision
	body     []byte
}

var rankScratchPool = sync.Pool{New: func() any { return new(rankScratch) }}

// rankPrepared serves a rank request through the loop's prepared path. It
// returns false, having written nothing and changed nothing, when the
// request needs the general path. Such requests have a body outside the
// fast parser's subset, excluded actions, a contextFeatures or actions
// array too long to cache, or an invalid input. The general path then
// reports the error.
func (s *server) rankPrepared(w http.ResponseWriter, r *http.Request, body []byte) bool {
	var req rankSpans
	var knownActions string
	if last := s.prepared.lastActions.Load(); last != nil {
		knownActions = last.text
	}
	p := rankParser{data: body, interned: &s.interned}
	if p.spans(&req, knownActions) != nil || req.actions == nil {
		return false
	}
	if utf8.RuneCountInString(req.eventID) > personalizer.MaxIDLength {
		return false
	}

	var ctx *local.Context
	if req.contextFeatures != nil {
		var ok bool
		if ctx, ok = s.prepared.context(req.contextFeatures, &s.interned); !ok {
			return false
		}
	}
	actions, ok := s.prepared.actionList(req.actions, &s.interned)
	if !ok {
		return false
	}

	if req.eventID == "" {
		req.eventID = newEventID()
	}
	scratch := rankScratchPool.Get().(*rankScratch)
	defer rankScratchPool.Put(scratch)
	d := &scratch.decision
	if err := s.prepared.loop.RankPrepared(req.eventID, req.deferActivation, ctx, actions.actions, d); err != nil {
		// RankPrepared checks its input before it changes the loop, so
		// the general path can still serve the request and report the
		// error as Rank does.
		return false
	}
	s.events.record(s.now())

	data, ok := appendRankResponse(scratch.body[:0], actions, req.eventID, d)
	if !ok {
		// A probability that JSON cannot encode: writeJSON fails the
		// request as the general path does.
		s.writeJSON(w, r, http.StatusCreated, rankResponse(actions, req.eventID, d))
		return true
	}
	scratch.body = data
	writeJSONBytes(w, http.StatusCreated, data)
	return true
}

// rankResponse builds the response that [local.Loop.Rank] returns for a
// decision over actions without exclusions.
func rankResponse(actions *cachedActions, eventID string, d *local.Decision) *personalizer.RankResponse {
	resp := &personalizer.RankResponse{
		Ranking:        make([]personalizer.RankedAction, len(d.Order)),
		EventID:        eventID,
		RewardActionID: actions.actions.ID(d.Chosen),
	}
	for k, i := range d.Order {
		resp.Ranking[k] = personalizer.RankedAction{ID: actions.actions.ID(i), Probability: d.Probabilities[i]}
	}
	return resp
}

// appendRankResponse appends the JSON encoding of rankResponse(actions,
// eventID, d) to dst, byte for byte as encoding/json writes it. ok is
// false when a probability is not finite.
func appendRankResponse(dst []byte, actions *cachedActions, eventID string, d *local.Decision) (out []byte, ok bool) {
	dst = append(dst, `{"ranking":[`...)
	for k, i := range d.Order {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = append(dst, actions.quotedIDs[i]...)
		dst = append(dst, `,"probability":`...)
		if dst, ok = appendJSONFloat(dst, d.Probabilities[i]); !ok {
			return dst, false
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `],"eventId":`...)
	dst = appendJSONString(dst, eventID)
	dst = append(dst, `,"rewardActionId":`...)
	dst = append(dst, actions.quotedIDs[d.Chosen]...)
	dst = append(dst, '}')
	return dst, true
}
