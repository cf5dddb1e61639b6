package server

import (
	"encoding/json"
	"hash/maphash"
	"reflect"
	"strings"
	"testing"

	"github.com/rankloop/rankloop/personalizer"
)

// rankBodies are rank request bodies whose decoding must match
// encoding/json, including the odd ones that leave the fast path.
var rankBodies = []string{
	// The notebook's request.
	`{"contextFeatures":[{"timeofday":"Morning","weather":"Sunny","name":"Alice"}],"actions":[{"id":"Cappucino","features":[{"type":"hot","origin":"kenya","organic":"yes","roast":"dark"}]},{"id":"Latte","features":[{"type":"hot","origin":"brazil","organic":"no","roast":"dark"}]}],"excludedActions":[],"eventId":"0123abc","deferActivation":false}`,
	// Nested namespaces, numbers, booleans, arrays, nulls.
	` { "contextFeatures" : [ {"user":{"age":31.5,"vip":true,"tags":[1,2,-3e2]},"_skip":null}, null, {} ] , "actions":[{"id":"a","features":[]},null,{"features":null,"id":null}] , "deferActivation":true, "eventId":null } `,
	// Escapes, surrogate pairs, a lone surrogate and invalid UTF-8.
	"{\"eventId\":\"e\\u0041\\n\\\"\",\"actions\":[{\"id\":\"\\ud83d\\ude00\",\"features\":[{\"k\\u00e9\":\"\\ud800x\"}]},{\"id\":\"bad\xff\xfeutf8\",\"features\":[{\"\xc3\x28\":1}]}]}",
	// Unknown fields of every shape are skipped.
	`{"x":{"y":[1,{"z":null}]},"actions":[{"id":"a","features":[],"extra":"v"}],"excludedActions":["a",null,"b"],"more":false}`,
	// Repeated fields merge in encoding/json.
	`{"actions":[{"id":"a","features":[{"k":1}]}],"actions":[{"id":"b"}]}`,
	`{"contextFeatures":[{"a":1}],"contextFeatures":[{"b":2}]}`,
	`{"actions":[{"id":"a","id":"b","features":[],"features":[{"x":1}]}]}`,
	`{"eventId":"a","eventId":null}`,
	// Field names in another case select the field in encoding/json.
	`{"Actions":[{"ID":"a","Features":[]}],"EVENTID":"e","contextfeatures":[{"k":"v"}]}`,
	// Duplicate keys inside a feature object: the last wins.
	`{"actions":[{"id":"a","features":[{"k":1,"k":2}]}]}`,
	// Numbers at the edges.
	`{"contextFeatures":[{"a":0,"b":-0,"c":1e308,"d":5e-324,"e":1E+2,"f":0.5e-3}]}`,
	`null`,
	`{}`,
	// Invalid inputs.
	`{"contextFeatures":[{"c":1e400}]}`,
	`{"actions":{}}`,
	`{"actions":[1]}`,
	`{"actions":[{"id":7}]}`,
	`{"actions":[{"features":["hot"]}]}`,
	`{"deferActivation":"yes"}`,
	`{"eventId":1}`,
	`{"excludedActions":[1]}`,
	`{"actions":[]} {}`,
	`{"actions":[],}`,
	`{"a":01}`,
	`{"a":-}`,
	`{"a":1.}`,
	`{"a":.5}`,
	`{"a":"\x01"}`,
	`{"a":"\q"}`,
	`{"a":"\u12"}`,
	`{"a":tru}`,
	`{"a" 1}`,
	`[1,2]`,
	`"actions"`,
	``,
	`{`,
	`{"actions":[{"id":"a","features":[{"deep":` + strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200) + `}]}]}`,
}

func newTestParser(data []byte) *rankParser {
	t := &internTable{seed: maphash.MakeSeed()}
	return &rankParser{data: data, interned: t}
}

