package local

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rankloop/rankloop/personalizer"
)

func TestMurmur3KnownValues(t *testing.T) {
	for _, tc := range []struct {
		in   string
		seed uint32
		want uint32
	}{
		{"", 0, 0},
		{"", 1, 0x514e28b7},
		{"hello", 0, 0x248bfa47},
		{"The quick brown fox jumps over the lazy dog", 0, 0x2e4ff723},
	} {
		if got := murmur3(tc.in, tc.seed); got != tc.want {
			t.Errorf("murmur3(%q, %d) = %#x, want %#x", tc.in, tc.seed, got, tc.want)
		}
	}
}

func TestHashStringNumbersAndSpaces(t *testing.T) {
	if got := hashString("123", 5); got != 128 {
		t.Errorf("hashString(123, 5) = %d, want 128 (digits hash to their value plus the seed)", got)
	}
	if got, want := hashString("  abc \t", 7), murmur3("abc", 7); got != want {
		t.Errorf("hashString trims spaces: got %#x, want %#x", got, want)
	}
}

// features returns the features of namespace index i in fs.
func features(fs featureSet, i byte) []feature { return fs.group(i) }

func mustContext(t *testing.T, objs ...map[string]any) featureSet {
	t.Helper()
	c, err := prepareContext(objs)
	if err != nil {
		t.Fatal(err)
	}
	return c.set
}

func TestFeaturizeFlatContextGoesToFromUrl(t *testing.T) {
	fs := mustContext(t, map[string]any{"name": "Alice", "age": 3.5})
	ns := hashString("FromUrl", 0)

	want := []feature{{hashString("age", ns), 3.5}, {hashString("nameAlice", ns), 1}}
	if diff := cmp.Diff(want, features(fs, 'F'), cmp.AllowUnexported(feature{})); diff != "" {
		t.Errorf("namespace F (-want +got):\n%s", diff)
	}
	if len(fs.groups) != 1 {
		t.Errorf("got %d namespaces, want only F", len(fs.groups))
	}
}

