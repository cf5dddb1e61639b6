package results

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rankloop/rankloop/results/testtools"
)

func testManifest(t *testing.T) *Manifest {
	t.Helper()
	input := filepath.Join(t.TempDir(), "coffee.yaml")
	if err := os.WriteFile(input, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := HashInput(input)
	if err != nil {
		t.Fatal(err)
	}
	cet := time.FixedZone("CET", 3600)
	return &Manifest{
		Experiment:     "coffee",
		ExperimentFile: "experiments/coffee.yaml",
		ToolVersion:    "v0.1.0",
		GoVersion:      "go1.26.8",
		Seeds:          []int64{7, 8, 9},
		Start:          time.Date(2026, 9, 1, 10, 0, 0, 0, cet),
		End:            time.Date(2026, 9, 1, 10, 0, 3, 500_000_000, cet),
		Completed:      true,
		Rows:           RowCounts{Events: 24000, Batches: 240},
		Inputs:         []Input{in},
		Summary:        testChart().Summary,
		Outputs:        []string{"events.parquet", "batches.parquet", "manifest.json", "chart.html"},
		Spec:           map[string]any{"name": "coffee", "events": 4000, "arms": []string{"tutorial-policy"}},
	}
}

func TestHashInput(t *testing.T) {
	m := testManifest(t)
	// SHA-256 of "abc", the first test vector of FIPS 180-2.
	if want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; m.Inputs[0].SHA256 != want {
		t.Errorf("sha256 = %s, want %s", m.Inputs[0].SHA256, want)
	}
	if _, err := HashInput(filepath.Join(t.TempDir(), "absent.yaml")); err == nil {
		t.Error("HashInput of a missing file succeeded")
	}
}

func TestManifestJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := testManifest(t)
	if err := WriteManifest(path, m); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("manifest.json is not JSON: %v", err)
	}
	want := map[string]any{
		"experiment":      "coffee",
		"experiment_file": "experiments/coffee.yaml",
		"tool_version":    "v0.1.0",
		"go_version":      "go1.26.8",
		"seeds":           []any{7.0, 8.0, 9.0},
		"start_time":      "2026-09-01T09:00:00Z",
		"end_time":        "2026-09-01T09:00:03.5Z",
		"completed":       true,
		"rows":            map[string]any{"events": 24000.0, "batches": 240.0},
		"outputs":         []any{"events.parquet", "batches.parquet", "manifest.json", "chart.html"},
		"spec":            map[string]any{"name": "coffee", "events": 4000.0, "arms": []any{"tutorial-policy"}},
	}
	for k, v := range want {
		if !reflect.DeepEqual(doc[k], v) {
			t.Errorf("%s = %#v, want %#v", k, doc[k], v)
		}
	}
	summary := doc["summary"].([]any)[0].(map[string]any)
	if summary["arm"] != "tutorial-policy" || summary["repetitions_crossed"] != 4.0 {
		t.Errorf("summary row = %v", summary)
	}

	back, err := ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Start.Equal(m.Start) || !back.End.Equal(m.End) || back.Inputs[0] != m.Inputs[0] ||
		!reflect.DeepEqual(back.Summary, m.Summary) {
		t.Errorf("ReadManifest = %+v, want the written manifest", back)
	}

	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after the write, want only manifest.json", len(entries))
	}
}

func TestManifestEndpointSettings(t *testing.T) {
	m := testManifest(t)
	m.EndpointSettings = map[string]any{"tutorial-policy/0": map[string]any{"explorationPercentage": 0.2}}
	meta, err := m.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"tutorial-policy/0":{"explorationPercentage":0.2}}`; meta["rankloop.endpoint_settings"] != want {
		t.Errorf("rankloop.endpoint_settings = %q, want %q", meta["rankloop.endpoint_settings"], want)
	}
}

func TestManifestIncomplete(t *testing.T) {
	m := testManifest(t)
	m.End, m.Completed = time.Time{}, false
	path := filepath.Join(t.TempDir(), "manifest.json")
	if err := WriteManifest(path, m); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "end_time") {
		t.Error("manifest of an unfinished run has an end_time")
	}
	meta, err := m.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := meta["rankloop.end_time"]; ok {
		t.Error("footer of an unfinished run has rankloop.end_time")
	}
	if meta["rankloop.completed"] != "false" {
		t.Errorf("rankloop.completed = %q, want false", meta["rankloop.completed"])
	}
}

func TestManifestUnencodableSpec(t *testing.T) {
	m := testManifest(t)
	m.Spec = map[string]any{"f": func() {}}
	dir := t.TempDir()
	if err := WriteManifest(filepath.Join(dir, "manifest.json"), m); err == nil {
		t.Error("WriteManifest with a func in the spec succeeded")
	}
	if _, err := m.Metadata(); err == nil || !strings.Contains(err.Error(), "spec") {
		t.Errorf("Metadata error = %v, want one naming the spec", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed write left %d files", len(entries))
	}
}

// TestManifestFooter writes the manifest's metadata into events.parquet and
// reads the footer back with DuckDB.
func TestManifestFooter(t *testing.T) {
	m := testManifest(t)
	meta, err := m.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "events.parquet")
	w, err := CreateEventFile(path, testSchema, meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(makeRows("a", 0, 10)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	kv := testtools.ParquetCheck(t, path).KV
	scalars := map[string]string{
		"rankloop.experiment":      "coffee",
		"rankloop.experiment_file": "experiments/coffee.yaml",
		"rankloop.tool_version":    "v0.1.0",
		"rankloop.go_version":      "go1.26.8",
		"rankloop.start_time":      "2026-09-01T09:00:00Z",
		"rankloop.end_time":        "2026-09-01T09:00:03.5Z",
		"rankloop.completed":       "true",
		"rankloop.rows.events":     "24000",
		"rankloop.rows.batches":    "240",
		"rankloop.seeds":           "[7,8,9]",
	}
	for k, v := range scalars {
		if kv[k] != v {
			t.Errorf("footer %s = %q, want %q", k, kv[k], v)
		}
	}
	var inputs []Input
	if err := json.Unmarshal([]byte(kv["rankloop.inputs"]), &inputs); err != nil || !reflect.DeepEqual(inputs, m.Inputs) {
		t.Errorf("footer rankloop.inputs = %s (%v), want %v", kv["rankloop.inputs"], err, m.Inputs)
	}
	var spec map[string]any
	if err := json.Unmarshal([]byte(kv["rankloop.spec"]), &spec); err != nil || spec["name"] != "coffee" {
		t.Errorf("footer rankloop.spec = %s (%v)", kv["rankloop.spec"], err)
	}
	if _, ok := kv["rankloop.endpoint_settings"]; ok {
		t.Error("footer of an embedded run has rankloop.endpoint_settings")
	}
	for _, k := range []string{"rankloop.summary", "rankloop.outputs"} {
		if !json.Valid([]byte(kv[k])) {
			t.Errorf("footer %s = %q is not JSON", k, kv[k])
		}
	}
}
