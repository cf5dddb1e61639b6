package local

import (
	"testing"

	"github.com/rankloop/rankloop/personalizer"
)

func indexes(letters string) indexSet {
	var s indexSet
	for i := 0; i < len(letters); i++ {
		s.add(letters[i])
	}
	return s
}

func TestCompileInteractions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []string
		seen  string
		want  string
	}{
		{"pairs of two namespaces", []string{"::"}, "Fj", "FF Fj jj"},
		{"pairs of three", []string{"::"}, "Fjx", "FF Fj Fx jj jx xx"},
		{"one wildcard", []string{"F:"}, "Fj", "FF Fj"},
		{"reversed duplicate removed", []string{"jF", "Fj"}, "Fj", "Fj"},
		{"explicit and wildcard merge", []string{"::", "FFFj"}, "Fj", "FF Fj jj FFFj"},
		{"repeated letter sorted", []string{"jFF"}, "Fj", "FFj"},
		{"distinct letters keep order", []string{"jF"}, "Fj", "jF"},
		{"cubic wildcard", []string{":::"}, "Fj", "FFF FFj Fjj jjj"},
		{"nothing seen", []string{"Fj"}, "", ""},
		{"constant index not interacted", []string{"::"}, "F\x80", "FF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := interactionString(compileInteractions(prepareInteractions(tc.specs), indexes(tc.seen)))
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// coffeeExample returns the terms of the first coffee in the first coffee
// context under policy args.
func coffeeExample(t *testing.T, args string) []term {
	t.Helper()
	p, err := ParsePolicy(args)
	if err != nil {
		t.Fatal(err)
	}
	ctx := mustContext(t, map[string]any{"name": "Alice", "weather": "Sunny", "timeofday": "Morning"})
	acts, err := prepareActions([]personalizer.RankableAction{
		{ID: "Cappucino", Features: []map[string]any{{"type": "hot", "origin": "kenya", "organic": "yes", "roast": "dark"}}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}

	e := newExpander(p)
	present := ctx.present
	present.union(acts.present)
	e.observe(present)
	return e.expand(&ctx, &acts.items[0], nil)
}

func TestExpandCoffeeFeatureCounts(t *testing.T) {
	// 3 context + 4 action features + the constant, then FF (3+2+1), Fj
	// (3*4) and jj (4+3+2+1): 36.
	quadratic := coffeeExample(t, "--cb_explore_adf -q ::")
	if len(quadratic) != 36 {
		t.Errorf("-q ::: %d features per action, want 36", len(quadratic))
	}

	// FFF has the 10 multisets of 3 context features, each crossed with
	// the 4 action features.
	cubic := coffeeExample(t, "--cb_explore_adf -q :: --interactions FFFj")
	if got := len(cubic) - len(quadratic); got != 40 {
		t.Errorf("--interactions FFFj adds %d features, want 40", got)
	}

	linear := coffeeExample(t, "--cb_explore_adf")
	if len(linear) != 8 {
		t.Errorf("no interactions: %d features, want 8", len(linear))
	}
	noConstant := coffeeExample(t, "--cb_explore_adf --noconstant")
	if len(noConstant) != 7 {
		t.Errorf("--noconstant: %d features, want 7", len(noConstant))
	}
	ignored := coffeeExample(t, "--cb_explore_adf -q :: --ignore j")
	if len(ignored) != 3+1+6 {
		t.Errorf("--ignore j: %d features, want 10 (F, constant, FF)", len(ignored))
	}
}

func TestExpandMatchesGenericPath(t *testing.T) {
	// The quadratic and cubic loops must hash as the generic algorithm does.
	ctx := mustContext(t, map[string]any{"a": "1", "b": "2", "c": 3.0})
	act := mustContext(t, map[string]any{"zz": map[string]any{"x": "y", "w": 0.5}})
	e := &expander{mask: 1<<18 - 1, width: 1}
	e.build(&ctx, &act)

	for _, inter := range []string{"FF", "Fz", "zF", "FFF", "FFz", "Fzz", "zFF", "zzz"} {
		fast := e.quadratic([]byte(inter), nil)
		if len(inter) == 3 {
			fast = e.cubic([]byte(inter), nil)
		}
		slow := e.generic([]byte(inter), nil)
		if len(fast) != len(slow) {
			t.Fatalf("%s: %d terms, generic %d", inter, len(fast), len(slow))
		}
		for i := range fast {
			if fast[i] != slow[i] {
				t.Errorf("%s term %d: %+v, generic %+v", inter, i, fast[i], slow[i])
			}
		}
	}
}

func TestExpandSharedIndexMergesActionFirst(t *testing.T) {
	// An action namespace F and the context's F form one namespace, the
	// action's features first, as VW appends the shared example's.
	ctx := mustContext(t, map[string]any{"c": 1.0})
	act := mustContext(t, map[string]any{"a": 1.0})
	e := &expander{mask: 1<<18 - 1, width: 1, constant: true}
	e.observe(indexes("F"))
	e.specs = prepareInteractions([]string{"FF"})
	e.compiled = compileInteractions(e.specs, e.seen)

	terms := e.expand(&ctx, &act, nil)
	// a, c, constant, then FF over [a c]: aa, ac, cc.
	if len(terms) != 6 {
		t.Fatalf("got %d terms, want 6", len(terms))
	}
	a, c := uint64(act.groups[0].features[0].hash), uint64(ctx.groups[0].features[0].hash)
	if want := e.slot(c ^ fnvPrime*a); terms[4].slot != want {
		t.Errorf("second FF term hashes a*c as %d, want %d", terms[4].slot, want)
	}
}

func TestUnusedInteractions(t *testing.T) {
	got := unusedInteractions([]string{"::", "Fj", "Uj", "F:", "Uj", "Ux"}, indexes("Fj"))
	want := []string{"Uj", "Ux"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %q, want %q", got, want)
	}
}
