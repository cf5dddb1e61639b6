package runner

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// coffeeContext is the tutorial's context: 4 × 3 × 3 values, the weather
// weighted.
func coffeeContext() []ContextVar {
	return []ContextVar{
		{Name: "name", Values: []any{"Alice", "Bob", "Cathy", "Dave"}, Weights: []float64{0.25, 0.25, 0.25, 0.25}},
		{Name: "weather", Values: []any{"Sunny", "Rainy", "Snowy"}, Weights: []float64{0.5, 0.3, 0.2}},
		{Name: "timeofday", Values: []any{"Morning", "Afternoon", "Evening"}, Weights: []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}},
	}
}

func TestSamplerDistribution(t *testing.T) {
	shoppers := &Dataset{Name: "shoppers", Rows: []map[string]any{{"id": "s1"}, {"id": "s2"}}}
	vars := append(coffeeContext(), ContextVar{Name: "shopper", From: shoppers})
	s := NewSampler(vars)

	const draws = 200_000
	counts := make([][]int, len(vars))
	for i, v := range vars {
		n := len(v.Values)
		if v.From != nil {
			n = len(v.From.Rows)
		}
		counts[i] = make([]int, n)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	idx := make([]int, len(vars))
	for range draws {
		s.Draw(rng, idx)
		for i, x := range idx {
			counts[i][x]++
		}
	}

	// The standard error of a share is at most 0.5/sqrt(draws) ≈ 0.0011,
	// so 0.006 is more than five of them.
	want := [][]float64{{0.25, 0.25, 0.25, 0.25}, {0.5, 0.3, 0.2}, {1.0 / 3, 1.0 / 3, 1.0 / 3}, {0.5, 0.5}}
	for i := range vars {
		for j, c := range counts[i] {
			share := float64(c) / draws
			if math.Abs(share-want[i][j]) > 0.006 {
				t.Errorf("%s value %d: share %.4f, want %.4f", vars[i].Name, j, share, want[i][j])
			}
		}
	}
}

func TestSamplerDeterministic(t *testing.T) {
	s := NewSampler(coffeeContext())
	sequence := func(seed uint64) []int {
		rng := rand.New(rand.NewPCG(seed, 7))
		idx := make([]int, 3)
		var out []int
		for range 100 {
			s.Draw(rng, idx)
			out = append(out, idx...)
		}
		return out
	}

	if diff := cmp.Diff(sequence(1), sequence(1)); diff != "" {
		t.Errorf("same seed, different draws (-first +second):\n%s", diff)
	}
	if cmp.Equal(sequence(1), sequence(2)) {
		t.Error("seeds 1 and 2 drew the same 100 contexts")
	}
}

// TestSamplerStreamAlignment checks that Draw takes one number per variable
// from the stream whatever the variable's kind, so that arms with
// different context definitions stay aligned on the same stream.
func TestSamplerStreamAlignment(t *testing.T) {
	uniform := NewSampler([]ContextVar{{Name: "a", Values: []any{1, 2, 3}, Weights: []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}}})
	weighted := NewSampler([]ContextVar{{Name: "a", Values: []any{1, 2, 3}, Weights: []float64{0.7, 0.2, 0.1}}})

	for name, s := range map[string]*Sampler{"uniform": uniform, "weighted": weighted} {
		drawn := rand.New(rand.NewPCG(3, 4))
		skipped := rand.New(rand.NewPCG(3, 4))
		idx := make([]int, 1)
		for range 1000 {
			s.Draw(drawn, idx)
			skipped.Uint64()
		}
		if drawn.Uint64() != skipped.Uint64() {
			t.Errorf("%s sampler took other than one number per draw", name)
		}
	}
}

func TestSamplerKey(t *testing.T) {
	s := NewSampler(coffeeContext())
	if size, ok := s.Size(); size != 36 || !ok {
		t.Errorf("Size = %d, %v, want 36, true", size, ok)
	}

	seen := map[uint64][]int{}
	for a := range 4 {
		for b := range 3 {
			for c := range 3 {
				idx := []int{a, b, c}
				key := s.Key(idx)
				if prev, dup := seen[key]; dup {
					t.Fatalf("contexts %v and %v share key %d", prev, idx, key)
				}
				if key >= 36 {
					t.Errorf("key %d of %v is not below the size 36", key, idx)
				}
				seen[key] = idx
			}
		}
	}
}

func TestSamplerKeyOverflow(t *testing.T) {
	huge := make([]any, 1<<16)
	var vars []ContextVar
	for range 5 {
		vars = append(vars, ContextVar{Name: "v", Values: huge})
	}
	s := NewSampler(vars)
	if _, ok := s.Size(); ok {
		t.Fatal("Size reports 2^80 contexts as fitting in uint64")
	}
	a, b := []int{1, 2, 3, 4, 5}, []int{5, 4, 3, 2, 1}
	if s.Key(a) != s.Key(a) {
		t.Error("Key is not stable")
	}
	if s.Key(a) == s.Key(b) {
		t.Errorf("Key(%v) == Key(%v)", a, b)
	}
}

func TestSamplerContext(t *testing.T) {
	row := map[string]any{"id": "s2", "segment": "retired"}
	shoppers := &Dataset{Name: "shoppers", Rows: []map[string]any{{"id": "s1"}, row}}
	vars := append(coffeeContext(), ContextVar{Name: "shopper", From: shoppers})
	s := NewSampler(vars)
	idx := []int{1, 2, 0, 1}

	wantFeatures := []map[string]any{
		{"name": "Bob", "weather": "Snowy", "timeofday": "Morning"},
		{"shopper": row},
	}
	if diff := cmp.Diff(wantFeatures, s.ContextFeatures(idx)); diff != "" {
		t.Errorf("ContextFeatures (-want +got):\n%s", diff)
	}

	wantMap := map[string]any{"name": "Bob", "weather": "Snowy", "timeofday": "Morning", "shopper": row}
	if diff := cmp.Diff(wantMap, s.ContextMap(idx)); diff != "" {
		t.Errorf("ContextMap (-want +got):\n%s", diff)
	}

	// A context of dataset rows only has no flat object.
	rowsOnly := NewSampler([]ContextVar{{Name: "shopper", From: shoppers}})
	if diff := cmp.Diff([]map[string]any{{"shopper": row}}, rowsOnly.ContextFeatures([]int{1})); diff != "" {
		t.Errorf("rows-only ContextFeatures (-want +got):\n%s", diff)
	}
}

func TestSamplerDrawAllocations(t *testing.T) {
	s := NewSampler(coffeeContext())
	rng := rand.New(rand.NewPCG(1, 1))
	idx := make([]int, 3)
	allocs := testing.AllocsPerRun(100, func() {
		s.Draw(rng, idx)
		_ = s.Key(idx)
	})
	if allocs != 0 {
		t.Errorf("Draw and Key allocate %v times per event, want 0", allocs)
	}
}

func BenchmarkSamplerDraw(b *testing.B) {
	s := NewSampler(coffeeContext())
	rng := rand.New(rand.NewPCG(1, 1))
	idx := make([]int, 3)
	b.ReportAllocs()
	for b.Loop() {
		s.Draw(rng, idx)
		_ = s.Key(idx)
	}
}
