package runner

import (
	"testing"

	"github.com/rankloop/rankloop/results"
)

// TestLayoutKindOverAllArms checks a context variable that holds numbers in
// one arm and text in another: its column must hold both, as text.
func TestLayoutKindOverAllArms(t *testing.T) {
	exp := loadText(t, `name: kinds
events: 100
batch_size: 50
repetitions: 1
context:
  level: [1, 2]
actions:
  - id: a
    features: {kind: one}
  - id: b
    features: {kind: two}
reward: 'action.id == "a" ? 1 : 0'
personalizer:
  policy: "--cb_explore_adf --epsilon 0.2"
arms:
  - name: numbers
  - name: words
    context:
      level: [low, high]
`)
	want := map[string]map[string]bool{
		"numbers": {"1": true, "2": true},
		"words":   {"low": true, "high": true},
	}
	for _, r := range runRows(t, exp) {
		v := r.Context[0]
		if v.Null || !want[r.Arm][v.Str] {
			t.Fatalf("arm %s, event %d: ctx_level = %+v, want one of %v as text", r.Arm, r.Event, v, want[r.Arm])
		}
	}

	layout := newEventLayout(exp)
	if got := layout.schema.Context[0].Kind; got != results.KindString {
		t.Errorf("ctx_level kind = %v, want %v", got, results.KindString)
	}
}
