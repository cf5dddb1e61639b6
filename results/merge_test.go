package results

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

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

	// The parts carry testMeta; the merged footer must carry this instead.
	mergeMeta := map[string]string{"rankloop.experiment": "coffee-merged", "rankloop.completed": "true"}
	if err := MergeEvents(dst, parts, testSchema, mergeMeta); err != nil {
		t.Fatal(err)
	}

	r, err := OpenEvents(dst)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Metadata(); !reflect.DeepEqual(got, mergeMeta) {
		t.Errorf("footer metadata read by parquet-go = %v, want %v", got, mergeMeta)
	}
	r.Close()
	_, got, err := ReadEvents(dst)
	if err != nil {
		t.Fatal(err)
	}
	compareRows(t, got, zeroAbsent(want))

	report := testtools.ParquetCheck(t, dst,
		"SELECT arm, repetition, count(*) AS n, min(event) AS first, max(event) AS last FROM f_rows GROUP BY ALL ORDER BY min(file_row_number)",
		concatDiffQuery(parts, 15000))
	checkParquetLayout(t, dst, report, []int64{15000, 15000, 15000, 15000, 15000, 15000})
	if !reflect.DeepEqual(report.KV, mergeMeta) {
		t.Errorf("footer metadata read by DuckDB = %v, want %v", report.KV, mergeMeta)
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
	if diff := report.Queries[1][0]["n"]; diff != 0.0 {
		t.Errorf("DuckDB finds %v rows that differ between the merged file and the parts in order, want 0", diff)
	}
}

// concatDiffQuery returns DuckDB SQL that counts the rows, each taken with
// its position, found in only one of the merged file f and the
// concatenation of parts, which hold rowsPerPart rows each. It returns 0
// exactly when f holds the rows of the parts in part order.
func concatDiffQuery(parts []string, rowsPerPart int) string {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}
	list := "[" + strings.Join(quoted, ", ") + "]"
	merged := "SELECT * EXCLUDE (file_row_number), file_row_number AS i FROM f_rows"
	concat := fmt.Sprintf("SELECT * EXCLUDE (file_row_number, filename), "+
		"(list_position(%s, filename) - 1) * %d + file_row_number AS i "+
		"FROM read_parquet(%s, filename = true, file_row_number = true)", list, rowsPerPart, list)
	return fmt.Sprintf("SELECT count(*) AS n FROM ((%s EXCEPT ALL %s) UNION ALL (%s EXCEPT ALL %s))",
		merged, concat, concat, merged)
}

// TestMergeEventsCopiesPages checks that the merged file holds the parts'
// row groups with their column chunks byte for byte, and the parts'
// created_by.
func TestMergeEventsCopiesPages(t *testing.T) {
	dir := t.TempDir()
	parts, _ := writeParts(t, dir, []string{"a", "b"}, 2, 70000)
	dst := filepath.Join(dir, "events.parquet")
	if err := MergeEvents(dst, parts, testSchema, testMeta); err != nil {
		t.Fatal(err)
	}

	var wantChunks [][]byte
	var wantRows []int64
	for _, part := range parts {
		chunks, rows, _ := fileChunks(t, part)
		wantChunks = append(wantChunks, chunks...)
		wantRows = append(wantRows, rows...)
	}
	gotChunks, gotRows, merged := fileChunks(t, dst)

	if !slices.Equal(gotRows, wantRows) {
		t.Errorf("row groups = %v rows, want the parts' %v", gotRows, wantRows)
	}
	if len(gotChunks) != len(wantChunks) {
		t.Fatalf("merged file has %d column chunks, the parts have %d", len(gotChunks), len(wantChunks))
	}
	for i := range wantChunks {
		if !bytes.Equal(gotChunks[i], wantChunks[i]) {
			t.Errorf("column chunk %d (row group %d, column %d): %d bytes differ from the part's %d bytes",
				i, i/len(testSchema.ColumnNames()), i%len(testSchema.ColumnNames()), len(gotChunks[i]), len(wantChunks[i]))
		}
	}

	_, _, part := fileChunks(t, parts[0])
	if merged.CreatedBy != part.CreatedBy {
		t.Errorf("created_by = %q, want the parts' %q", merged.CreatedBy, part.CreatedBy)
	}
	for i, rg := range merged.RowGroups {
		if int(rg.Ordinal) != i {
			t.Errorf("row group %d has ordinal %d", i, rg.Ordinal)
		}
	}
}

