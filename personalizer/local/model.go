package local

import "math"

// modelView is the part of a model Rank reads: the weights, possibly strided
// inside the training table, and VW's lazy L1 truncation and L2 contraction.
type modelView struct {
	w           []float32
	stride      uint32
	gravity     float32
	contraction float32
}

// predict returns the raw score of an example, before any clipping. It adds
// the terms one by one in their order, in float32, as VW 9's gd does, so the
// score matches VW's to the bit for the same weights. The float32
// conversions round every product, so no platform fuses a multiply-add.
func (v *modelView) predict(terms []term, model, mask uint32) float32 {
	var sum float32
	if v.gravity != 0 {
		for _, t := range terms {
			sum += float32(truncWeight(v.w[((t.slot+model)&mask)*v.stride], v.gravity) * t.x)
		}
		return sum * v.contraction
	}

	w, stride := v.w, v.stride
	for _, t := range terms {
		sum += float32(w[((t.slot+model)&mask)*stride] * t.x)
	}
	return sum * v.contraction
}

// truncWeight moves w towards 0 by gravity, stopping at 0.
func truncWeight(w, gravity float32) float32 {
	if gravity < float32(math.Abs(float64(w))) {
		if w > 0 {
			return w - gravity
		}
		return w + gravity
	}
	return 0
}

// dirtySet records the weight slots written since the serving model was last
// refreshed, so a refresh copies only those. Past limit slots it gives up and
// the refresh copies every weight.
type dirtySet struct {
	bits  []uint64
	slots []uint32
	limit int
	all   bool
}

func newDirtySet(size int) *dirtySet {
	return &dirtySet{bits: make([]uint64, (size+63)/64), limit: size / 8}
}

func (d *dirtySet) mark(slot uint32) {
	if d.all {
		return
	}
	word, bit := slot>>6, uint64(1)<<(slot&63)
	if d.bits[word]&bit != 0 {
		return
	}
	d.bits[word] |= bit
	d.slots = append(d.slots, slot)
	if len(d.slots) > d.limit {
		d.all = true
	}
}

func (d *dirtySet) reset() {
	if d.all {
		clear(d.bits)
	} else {
		for _, s := range d.slots {
			d.bits[s>>6] = 0
		}
	}
	d.slots = d.slots[:0]
	d.all = false
}

// serving is the model Rank reads.
type serving struct {
	// own holds the serving weights, one per slot; nil when the serving
	// model is the training model itself (ModelUpdateEvery 1).
	own            []float32
	view           modelView // valid when own is set
	firstRemaining int
	version        int64 // refreshes since the model was created or reset
	lastRefresh    int64 // tick
	createdAt      int64 // tick of the first refresh
	modifiedAt     int64 // tick of the last refresh
}

// setupServing makes the serving model match ModelUpdateEvery: the training
// table itself for 1, else a copy refreshed from the weights training
// writes. The caller holds l.mu or owns l.
func (l *Loop) setupServing() {
	if l.updateEvery == 1 {
		l.srv.own = nil
		l.lrn.dirty = nil
		return
	}

	size := int(l.lrn.mask) + 1
	if len(l.srv.own) != size {
		l.srv.own = make([]float32, size)
	}
	for i := range l.srv.own {
		l.srv.own[i] = l.lrn.table[i*slotStride]
	}
	l.srv.view = modelView{w: l.srv.own, stride: 1}
	l.snapshotRegularization()
	l.lrn.dirty = newDirtySet(size)
}

func (l *Loop) snapshotRegularization() {
	v := l.lrn.view()
	l.srv.view.gravity, l.srv.view.contraction = v.gravity, v.contraction
}

// servingView returns the model Rank reads and the --first events it still
// explores.
func (l *Loop) servingView() (modelView, int) {
	if l.srv.own == nil {
		return l.lrn.view(), l.firstRemaining
	}
	return l.srv.view, l.srv.firstRemaining
}

// maybeRefresh refreshes the serving model when ModelUpdateEvery events or
// ModelExportFrequency ticks have passed. The caller holds l.mu.
func (l *Loop) maybeRefresh(now int64) {
	if l.updateEvery > 0 {
		if l.rankCalls > 0 && l.rankCalls%int64(l.updateEvery) == 0 {
			l.refresh(now)
		}
		return
	}
	if now-l.srv.lastRefresh >= l.exportFrequency {
		l.refresh(now)
	}
}

// refresh copies the training model into the serving model. The caller
// holds l.mu.
func (l *Loop) refresh(now int64) {
	if l.srv.own != nil {
		d := l.lrn.dirty
		if d.all {
			for i := range l.srv.own {
				l.srv.own[i] = l.lrn.table[i*slotStride]
			}
		} else {
			for _, s := range d.slots {
				l.srv.own[s] = l.lrn.table[s*slotStride]
			}
		}
		d.reset()
		l.snapshotRegularization()
		l.srv.firstRemaining = l.firstRemaining
	}

	if l.srv.version == 0 {
		l.srv.createdAt = now
	}
	l.srv.version++
	l.srv.modifiedAt = now
	l.srv.lastRefresh = now
	if l.srv.own != nil {
		l.log.Debug("serving model refreshed", "version", l.srv.version)
	}
}