// checkRankDecoding compares the fast parser and decodeRankRequest with
// encoding/json on one body.
func checkRankDecoding(t *testing.T, data []byte) {
	t.Helper()
	var want personalizer.RankRequest
	wantErr := json.Unmarshal(data, &want)

	var fast personalizer.RankRequest
	if err := newTestParser(data).request(&fast); err == nil {
		if wantErr != nil {
			t.Fatalf("fast parser accepted %q, which encoding/json rejects: %v", data, wantErr)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("fast parser decoded %q as\n%#v\nencoding/json as\n%#v", data, fast, want)
		}
	}

	var spans rankSpans
	if newTestParser(data).spans(&spans, "") == nil {
		checkSpans(t, data, &spans, &want, wantErr)

		// Taking the actions by their known text gives the same result.
		var again rankSpans
		if err := newTestParser(data).spans(&again, string(spans.actions)); err != nil || !reflect.DeepEqual(again, spans) {
			t.Fatalf("spans of %q with its own actions known = %+v, %v; without = %+v", data, again, err, spans)
		}
	}

	s := New(nil).(*server)
	var got personalizer.RankRequest
	err := s.decodeRankRequest(data, &got)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decodeRankRequest(%q) error = %v, encoding/json error = %v", data, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeRankRequest decoded %q as\n%#v\nencoding/json as\n%#v", data, got, want)
	}
}

// checkSpans checks that when spans and the decoding of its arrays accept
// a body, encoding/json accepts it too and decodes the same request.
func checkSpans(t *testing.T, data []byte, spans *rankSpans, want *personalizer.RankRequest, wantErr error) {
	t.Helper()
	var features []map[string]any
	if spans.contextFeatures != nil {
		p := newTestParser(spans.contextFeatures)
		var err error
		if features, err = p.featureList(); err != nil || p.end() != nil {
			return
		}
	}
	p := newTestParser(spans.actions)
	actions, err := p.actions()
	if err != nil || p.end() != nil {
		return
	}

	if wantErr != nil {
		t.Fatalf("spans accepted %q, which encoding/json rejects: %v", data, wantErr)
	}
	if !reflect.DeepEqual(features, want.ContextFeatures) {
		t.Errorf("spans of %q: contextFeatures %#v, encoding/json %#v", data, features, want.ContextFeatures)
	}
	if !reflect.DeepEqual(actions, want.Actions) {
		t.Errorf("spans of %q: actions %#v, encoding/json %#v", data, actions, want.Actions)
	}
	if spans.eventID != want.EventID {
		t.Errorf("spans of %q: eventId %q, encoding/json %q", data, spans.eventID, want.EventID)
	}
	if spans.deferActivation != want.DeferActivation {
		t.Errorf("spans of %q: deferActivation %v, encoding/json %v", data, spans.deferActivation, want.DeferActivation)
	}
	if len(want.ExcludedActions) > 0 {
		t.Errorf("spans accepted %q, which excludes actions %q", data, want.ExcludedActions)
	}
}

func TestRankSpansFastPath(t *testing.T) {
	// The notebook's request and the nested one need no general path.
	for _, body := range rankBodies[:2] {
		var spans rankSpans
		if err := newTestParser([]byte(body)).spans(&spans, ""); err != nil {
			t.Errorf("spans rejected %q: %v", body, err)
		}
	}
}

func TestDecodeRankRequestMatchesEncodingJSON(t *testing.T) {
	for _, body := range rankBodies {
		checkRankDecoding(t, []byte(body))
	}
}

func TestDecodeRankRequestFastPath(t *testing.T) {
	// The notebook's request and the nested one must not need encoding/json.
	for _, body := range rankBodies[:2] {
		var req personalizer.RankRequest
		if err := newTestParser([]byte(body)).request(&req); err != nil {
			t.Errorf("fast parser rejected %q: %v", body, err)
		}
	}
}

func TestInternTableReusesStrings(t *testing.T) {
	table := &internTable{seed: maphash.MakeSeed()}
	a := table.lookup([]byte("Morning"))
	b := table.lookup([]byte("Morning"))
	if a == nil || a != b || a.text != "Morning" || a.value != "Morning" {
		t.Errorf("lookup twice = %p %p (%+v), want one entry for Morning", a, b, a)
	}
	if e := table.lookup([]byte(strings.Repeat("x", maxInternLength+1))); e != nil {
		t.Errorf("lookup of a long string = %+v, want nil", e)
	}
}

func FuzzDecodeRankRequest(f *testing.F) {
	for _, body := range rankBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRankDecoding(t, data)
	})
}

func BenchmarkDecodeRankRequest(b *testing.B) {
	body := []byte(rankBodies[0])
	b.Run("fast", func(b *testing.B) {
		s := New(nil).(*server)
		b.ReportAllocs()
		for b.Loop() {
			var req personalizer.RankRequest
			if err := s.decodeRankRequest(body, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req personalizer.RankRequest
			if err := decodeJSON(body, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
