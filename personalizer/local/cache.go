package local

// maxCachedTerms bounds the terms a loop caches: 8 MiB of terms.
const maxCachedTerms = 1 << 20

// termCache keeps the expanded terms of every action of a prepared context
// and prepared actions, so an event whose context repeats, as in a
// simulation, skips hashing its interactions. Entries belong to one
// compilation of the interactions; a new namespace or policy empties the
// cache. When the cache is full it stops taking entries until then.
type termCache struct {
	gen     uint64 // incremented whenever cached terms go stale
	entries map[termKey]*termEntry
	stored  int // terms in entries
}

type termKey struct {
	ctx     *Context
	actions *Actions
}

// termEntry holds the terms of action i at terms[offsets[i]:offsets[i+1]].
type termEntry struct {
	gen     uint64
	offsets []int32
	terms   []term
}

func (e *termEntry) action(i int) []term { return e.terms[e.offsets[i]:e.offsets[i+1]] }

// invalidate empties the cache.
func (c *termCache) invalidate() {
	c.gen++
	clear(c.entries)
	c.stored = 0
}

// lookup returns the entry for ctx and actions, expanding and storing it
// when there is room, or nil.
func (c *termCache) lookup(exp *expander, ctx *Context, actions *Actions) *termEntry {
	key := termKey{ctx, actions}
	if e := c.entries[key]; e != nil {
		return e
	}
	if c.stored >= maxCachedTerms {
		return nil
	}

	e := &termEntry{gen: c.gen, offsets: make([]int32, 1, actions.Len()+1)}
	var scratch []term
	for i := range actions.items {
		scratch = exp.expand(&ctx.set, &actions.items[i], scratch)
		e.terms = append(e.terms, scratch...)
		e.offsets = append(e.offsets, int32(len(e.terms)))
	}
	if c.entries == nil {
		c.entries = make(map[termKey]*termEntry)
	}
	c.entries[key] = e
	c.stored += len(e.terms)
	return e
}
