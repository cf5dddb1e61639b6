package local

// term is one feature of an expanded example: its weight slot for model 0
// and its value. Model m of a multi-model learner uses (slot+m)&mask.
type term struct {
	slot uint32
	x    float32
}

// expander turns a context and an action into the terms the model scores:
// the action's namespaces, the constant, the context's namespaces and every
// compiled interaction. As in VW, context namespaces are appended to the
// action example, so a namespace index both have holds the action's features
// followed by the context's.
type expander struct {
	specs    [][]byte // the policy's interactions, sorted and deduplicated
	compiled [][]byte // specs with wildcards expanded over seen
	seen     indexSet // namespace indexes of every example so far
	ignore   indexSet // --ignore
	constant bool
	mask     uint32 // 2^bits - 1
	width    uint64 // weights per feature: 2 for --cb_type dr, else 1

	// Scratch, reused between examples.
	groups  []nsGroup
	nAction int // groups[:nAction] come from the action
	merged  []feature
	lookups [][]feature
}

func newExpander(p *Policy) *expander {
	e := &expander{
		specs:    prepareInteractions(p.Interactions),
		constant: !p.NoConstant,
		mask:     uint32(1)<<p.Bits - 1,
		width:    1,
	}
	if p.CBType == CBTypeDR {
		e.width = 2
	}
	for i := 0; i < len(p.Ignore); i++ {
		e.ignore.add(p.Ignore[i])
	}
	return e
}

// observe records the namespace indexes of an example and recompiles the
// interactions when one is new. It reports whether it did.
func (e *expander) observe(present indexSet) bool {
	for i := range present {
		present[i] &^= e.ignore[i]
	}
	if present.subsetOf(e.seen) {
		return false
	}
	e.seen.union(present)
	e.compiled = compileInteractions(e.specs, e.seen)
	return true
}

func (e *expander) slot(h uint64) uint32 { return uint32(h*e.width) & e.mask }

// expand appends the terms of the example ctx+act to out[:0].
func (e *expander) expand(ctx, act *featureSet, out []term) []term {
	out = out[:0]
	e.build(ctx, act)

	for k := range e.groups {
		if k == e.nAction && e.constant {
			out = append(out, term{e.slot(constantHash), 1})
		}
		for _, f := range e.groups[k].features {
			out = append(out, term{e.slot(uint64(f.hash)), f.value})
		}
	}
	if e.nAction == len(e.groups) && e.constant {
		out = append(out, term{e.slot(constantHash), 1})
	}

	for _, inter := range e.compiled {
		switch len(inter) {
		case 2:
			out = e.quadratic(inter, out)
		case 3:
			out = e.cubic(inter, out)
		default:
			out = e.generic(inter, out)
		}
	}
	return out
}

// build fills e.groups with the example's namespaces: the action's first,
// merged with the context's of the same index, then the context's others.
func (e *expander) build(ctx, act *featureSet) {
	e.groups = e.groups[:0]

	need := 0
	for _, g := range act.groups {
		if ctx.present.has(g.index) {
			need += len(g.features) + len(ctx.group(g.index))
		}
	}
	if cap(e.merged) < need {
		e.merged = make([]feature, 0, need)
	}
	e.merged = e.merged[:0]

	for _, g := range act.groups {
		if e.ignore.has(g.index) {
			continue
		}
		if ctx.present.has(g.index) {
			start := len(e.merged)
			e.merged = append(e.merged, g.features...)
			e.merged = append(e.merged, ctx.group(g.index)...)
			g.features = e.merged[start:len(e.merged):len(e.merged)]
		}
		e.groups = append(e.groups, g)
	}
	e.nAction = len(e.groups)

	for _, g := range ctx.groups {
		if e.ignore.has(g.index) || act.present.has(g.index) {
			continue
		}
		e.groups = append(e.groups, g)
	}
}

func (e *expander) lookup(index byte) []feature {
	for k := range e.groups {
		if e.groups[k].index == index {
			return e.groups[k].features
		}
	}
	return nil
}

// quadratic appends a two-namespace interaction. A namespace crossed with
// itself yields each unordered pair once, diagonal included.
func (e *expander) quadratic(inter []byte, out []term) []term {
	a, b := e.lookup(inter[0]), e.lookup(inter[1])
	if len(a) == 0 || len(b) == 0 {
		return out
	}
	self := inter[0] == inter[1]

	for i, fa := range a {
		half := fnvPrime * uint64(fa.hash)
		from := 0
		if self {
			from = i
		}
		for _, fb := range b[from:] {
			out = append(out, term{e.slot(uint64(fb.hash) ^ half), fa.value * fb.value})
		}
	}
	return out
}

// cubic appends a three-namespace interaction, with combinations for
// repeated namespaces as in quadratic.
func (e *expander) cubic(inter []byte, out []term) []term {
	a, b, c := e.lookup(inter[0]), e.lookup(inter[1]), e.lookup(inter[2])
	if len(a) == 0 || len(b) == 0 || len(c) == 0 {
		return out
	}
	self1, self2 := inter[0] == inter[1], inter[1] == inter[2]

	for i, fa := range a {
		half1 := fnvPrime * uint64(fa.hash)
		j := 0
		if self1 {
			j = i
		}
		for ; j < len(b); j++ {
			fb := b[j]
			half2 := fnvPrime * (half1 ^ uint64(fb.hash))
			x := fa.value * fb.value
			from := 0
			if self2 {
				from = j
			}
			for _, fc := range c[from:] {
				out = append(out, term{e.slot(uint64(fc.hash) ^ half2), x * fc.value})
			}
		}
	}
	return out
}

// generic appends an interaction of any length.
func (e *expander) generic(inter []byte, out []term) []term {
	e.lookups = e.lookups[:0]
	for _, c := range inter {
		fs := e.lookup(c)
		if len(fs) == 0 {
			return out
		}
		e.lookups = append(e.lookups, fs)
	}
	return e.genericStep(inter, 0, 0, 0, 1, out)
}

// genericStep iterates namespace d of the interaction. prev is the position
// reached in namespace d-1, where a repeated namespace starts; hash and x
// combine the features chosen in namespaces 0..d-1.
func (e *expander) genericStep(inter []byte, d, prev int, hash uint64, x float32, out []term) []term {
	fs := e.lookups[d]
	from := 0
	if d > 0 && inter[d] == inter[d-1] {
		from = prev
	}
	last := d == len(e.lookups)-1

	for i := from; i < len(fs); i++ {
		f := fs[i]
		switch {
		case last:
			out = append(out, term{e.slot(uint64(f.hash) ^ hash), x * f.value})
		case d == 0:
			out = e.genericStep(inter, 1, i, fnvPrime*uint64(f.hash), f.value, out)
		default:
			out = e.genericStep(inter, d+1, i, fnvPrime*(hash^uint64(f.hash)), x*f.value, out)
		}
	}
	return out
}
