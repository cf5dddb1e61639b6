package local

// eventTable indexes events by id. It is an open-addressing hash table with
// linear probing and backward-shift deletion, keyed by the 64-bit hash that
// also seeds the event's draw, so Rank hashes an id once and the table never
// fills with tombstones. Its size follows the events it holds: it doubles
// past half full and never allocates otherwise.
type eventTable struct {
	slots []*event
	n     int
}

func (t *eventTable) home(h uint64) int { return int(h & uint64(len(t.slots)-1)) }

// get returns the event with id and hash h, or nil.
func (t *eventTable) get(id string, h uint64) *event {
	if t.n == 0 {
		return nil
	}
	for i := t.home(h); ; i = (i + 1) & (len(t.slots) - 1) {
		ev := t.slots[i]
		if ev == nil {
			return nil
		}
		if ev.hash == h && ev.id == id {
			return ev
		}
	}
}

// put stores ev under ev.id and returns the event it replaces, or nil.
func (t *eventTable) put(ev *event) *event {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	i := t.home(ev.hash)
	for ; t.slots[i] != nil; i = (i + 1) & (len(t.slots) - 1) {
		if old := t.slots[i]; old.hash == ev.hash && old.id == ev.id {
			t.slots[i] = ev
			return old
		}
	}
	t.slots[i] = ev
	t.n++
	return nil
}

// remove deletes ev if the table holds it, and shifts back the events that
// probed past its slot.
func (t *eventTable) remove(ev *event) {
	if t.n == 0 {
		return
	}
	mask := len(t.slots) - 1
	i := t.home(ev.hash)
	for t.slots[i] != ev {
		if t.slots[i] == nil {
			return
		}
		i = (i + 1) & mask
	}

	for j := (i + 1) & mask; t.slots[j] != nil; j = (j + 1) & mask {
		// Move slots[j] into the hole unless its home lies cyclically
		// in (i, j], where it would no longer be found.
		k := t.home(t.slots[j].hash)
		if (j > i && (k <= i || k > j)) || (j < i && k <= i && k > j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = nil
	t.n--
}

func (t *eventTable) grow() {
	old := t.slots
	t.slots = make([]*event, max(64, 2*len(old)))
	t.n = 0
	for _, ev := range old {
		if ev != nil {
			t.put(ev)
		}
	}
}
