package results

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rankloop/rankloop/results/testtools"
)

// testSchema has one context column of each kind and the expected column.
var testSchema = EventSchema{
	Context: []Column{
		{Name: "name", Kind: KindString},
		{Name: "temperature", Kind: KindFloat64},
		{Name: "visits", Kind: KindInt64},
		{Name: "member", Kind: KindBool},
		{Name: "shopper_city", Kind: KindString},
	},
	HasExpected: true,
}

var testMeta = map[string]string{"rankloop.experiment": "coffee", "rankloop.tool_version": "test"}

// makeRows returns n events of one run with values derived from the index,
// covering NULLs in every optional column.
func makeRows(arm string, repetition int32, n int) []EventRow {
	names := []string{"Alice", "Bob", "Cathy", "Dave"}
	actions := []string{"Cappucino", "Latte", "Cold brew", "Iced mocha"}
	statuses := rewardStatuses
	rows := make([]EventRow, n)
	for i := range rows {
		ctx := []Value{
			StringValue(names[i%4]),
			FloatValue(float64(i%7) - 2.5),
			IntValue(int64(i) * 3),
			BoolValue(i%3 == 0),
			StringValue(fmt.Sprintf("city-%d", i%5)),
		}
		if i%11 == 0 {
			ctx[1] = NullValue()
			ctx[4] = NullValue()
		}
		if i%13 == 0 {
			ctx[0], ctx[2], ctx[3] = NullValue(), NullValue(), NullValue()
		}
		rows[i] = EventRow{
			Experiment:    "coffee",
			Arm:           arm,
			Repetition:    repetition,
			Seed:          7 + int64(repetition),
			Event:         int64(i),
			Batch:         int32(i / 100),
			EventID:       fmt.Sprintf("%s-%d-%08d", arm, repetition, i),
			Context:       ctx,
			Action:        actions[i%4],
			Probability:   0.05 + float64(i%3)*0.3,
			Reward:        float64(i % 2),
			Expected:      actions[(i/2)%4],
			HasExpected:   i%5 != 0,
			BestReward:    1,
			HasBestReward: i%17 != 0,
			Explored:      i%4 == 1,
			ModelVersion:  int64(i / 2000),
			RewardStatus:  statuses[i%len(statuses)],
			Clamped:       i%19 == 0,
			RankMS:        float64(i%50) / 10,
			HasRankMS:     i%2 == 0,
			RewardMS:      float64(i%30) / 10,
			HasRewardMS:   i%4 == 0,
		}
	}
	return rows
}

// zeroAbsent clears the fields a reader cannot recover because they were
// written as NULL, so written and read rows compare equal.
func zeroAbsent(rows []EventRow) []EventRow {
	out := slices.Clone(rows)
	for i := range out {
		r := &out[i]
		r.Context = slices.Clone(r.Context)
		for j := range r.Context {
			if r.Context[j].Null {
				r.Context[j] = NullValue()
			}
		}
		if !r.HasExpected {
			r.Expected = ""
		}
		if !r.HasBestReward {
			r.BestReward = 0
		}
		if !r.HasRankMS {
			r.RankMS = 0
		}
		if !r.HasRewardMS {
			r.RewardMS = 0
		}
	}
	return out
}