// fileChunks returns the bytes of every column chunk of the Parquet file at
// path (dictionary and data pages) in row group and column order, the rows
// of each row group, and the footer, as parquet-go reads them.
func fileChunks(t *testing.T, path string) ([][]byte, []int64, *format.FileMetaData) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	meta := pf.Metadata()
	var chunks [][]byte
	var rows []int64
	for _, rg := range meta.RowGroups {
		rows = append(rows, rg.NumRows)
		for _, c := range rg.Columns {
			start := c.MetaData.DataPageOffset
			if c.MetaData.DictionaryPageOffset > 0 {
				start = c.MetaData.DictionaryPageOffset
			}
			end := start + c.MetaData.TotalCompressedSize
			if start < 4 || end > int64(len(data)) {
				t.Fatalf("%s: column chunk at bytes [%d, %d) lies outside the file of %d bytes", path, start, end, len(data))
			}
			chunks = append(chunks, data[start:end])
		}
	}
	return chunks, rows, meta
}

// TestMergeEventsPageIndex checks the relocated page index. Every offset
// index entry must point at a version 1 data page, and the column index of
// each chunk must bound that chunk's values. parquet-go's reader seeks
// through the offset index, so it must find the right rows in every part.
func TestMergeEventsPageIndex(t *testing.T) {
	dir := t.TempDir()
	parts, want := writeParts(t, dir, []string{"a", "b"}, 1, 70000)
	dst := filepath.Join(dir, "events.parquet")
	if err := MergeEvents(dst, parts, testSchema, testMeta); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	layout, err := newEventLayout(testSchema)
	if err != nil {
		t.Fatal(err)
	}
	names := testSchema.ColumnNames()

	var first int64 // file index of the row group's first row
	multiPage := false
	for i, rg := range pf.RowGroups() {
		for j, chunk := range rg.ColumnChunks() {
			chunkName := fmt.Sprintf("row group %d column %s", i, names[j])
			offsets, err := chunk.OffsetIndex()
			if err != nil {
				t.Fatalf("%s: %v", chunkName, err)
			}
			for p := range offsets.NumPages() {
				if typ := pageTypeAt(t, data, offsets.Offset(p), fmt.Sprintf("%s page %d", chunkName, p)); typ != pageTypeDataV1 {
					t.Errorf("%s page %d: page type %d, want DATA_PAGE (%d)", chunkName, p, typ, pageTypeDataV1)
				}
			}
			multiPage = multiPage || offsets.NumPages() > 1
		}

		index, err := rg.ColumnChunks()[layout.event].ColumnIndex()
		if err != nil {
			t.Fatalf("row group %d column event: %v", i, err)
		}
		last := first + rg.NumRows() - 1
		if got := index.MinValue(0).Int64(); got != want[first].Event {
			t.Errorf("row group %d: column index gives min(event) = %d for the first page, want %d", i, got, want[first].Event)
		}
		if got := index.MaxValue(index.NumPages() - 1).Int64(); got != want[last].Event {
			t.Errorf("row group %d: column index gives max(event) = %d for the last page, want %d", i, got, want[last].Event)
		}
		first += rg.NumRows()
	}
	if !multiPage {
		t.Error("every column chunk has one page, so no offset index entry past the first was checked")
	}

	r := parquet.NewReader(pf)
	defer r.Close()
	rows := make([]parquet.Row, 1)
	for _, k := range []int64{1, 40000, 65535, 65536, 69999, 70000, 70001, 100000, 135536, 139999} {
		if err := r.SeekToRow(k); err != nil {
			t.Fatalf("SeekToRow(%d): %v", k, err)
		}
		if n, err := r.ReadRows(rows); n != 1 {
			t.Fatalf("ReadRows after SeekToRow(%d) read %d rows: %v", k, n, err)
		}
		var got EventRow
		if err := layout.decodeRow(&got, rows[0]); err != nil {
			t.Fatal(err)
		}
		if wantRow := zeroAbsent(want[k : k+1])[0]; !reflect.DeepEqual(got, wantRow) {
			t.Errorf("row %d after SeekToRow:\n got %+v\nwant %+v", k, got, wantRow)
		}
	}
}

