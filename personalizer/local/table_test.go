package local

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The table must behave as a Go map under random puts, replacements and
// removals, with hashes whose low bits collide often so probes wrap and
// backward shifts run.
func TestEventTableMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var table eventTable
	model := map[string]*event{}

	newEvent := func(id string) *event {
		// Hashes differ only above bit 40 half of the time.
		h := uint64(rng.IntN(8))
		if rng.IntN(2) == 0 {
			h = uint64(rng.Uint32()) << 40
		}
		return &event{id: id, hash: h ^ uint64(len(id))}
	}
	hashes := map[string]uint64{}

	for op := 0; op < 50000; op++ {
		id := fmt.Sprint("e", rng.IntN(3000))
		switch rng.IntN(3) {
		case 0:
			ev := newEvent(id)
			if h, ok := hashes[id]; ok {
				ev.hash = h // an id keeps its hash
			}
			hashes[id] = ev.hash
			old := table.put(ev)
			if old != model[id] {
				t.Fatalf("op %d: put %s replaced %p, want %p", op, id, old, model[id])
			}
			model[id] = ev
		case 1:
			if ev := model[id]; ev != nil {
				table.remove(ev)
				delete(model, id)
			}
		case 2:
			h, ok := hashes[id]
			if !ok {
				continue
			}
			if got := table.get(id, h); got != model[id] {
				t.Fatalf("op %d: get %s = %p, want %p", op, id, got, model[id])
			}
		}
		if table.n != len(model) {
			t.Fatalf("op %d: table holds %d events, map %d", op, table.n, len(model))
		}
	}

	for id, ev := range model {
		if got := table.get(id, hashes[id]); got != ev {
			t.Errorf("final get %s = %p, want %p", id, got, ev)
		}
	}
}