func TestFeaturizeValueRules(t *testing.T) {
	ns := hashString("FromUrl", 0)
	for _, tc := range []struct {
		name  string
		value any
		want  []feature
	}{
		{"string is key+value", "Sunny", []feature{{hashString("kSunny", ns), 1}}},
		{"reserved bytes become _", "a b\tc|d:e", []feature{{hashString("ka_b_c_d_e", ns), 1}}},
		{"number is its value", 2.5, []feature{{hashString("k", ns), 2.5}}},
		{"integer", 7, []feature{{hashString("k", ns), 7}}},
		{"json.Number", json.Number("0.25"), []feature{{hashString("k", ns), 0.25}}},
		{"zero is dropped", 0.0, nil},
		{"true is 1", true, []feature{{hashString("k", ns), 1}}},
		{"false adds nothing", false, nil},
		{"null is ignored", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := mustContext(t, map[string]any{"k": tc.value})
			if diff := cmp.Diff(tc.want, features(fs, 'F'), cmp.AllowUnexported(feature{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFeaturizeNestedObjectIsNamespace(t *testing.T) {
	fs := mustContext(t, map[string]any{
		"user": map[string]any{"tier": "gold", "device": map[string]any{"os": "ios"}},
	})
	user, device := hashString("user", 0), hashString("device", 0)

	if diff := cmp.Diff([]feature{{hashString("tiergold", user), 1}}, features(fs, 'u'), cmp.AllowUnexported(feature{})); diff != "" {
		t.Errorf("namespace user (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]feature{{hashString("osios", device), 1}}, features(fs, 'd'), cmp.AllowUnexported(feature{})); diff != "" {
		t.Errorf("namespace device (-want +got):\n%s", diff)
	}
	if fs.present.has('F') {
		t.Error("namespace F present, want none: every key was nested")
	}
}

func TestFeaturizeNumberArrayIsIndexed(t *testing.T) {
	// Zeros keep their index, nulls do not take one.
	fs := mustContext(t, map[string]any{"v": []any{1.5, 0.0, nil, 2.0}})
	h := hashString("v", 0)
	want := []feature{{h, 1.5}, {h + 2, 2}}
	if diff := cmp.Diff(want, features(fs, 'v'), cmp.AllowUnexported(feature{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	typed := mustContext(t, map[string]any{"v": []float64{1.5, 0, 3}})
	if diff := cmp.Diff([]feature{{h, 1.5}, {h + 2, 3}}, features(typed, 'v'), cmp.AllowUnexported(feature{})); diff != "" {
		t.Errorf("[]float64 (-want +got):\n%s", diff)
	}
}

func TestFeaturizeRejectsStringArrays(t *testing.T) {
	for _, v := range []any{[]any{"a", "b"}, []string{"a"}} {
		_, err := prepareContext([]map[string]any{{"tags": v}})
		if !errors.Is(err, errStringArray) {
			t.Errorf("%#v: error %v, want errStringArray", v, err)
		}
	}
}

func TestFeaturizeRejectsOtherValues(t *testing.T) {
	for _, v := range []any{[]any{[]any{1.0}}, struct{}{}, []any{true}} {
		if _, err := prepareContext([]map[string]any{{"k": v}}); err == nil {
			t.Errorf("%#v: no error, want one", v)
		}
	}
}

func TestFeaturizeIgnoresUnderscoreKeys(t *testing.T) {
	fs := mustContext(t, map[string]any{"_id": "x", "_ns": map[string]any{"a": 1.0}, "k": "v"})
	if len(fs.groups) != 1 || len(features(fs, 'F')) != 1 {
		t.Errorf("got %+v, want only feature kv in F", fs.groups)
	}
}

func TestFeaturizeMergesContextObjects(t *testing.T) {
	merged := mustContext(t, map[string]any{"name": "Bob"}, map[string]any{"weather": "Rainy"})
	single := mustContext(t, map[string]any{"name": "Bob", "weather": "Rainy"})
	if diff := cmp.Diff(single, merged, cmp.AllowUnexported(featureSet{}, nsGroup{}, feature{})); diff != "" {
		t.Errorf("two objects differ from one (-one +two):\n%s", diff)
	}
}

func TestFeaturizeNamespacesShareFirstLetter(t *testing.T) {
	// "user" and "units" are both namespace u, each hashed by its own name.
	fs := mustContext(t, map[string]any{
		"user":  map[string]any{"a": 1.0},
		"units": map[string]any{"a": 1.0},
	})
	got := features(fs, 'u')
	want := []feature{{hashString("a", hashString("units", 0)), 1}, {hashString("a", hashString("user", 0)), 1}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(feature{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPrepareActionsNamespaceAndExclusion(t *testing.T) {
	actions := []personalizer.RankableAction{
		{ID: "a", Features: []map[string]any{{"type": "hot"}, {"roast": "dark"}}},
		{ID: "b", Features: []map[string]any{{"type": "cold"}}},
	}
	acts, err := prepareActions(actions, []bool{false, true})
	if err != nil {
		t.Fatal(err)
	}
	if acts.Len() != 1 || acts.ID(0) != "a" {
		t.Fatalf("got ids %v, want [a]: b is excluded", acts.ids)
	}
	j := hashString("j", 0)
	want := []feature{{hashString("typehot", j), 1}, {hashString("roastdark", j), 1}}
	if diff := cmp.Diff(want, acts.items[0].group('j'), cmp.AllowUnexported(feature{})); diff != "" {
		t.Errorf("namespace j (-want +got):\n%s", diff)
	}
}

func TestPrepareActionsValidatesIDs(t *testing.T) {
	var l Loop
	for _, tc := range []struct {
		name    string
		actions []personalizer.RankableAction
		want    string
	}{
		{"none", nil, "no actions"},
		{"empty id", []personalizer.RankableAction{{ID: ""}}, "empty id"},
		{"long id", []personalizer.RankableAction{{ID: strings.Repeat("x", 257)}}, "257 characters"},
		{"duplicate", []personalizer.RankableAction{{ID: "a"}, {ID: "a"}}, "same id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.PrepareActions(tc.actions)
			var ire *InvalidRequestError
			if !errors.As(err, &ire) || ire.Code != CodeInvalidRankRequest {
				t.Fatalf("error %v, want an InvalidRankRequest", err)
			}
			if !strings.Contains(ire.Message, tc.want) {
				t.Errorf("message %q does not mention %q", ire.Message, tc.want)
			}
		})
	}
}