// TestMergeEventsWithoutPageIndex merges a part without a page index: the
// merged file then has none, and both readers still read every row.
func TestMergeEventsWithoutPageIndex(t *testing.T) {
	dir := t.TempDir()
	parts, want := writeParts(t, dir, []string{"a"}, 3, 20000)
	rewriteFooter(t, parts[1], func(meta *format.FileMetaData) {
		for i := range meta.RowGroups {
			for j := range meta.RowGroups[i].Columns {
				c := &meta.RowGroups[i].Columns[j]
				c.ColumnIndexOffset, c.ColumnIndexLength, c.OffsetIndexOffset, c.OffsetIndexLength = 0, 0, 0, 0
			}
		}
	})
	dst := filepath.Join(dir, "events.parquet")
	if err := MergeEvents(dst, parts, testSchema, testMeta); err != nil {
		t.Fatal(err)
	}

	_, _, meta := fileChunks(t, dst)
	for i, rg := range meta.RowGroups {
		for j, c := range rg.Columns {
			if c.ColumnIndexOffset != 0 || c.ColumnIndexLength != 0 || c.OffsetIndexOffset != 0 || c.OffsetIndexLength != 0 {
				t.Errorf("row group %d column %d: page index at %d+%d and %d+%d, want none",
					i, j, c.ColumnIndexOffset, c.ColumnIndexLength, c.OffsetIndexOffset, c.OffsetIndexLength)
			}
		}
	}
	_, got, err := ReadEvents(dst)
	if err != nil {
		t.Fatal(err)
	}
	compareRows(t, got, zeroAbsent(want))

	report := testtools.ParquetCheck(t, dst, concatDiffQuery(parts, 20000))
	if report.Rows != 60000 {
		t.Errorf("DuckDB reads %d rows, want 60000", report.Rows)
	}
	if diff := report.Queries[0][0]["n"]; diff != 0.0 {
		t.Errorf("DuckDB finds %v rows that differ between the merged file and the parts in order, want 0", diff)
	}
}