func compareRows(t *testing.T, got, want []EventRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d rows, wrote %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("row %d differs:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func writeEventFile(t *testing.T, path string, s EventSchema, rows []EventRow) {
	t.Helper()
	w, err := CreateEventFile(path, s, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	// Write in uneven slices, as a run flushing its buffer would.
	for len(rows) > 0 {
		n := min(len(rows), 3001)
		if err := w.Write(rows[:n]); err != nil {
			t.Fatal(err)
		}
		rows = rows[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEventsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.parquet")
	rows := makeRows("tutorial-policy", 0, 70000)
	writeEventFile(t, path, testSchema, rows)

	schema, got, err := ReadEvents(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(schema, testSchema) {
		t.Errorf("schema read back = %+v, want %+v", schema, testSchema)
	}
	compareRows(t, got, zeroAbsent(rows))
}

func TestEventsWithoutExpected(t *testing.T) {
	s := EventSchema{Context: []Column{{Name: "weather", Kind: KindString}}}
	rows := []EventRow{{Experiment: "e", Arm: "a", EventID: "x", Context: []Value{StringValue("Sunny")},
		Action: "Latte", Expected: "ignored", HasExpected: true, RewardStatus: RewardOnTime}}
	path := filepath.Join(t.TempDir(), "events.parquet")
	writeEventFile(t, path, s, rows)

	schema, got, err := ReadEvents(path)
	if err != nil {
		t.Fatal(err)
	}
	if schema.HasExpected {
		t.Error("schema read back has the expected column, want none")
	}
	if got[0].HasExpected || got[0].Expected != "" {
		t.Errorf("expected read back = %q (%v), want none", got[0].Expected, got[0].HasExpected)
	}
	want := []string{"experiment", "arm", "repetition", "seed", "event", "batch", "event_id", "ctx_weather",
		"action", "probability", "reward", "best_reward", "explored", "model_version", "reward_status",
		"clamped", "rank_ms", "reward_ms"}
	if names := s.ColumnNames(); !slices.Equal(names, want) {
		t.Errorf("ColumnNames() = %v, want %v", names, want)
	}
}

// TestEventsDuckDB reads the file with DuckDB, a reader that shares no code
// with parquet-go, and checks the layout that older readers depend on.
func TestEventsDuckDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.parquet")
	rows := makeRows("tutorial-policy", 3, 70000)
	writeEventFile(t, path, testSchema, rows)

	report := testtools.ParquetCheck(t, path,
		"SELECT count(*) AS n, sum(reward) AS rewards, count(ctx_temperature) AS temps, "+
			"count(expected) AS expecteds, count(rank_ms) AS ranks, count(reward_ms) AS reward_ms, "+
			"count(DISTINCT event_id) AS ids, min(event) AS first, max(event) AS last FROM f",
		"SELECT * FROM f WHERE event = 12345",
		"SELECT reward_status, count(*) AS n FROM f GROUP BY reward_status ORDER BY reward_status")

	t.Run("columns", func(t *testing.T) {
		wantTypes := map[string]string{
			"experiment": "VARCHAR", "arm": "VARCHAR", "repetition": "INTEGER", "seed": "BIGINT",
			"event": "BIGINT", "batch": "INTEGER", "event_id": "VARCHAR", "ctx_name": "VARCHAR",
			"ctx_temperature": "DOUBLE", "ctx_visits": "BIGINT", "ctx_member": "BOOLEAN",
			"ctx_shopper_city": "VARCHAR", "action": "VARCHAR", "probability": "DOUBLE", "reward": "DOUBLE",
			"expected": "VARCHAR", "best_reward": "DOUBLE", "explored": "BOOLEAN", "model_version": "BIGINT",
			"reward_status": "VARCHAR", "clamped": "BOOLEAN", "rank_ms": "DOUBLE", "reward_ms": "DOUBLE",
		}
		var names []string
		for _, c := range report.Describe {
			names = append(names, c.Name)
			if c.Type != wantTypes[c.Name] {
				t.Errorf("column %s has DuckDB type %s, want %s", c.Name, c.Type, wantTypes[c.Name])
			}
		}
		if want := testSchema.ColumnNames(); !slices.Equal(names, want) {
			t.Errorf("columns = %v, want %v", names, want)
		}
	})

	t.Run("values", func(t *testing.T) {
		if report.Rows != 70000 {
			t.Errorf("DuckDB reads %d rows, want 70000", report.Rows)
		}
		agg := report.Queries[0][0]
		want := map[string]float64{"n": 70000, "rewards": 35000, "temps": 70000 - 6364, "expecteds": 56000,
			"ranks": 35000, "reward_ms": 17500, "ids": 70000, "first": 0, "last": 69999}
		for k, v := range want {
			if got, ok := agg[k].(float64); !ok || got != v {
				t.Errorf("%s = %v, want %v", k, agg[k], v)
			}
		}

		row := report.Queries[1][0]
		src := rows[12345]
		wantRow := map[string]any{
			"experiment": "coffee", "arm": "tutorial-policy", "repetition": 3.0, "seed": 10.0,
			"event": 12345.0, "batch": 123.0, "event_id": src.EventID, "ctx_name": "Bob",
			"ctx_temperature": 1.5, "ctx_visits": 37035.0, "ctx_member": true, "ctx_shopper_city": "city-0",
			"action": "Latte", "probability": 0.05, "reward": 1.0, "expected": nil,
			"best_reward": 1.0, "explored": true, "model_version": 6.0, "reward_status": "on_time",
			"clamped": false, "rank_ms": nil, "reward_ms": nil,
		}
		for k, v := range wantRow {
			if !reflect.DeepEqual(row[k], v) {
				t.Errorf("event 12345: %s = %#v, want %#v", k, row[k], v)
			}
		}

		var statuses []string
		for _, r := range report.Queries[2] {
			statuses = append(statuses, fmt.Sprint(r["reward_status"], "=", r["n"]))
		}
		if want := []string{"default=14000", "late=14000", "missing=14000", "not_activated=14000", "on_time=14000"}; !slices.Equal(statuses, want) {
			t.Errorf("reward statuses = %v, want %v", statuses, want)
		}
	})

	t.Run("encodings", func(t *testing.T) {
		checkParquetLayout(t, path, report, []int64{65536, 4464})
	})

	t.Run("footer", func(t *testing.T) {
		for k, v := range testMeta {
			if report.KV[k] != v {
				t.Errorf("footer %s = %q, want %q", k, report.KV[k], v)
			}
		}
	})
}

// checkParquetLayout checks what DuckDB reports about every column chunk:
// zstd compression, no DELTA_* encoding, the expected row groups, and a
// version 1 header on the first data page.
func checkParquetLayout(t *testing.T, path string, report *testtools.ParquetReport, rowGroups []int64) {
	t.Helper()
	if !slices.Equal(report.RowGroups, rowGroups) {
		t.Errorf("row groups = %v rows, want %v", report.RowGroups, rowGroups)
	}
	for _, n := range report.RowGroups {
		if n > MaxRowsPerRowGroup {
			t.Errorf("row group of %d rows exceeds %d", n, MaxRowsPerRowGroup)
		}
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pageTypes := pageHeaderTypes(t, data, report)
	for i, c := range report.Columns {
		if c.Compression != "ZSTD" {
			t.Errorf("row group %d column %s: compression %s, want ZSTD", c.RowGroupID, c.PathInSchema, c.Compression)
		}
		if strings.Contains(c.Encodings, "DELTA") {
			t.Errorf("row group %d column %s: encodings %s include a DELTA encoding", c.RowGroupID, c.PathInSchema, c.Encodings)
		}
		if c.Type == "BYTE_ARRAY" && !strings.Contains(c.Encodings, "PLAIN") && !strings.Contains(c.Encodings, "DICTIONARY") {
			t.Errorf("row group %d column %s: encodings %s are neither PLAIN nor dictionary", c.RowGroupID, c.PathInSchema, c.Encodings)
		}
		if pageTypes[i] != pageTypeDataV1 {
			t.Errorf("row group %d column %s: first data page has type %d, want DATA_PAGE (%d)", c.RowGroupID, c.PathInSchema, pageTypes[i], pageTypeDataV1)
		}
	}
}

// pageTypeDataV1 is DATA_PAGE in the PageType enum of parquet.thrift;
// DATA_PAGE_V2 is 3.
const pageTypeDataV1 = 0

// pageHeaderTypes reads the type of the page at each column chunk's
// data_page_offset, as DuckDB reports the offset. A PageHeader is a Thrift
// compact struct whose first field is the i32 type, so its first byte is the
// field header 0x15 (field id delta 1, type i32) and a zigzag varint follows.
func pageHeaderTypes(t *testing.T, data []byte, report *testtools.ParquetReport) []int64 {
	t.Helper()
	var types []int64
	for _, c := range report.Columns {
		types = append(types, pageTypeAt(t, data, c.DataPageOffset, "column "+c.PathInSchema))
	}
	return types
}

// pageTypeAt returns the type of the PageHeader at offset off of data. When
// no PageHeader starts there, it fails the test with a message that starts
// with label.
func pageTypeAt(t *testing.T, data []byte, off int64, label string) int64 {
	t.Helper()
	if off <= 0 || off+2 > int64(len(data)) {
		t.Fatalf("%s: page offset %d is outside the file", label, off)
	}
	if data[off] != 0x15 {
		t.Fatalf("%s: byte 0x%02x at page offset %d does not start a PageHeader", label, data[off], off)
	}
	v, n := binary.Uvarint(data[off+1:])
	if n <= 0 {
		t.Fatalf("%s: invalid page type varint at offset %d", label, off+1)
	}
	return int64(v>>1) ^ -int64(v&1)
}
