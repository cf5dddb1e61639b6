package results

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/rankloop/rankloop/results/testtools"
)

// writeParts writes one part file per run in parallel, as the runner does,
// and returns the part paths in arm and repetition order with all rows in
// the same order.
func writeParts(t *testing.T, dir string, arms []string, repetitions, events int) ([]string, []EventRow) {
	t.Helper()
	var (
		parts []string
		all   []EventRow
		runs  [][]EventRow
	)
	for a, arm := range arms {
		for rep := range repetitions {
			parts = append(parts, filepath.Join(dir, fmt.Sprintf("events-%d-%d.parquet", a, rep)))
			rows := makeRows(arm, int32(rep), events)
			runs = append(runs, rows)
			all = append(all, rows...)
		}
	}

	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() { writeEventFile(t, parts[i], testSchema, runs[i]) })
	}
	wg.Wait()
	return parts, all
}

func TestMergeEventsOrder(t *testing.T) {
	dir := t.TempDir()
	parts, want := writeParts(t, dir, []string{"tutorial-policy", "optimized-policy"}, 3, 15000)
	dst := filepath.Join(dir, "events.parquet")

	if err := MergeEvents(dst, parts, testSchema, testMeta); err != nil {
		t.Fatal(err)
	}

	_, got, err := ReadEvents(dst)
	if err != nil {
		t.Fatal(err)
	}
	compareRows(t, got, zeroAbsent(want))

	report := testtools.ParquetCheck(t, dst,
		"SELECT arm, repetition, count(*) AS n, min(event) AS first, max(event) AS last FROM f_rows GROUP BY ALL ORDER BY min(file_row_number)")
	checkParquetLayout(t, dst, report, []int64{65536, 24464})
	if report.KV["rankloop.experiment"] != "coffee" {
		t.Errorf("footer rankloop.experiment = %q, want coffee", report.KV["rankloop.experiment"])
	}
	var runs []string
	for _, r := range report.Queries[0] {
		runs = append(runs, fmt.Sprintf("%v/%v:%v:%v-%v", r["arm"], r["repetition"], r["n"], r["first"], r["last"]))
	}
	wantRuns := "tutorial-policy/0:15000:0-14999 tutorial-policy/1:15000:0-14999 tutorial-policy/2:15000:0-14999 " +
		"optimized-policy/0:15000:0-14999 optimized-policy/1:15000:0-14999 optimized-policy/2:15000:0-14999"
	if got := strings.Join(runs, " "); got != wantRuns {
		t.Errorf("runs in file order = %s\nwant %s", got, wantRuns)
	}
}

func TestMergeEventsEmpty(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "events-0-0.parquet")
	writeEventFile(t, empty, testSchema, nil)
	one := filepath.Join(dir, "events-0-1.parquet")
	writeEventFile(t, one, testSchema, makeRows("a", 1, 3))

	for _, parts := range [][]string{nil, {empty}, {empty, one, empty}} {
		dst := filepath.Join(dir, "events.parquet")
		if err := MergeEvents(dst, parts, testSchema, nil); err != nil {
			t.Fatal(err)
		}
		schema, rows, err := ReadEvents(dst)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if len(parts) == 3 {
			want = 3
		}
		if len(rows) != want {
			t.Errorf("merge of %d parts read back %d rows, want %d", len(parts), len(rows), want)
		}
		if !reflect.DeepEqual(schema, testSchema) {
			t.Errorf("merge of %d parts read back schema %+v, want %+v", len(parts), schema, testSchema)
		}
	}
}

// TestMergeEventsFailure checks that a failed merge leaves neither the
// destination nor a temporary file behind, and keeps an older destination.
func TestMergeEventsFailure(t *testing.T) {
	other := EventSchema{Context: []Column{{Name: "name", Kind: KindInt64}}}
	tests := []struct {
		name    string
		prepare func(dir string) string // returns the bad part
		wantErr string
	}{
		{"missing part", func(dir string) string { return filepath.Join(dir, "absent.parquet") }, "no such file"},
		{"other schema", func(dir string) string {
			path := filepath.Join(dir, "other.parquet")
			writeEventFile(t, path, other, []EventRow{{Context: []Value{IntValue(1)}, RewardStatus: RewardLate}})
			return path
		}, "has columns"},
		{"truncated part", func(dir string) string {
			path := filepath.Join(dir, "truncated.parquet")
			writeEventFile(t, path, testSchema, makeRows("a", 0, 100))
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data[:len(data)/2], 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}, "open events file"},
		{"not parquet", func(dir string) string {
			path := filepath.Join(dir, "text.parquet")
			if err := os.WriteFile(path, bytes.Repeat([]byte("not parquet "), 10), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}, "open events file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			good, _ := writeParts(t, dir, []string{"a"}, 1, 500)
			bad := tt.prepare(dir)
			dst := filepath.Join(dir, "out", "events.parquet")
			if err := os.Mkdir(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, []byte("previous"), 0o644); err != nil {
				t.Fatal(err)
			}

			err := MergeEvents(dst, append(good, bad), testSchema, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("MergeEvents error = %v, want one containing %q", err, tt.wantErr)
			}
			entries, err := os.ReadDir(filepath.Dir(dst))
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != "events.parquet" {
				t.Errorf("output folder holds %v, want only the previous events.parquet", entries)
			}
			if data, _ := os.ReadFile(dst); string(data) != "previous" {
				t.Errorf("destination was changed to %d bytes, want the previous content", len(data))
			}
		})
	}
}

func TestEventWriterRejects(t *testing.T) {
	t.Run("schema", func(t *testing.T) {
		bad := []EventSchema{
			{Context: []Column{{Name: "", Kind: KindString}}},
			{Context: []Column{{Name: "a", Kind: KindString}, {Name: "a", Kind: KindBool}}},
			{Context: []Column{{Name: "a", Kind: Kind(9)}}},
			{Context: []Column{{Name: "a.b", Kind: KindString}}},
		}
		for _, s := range bad {
			if _, err := NewEventWriter(new(bytes.Buffer), s, nil); err == nil {
				t.Errorf("NewEventWriter(%+v) succeeded, want an error", s)
			}
		}
	})

	t.Run("rows", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "events.parquet")
		w, err := CreateEventFile(path, testSchema, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows := makeRows("a", 0, 10)
		rows[7].RewardStatus = "soon"
		err = w.Write(rows)
		if err == nil || !strings.Contains(err.Error(), `invalid reward status "soon"`) {
			t.Errorf("Write error = %v, want invalid reward status", err)
		}
		short := makeRows("a", 0, 1)
		short[0].Context = short[0].Context[:2]
		if err := w.Write(short); err == nil || !strings.Contains(err.Error(), "2 context values for 5 context columns") {
			t.Errorf("Write error = %v, want a context count error", err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(makeRows("a", 0, 1)); err == nil {
			t.Error("Write after Close succeeded, want an error")
		}

		// The rows before the invalid one are in the file, the rest are not.
		_, got, err := ReadEvents(path)
		if err != nil {
			t.Fatal(err)
		}
		compareRows(t, got, zeroAbsent(rows[:7]))
	})
}
