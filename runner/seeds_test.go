package runner

import "testing"

func TestEventIDs(t *testing.T) {
	var ids eventIDs
	seen := map[string]bool{}
	for i := range 10_000 {
		got := ids.next(7, 2, i)
		if want := EventID(7, 2, i); got != want {
			t.Fatalf("event %d: block id %q, want %q", i, got, want)
		}
		if len(got) != 32 {
			t.Fatalf("event %d: id %q has %d characters, want 32", i, got, len(got))
		}
		if seen[got] {
			t.Fatalf("event %d: id %q repeats", i, got)
		}
		seen[got] = true
	}
	// Ids handed out earlier keep their value after later blocks are made.
	first := ids.next(7, 3, 0)
	for i := range 9000 {
		ids.next(7, 3, i+1)
	}
	if first != EventID(7, 3, 0) {
		t.Errorf("first id changed to %q", first)
	}
	if EventID(7, 2, 0) == EventID(7, 3, 0) || EventID(7, 2, 0) == EventID(8, 2, 0) {
		t.Error("ids of different repetitions or seeds collide")
	}
}
