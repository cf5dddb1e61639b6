package server

import (
	"encoding/json"
	"math"
	"testing"
)

// jsonStrings are strings whose encoding must match encoding/json.
var jsonStrings = []string{
	"", "Cappucino", "Cold brew", "0123abc-7", "tab\there", "new\nline", `quote"`, `back\slash`,
	"<script>&amp;</script>", "\x00\x1f\x7f", "café", "\u2028\u2029", "bad\xff\xfeutf8", "\xc3\x28",
}

// jsonFloats are numbers whose encoding must match encoding/json.
var jsonFloats = []float64{
	0, math.Copysign(0, -1), 1, 0.85, 0.05, 1.0 / 3, 0.2 / 4, 1e-6, 9.99e-7, 1e-7, 5e-324,
	1e20, 1e21, 123456789012345678901234.0, -0.5, math.MaxFloat64, math.SmallestNonzeroFloat64,
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonStrings {
		checkJSONString(t, s)
	}
}

func TestAppendJSONFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range jsonFloats {
		checkJSONFloat(t, f)
	}
}

func TestAppendJSONFloatRejectsNonFinite(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if out, ok := appendJSONFloat([]byte("x"), f); ok || string(out) != "x" {
			t.Errorf("appendJSONFloat(%v) = %q, %v; want the input unchanged and false", f, out, ok)
		}
	}
}

func checkJSONString(t *testing.T, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendJSONString([]byte("prefix "), s); string(got) != "prefix "+string(want) {
		t.Errorf("appendJSONString(%q) = %s, want prefix %s", s, got, want)
	}
}

func checkJSONFloat(t *testing.T, f float64) {
	t.Helper()
	want, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := appendJSONFloat([]byte("prefix "), f)
	if !ok || string(got) != "prefix "+string(want) {
		t.Errorf("appendJSONFloat(%v) = %s, %v; want prefix %s, true", f, got, ok, want)
	}
}

func FuzzAppendJSON(f *testing.F) {
	for i, s := range jsonStrings {
		f.Add(s, jsonFloats[i%len(jsonFloats)])
	}
	f.Fuzz(func(t *testing.T, s string, x float64) {
		checkJSONString(t, s)
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			checkJSONFloat(t, x)
		}
	})
}

// rewardBodies are reward request bodies, with and without a fast parse.
var rewardBodies = []string{
	`{"value":1}`,
	`{"value":0}`,
	` { "value" : -0.25e-1 } `,
	"{\n\t\"value\": 0.5\n}\n",
	`{"value":1e400}`,
	`{"value":"1"}`,
	`{"value":null}`,
	`{"value":1,"value":2}`,
	`{"Value":1}`,
	`{"value":1,"extra":true}`,
	`{"value":01}`,
	`{"value":1} {}`,
	`{"value":1`,
	`{}`,
	`null`,
	``,
}

// checkRewardParsing compares parseRewardValue with encoding/json on one
// body: every body it accepts must decode to the same value.
func checkRewardParsing(t *testing.T, body []byte) {
	t.Helper()
	value, ok := parseRewardValue(body)
	if !ok {
		return
	}
	var req struct {
		Value *float64 `json:"value"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatalf("parseRewardValue(%q) = %v, but encoding/json rejects it: %v", body, value, err)
	}
	if req.Value == nil || math.Float64bits(*req.Value) != math.Float64bits(value) {
		t.Fatalf("parseRewardValue(%q) = %v, encoding/json decodes %v", body, value, req.Value)
	}
}

func TestParseRewardValue(t *testing.T) {
	for _, body := range rewardBodies {
		checkRewardParsing(t, []byte(body))
	}
	for _, body := range rewardBodies[:4] {
		if _, ok := parseRewardValue([]byte(body)); !ok {
			t.Errorf("parseRewardValue(%q) left the fast path", body)
		}
	}
}

func FuzzParseRewardValue(f *testing.F) {
	for _, body := range rewardBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkRewardParsing(t, body)
	})
}