// rewriteFooter decodes the footer of the Parquet file at path, applies
// edit to it and writes the file back with the edited footer. The pages and
// page indexes stay where they are.
func rewriteFooter(t *testing.T, path string, edit func(*format.FileMetaData)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	size := len(data)
	start := size - 8 - int(binary.LittleEndian.Uint32(data[size-8:]))
	var meta format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[start:size-8], &meta); err != nil {
		t.Fatal(err)
	}
	edit(&meta)
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &meta)
	if err != nil {
		t.Fatal(err)
	}
	out := append(data[:start:start], footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	out = append(out, "PAR1"...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
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
		if err := MergeEvents(dst, parts, testSchema, testMeta); err != nil {
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

		report := testtools.ParquetCheck(t, dst)
		if report.Rows != int64(want) {
			t.Errorf("merge of %d parts: DuckDB reads %d rows, want %d", len(parts), report.Rows, want)
		}
		var names []string
		for _, c := range report.Describe {
			names = append(names, c.Name)
		}
		if !slices.Equal(names, testSchema.ColumnNames()) {
			t.Errorf("merge of %d parts: DuckDB reads columns %v, want %v", len(parts), names, testSchema.ColumnNames())
		}
		if !reflect.DeepEqual(report.KV, testMeta) {
			t.Errorf("merge of %d parts: footer metadata = %v, want %v", len(parts), report.KV, testMeta)
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
		}, "columns [experiment arm repetition seed event batch event_id ctx_name action"},
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
		{"schema element differs", func(dir string) string {
			return editedPart(t, dir, func(meta *format.FileMetaData) { meta.Schema[1].FieldID = 7 })
		}, "schema element 1 (experiment)"},
		{"oversized row group", func(dir string) string {
			return editedPart(t, dir, func(meta *format.FileMetaData) {
				meta.RowGroups[0].NumRows = MaxRowsPerRowGroup + 1
				meta.NumRows = MaxRowsPerRowGroup + 1
			})
		}, "65537 rows, more than the 65536"},
		{"row count differs", func(dir string) string {
			return editedPart(t, dir, func(meta *format.FileMetaData) { meta.NumRows = 99 })
		}, "footer counts 99 rows, but its row groups contain 100"},
		{"column chunks swapped", func(dir string) string {
			return editedPart(t, dir, func(meta *format.FileMetaData) {
				columns := meta.RowGroups[0].Columns
				columns[0], columns[1] = columns[1], columns[0]
			})
		}, "column chunk 0 is arm of type BYTE_ARRAY, want experiment of type BYTE_ARRAY"},
		{"pages outside the data", func(dir string) string {
			return editedPart(t, dir, func(meta *format.FileMetaData) {
				meta.RowGroups[0].Columns[2].MetaData.TotalCompressedSize = 1 << 30
			})
		}, "column repetition: pages at bytes"},
		{"offset index outside its chunk", func(dir string) string {
			return editedPart(t, dir, func(meta *format.FileMetaData) {
				columns := meta.RowGroups[0].Columns
				columns[0].OffsetIndexOffset, columns[0].OffsetIndexLength = columns[3].OffsetIndexOffset, columns[3].OffsetIndexLength
			})
		}, "column experiment: offset index places page 0"},
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

// editedPart writes a part of 100 events to dir and edits its footer.
func editedPart(t *testing.T, dir string, edit func(*format.FileMetaData)) string {
	t.Helper()
	path := filepath.Join(dir, "edited.parquet")
	writeEventFile(t, path, testSchema, makeRows("a", 0, 100))
	rewriteFooter(t, path, edit)
	return path
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

// TestReadPartWindow reads ranges of a file through the window of readPart,
// including ranges that span, extend or exceed a window, and compares them
// with the file's bytes.
func TestReadPartWindow(t *testing.T) {
	data := make([]byte, 3*partReadSize+123)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	path := filepath.Join(t.TempDir(), "part.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	size := int64(len(data))
	var m eventMerger
	part := &partFile{path: path, file: f, size: size}
	ranges := []byteRange{
		{size - 8, size},                            // first read: the window ends at the file's end
		{size - partReadSize, size - 8},             // served by that window
		{size - partReadSize - 10, size - 100},      // starts before the window
		{4, 4 + 2*partReadSize + 17},                // longer than a window
		{partReadSize, partReadSize + 1},            // inside the long window
		{2 * partReadSize, 2*partReadSize + 40},     // at the long window's end
		{2*partReadSize + 30, 2*partReadSize + 100}, // past it
		{4, 4}, // empty
	}
	for _, r := range ranges {
		got, err := m.readPart(part, r)
		if err != nil {
			t.Fatalf("readPart(%v): %v", r, err)
		}
		if !bytes.Equal(got, data[r.start:r.end]) {
			t.Errorf("readPart(%v) returned %d bytes that differ from the file's", r, len(got))
		}
	}

	for _, r := range []byteRange{{0, 10}, {size - 4, size + 1}, {20, 10}} {
		if _, err := m.readPart(part, r); err == nil {
			t.Errorf("readPart(%v) succeeded, want an error for a range outside the file", r)
		}
	}
}
