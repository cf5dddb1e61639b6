package results

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// Value is one context feature of an event. The field that is read depends
// on the Kind of its column: Str for KindString, Num for KindFloat64, Int for
// KindInt64, Bool for KindBool. Null writes a Parquet NULL whatever the kind.
type Value struct {
	Str  string
	Num  float64
	Int  int64
	Bool bool
	Null bool
}

// StringValue returns a Value for a KindString column.
func StringValue(s string) Value { return Value{Str: s} }

// FloatValue returns a Value for a KindFloat64 column.
func FloatValue(f float64) Value { return Value{Num: f} }

// IntValue returns a Value for a KindInt64 column.
func IntValue(i int64) Value { return Value{Int: i} }

// BoolValue returns a Value for a KindBool column.
func BoolValue(b bool) Value { return Value{Bool: b} }

// NullValue returns a Value that is written as NULL.
func NullValue() Value { return Value{Null: true} }

// EventRow is one row of events.parquet: one event of one run.
type EventRow struct {
	Experiment string
	Arm        string
	Repetition int32
	Seed       int64
	Event      int64 // 0-based index of the event in its run
	Batch      int32 // 0-based index of the event's batch in its run
	EventID    string

	// Context holds one Value per column of EventSchema.Context, in the same
	// order.
	Context []Value

	Action      string  // id of the chosen action (rewardActionId)
	Probability float64 // probability the loop gave the chosen action
	Reward      float64

	Expected    string // written only when EventSchema.HasExpected and HasExpected are set
	HasExpected bool   // false writes NULL to the expected column

	BestReward    float64 // the best reward any action would have earned
	HasBestReward bool    // false writes NULL to best_reward

	Explored     bool  // the chosen action is not among the greedy ones
	ModelVersion int64 // version of the serving model that ranked the event
	RewardStatus string
	Clamped      bool // the reward was clamped into the accepted range

	// RankMS and RewardMS are the latencies of the Rank and Reward calls in
	// milliseconds. Embedded runs leave HasRankMS and HasRewardMS false,
	// which writes NULL, and so does an event that sent no reward.
	RankMS, RewardMS       float64
	HasRankMS, HasRewardMS bool
}

// writeBatchRows is the number of rows converted and handed to the Parquet
// writer at a time; the conversion buffers are reused across calls.
const writeBatchRows = 1024

// EventWriter writes events.parquet rows with the layout of one
// EventSchema. It is not safe for concurrent use: each run owns one.
//
// It writes column by column through the Parquet writer's column writers,
// which skips assembling and transposing parquet.Row values, and ends each
// row group itself after MaxRowsPerRowGroup rows.
type EventWriter struct {
	layout    *eventLayout
	w         *parquet.Writer
	file      *os.File // set by CreateEventFile; closed by Close
	fill      []columnFiller
	values    []parquet.Value // one column of one chunk, reused
	count     int64
	groupRows int // rows in the current row group
	closed    bool
}

// writerOptions returns the options shared by every Parquet file of this
// package: zstd, data page version 1, bounded row groups, PLAIN as the
// default string encoding, and the footer key/value metadata in key order.
func writerOptions(meta map[string]string) []parquet.WriterOption {
	opts := []parquet.WriterOption{
		// The fastest zstd level wrote 1,000,000 coffee events 8 % faster
		// than the default level and into a 5 % smaller file
		// (BenchmarkWriteEvents on a 2-core AMD EPYC virtual machine).
		parquet.Compression(newZstdCodec()),
		parquet.DataPageVersion(1),
		parquet.MaxRowsPerRowGroup(MaxRowsPerRowGroup),
		parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.Plain),
	}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		opts = append(opts, parquet.KeyValueMetadata(k, meta[k]))
	}
	return opts
}

// NewEventWriter returns a writer of events.parquet rows to w. The footer
// gets one key/value entry per entry of meta.
//
// The caller must call Close to write the footer; Close does not close w.
func NewEventWriter(w io.Writer, s EventSchema, meta map[string]string) (*EventWriter, error) {
	layout, err := newEventLayout(s)
	if err != nil {
		return nil, err
	}
	opts := append(writerOptions(meta), layout.schema)
	return &EventWriter{
		layout: layout,
		w:      parquet.NewWriter(w, opts...),
		fill:   layout.fillers(),
		values: make([]parquet.Value, 0, writeBatchRows),
	}, nil
}

// CreateEventFile creates (or truncates) the file at path and returns a
// writer to it. Its Close writes the footer and then closes the file. Use it
// for the per-run part files that MergeEvents reads.
func CreateEventFile(path string, s EventSchema, meta map[string]string) (*EventWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create events file: %w", err)
	}
	w, err := NewEventWriter(f, s, meta)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	w.file = f
	return w, nil
}

// Rows returns the number of rows written so far.
func (w *EventWriter) Rows() int64 { return w.count }

// Write appends rows to the file. Each row's Context must have one Value per
// context column. On an invalid row Write returns an error naming the row
// and writes none of the rows from that one on.
func (w *EventWriter) Write(rows []EventRow) error {
	if w.closed {
		return errors.New("write events: writer is closed")
	}
	for len(rows) > 0 {
		n := min(len(rows), writeBatchRows)
		if err := w.writeChunk(rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (w *EventWriter) writeChunk(rows []EventRow) error {
	valid := len(rows)
	var invalid error
	for i := range rows {
		if err := w.layout.check(&rows[i]); err != nil {
			valid, invalid = i, err
			break
		}
	}

	// Rows before an invalid one are still written, so that the file holds
	// exactly the rows before it.
	for done := 0; done < valid; {
		n := min(valid-done, MaxRowsPerRowGroup-w.groupRows)
		if err := w.writeColumns(rows[done : done+n]); err != nil {
			return fmt.Errorf("write events: %w", err)
		}
		done += n
	}

	if invalid != nil {
		bad := &rows[valid]
		return fmt.Errorf("write events: row %d (run %s/%d, event %d): %w",
			w.count, bad.Arm, bad.Repetition, bad.Event, invalid)
	}
	return nil
}

// writeColumns writes rows, which fit in the current row group, one column
// at a time, and ends the row group when it is full.
func (w *EventWriter) writeColumns(rows []EventRow) error {
	columns := w.w.ColumnWriters()
	for c, fill := range w.fill {
		w.values = fill(w.values[:0], rows)
		if _, err := columns[c].WriteRowValues(w.values); err != nil {
			return fmt.Errorf("column %s: %w", w.layout.spec.ColumnNames()[c], err)
		}
	}
	clear(w.values) // drop references to the caller's strings
	w.count += int64(len(rows))

	w.groupRows += len(rows)
	if w.groupRows == MaxRowsPerRowGroup {
		if err := w.w.Flush(); err != nil {
			return err
		}
		w.groupRows = 0
	}
	return nil
}

// Close flushes the last row group and writes the footer. It closes the
// underlying file only when the writer came from CreateEventFile. Calling
// Close again returns nil.
func (w *EventWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true

	err := w.w.Close()
	if err != nil {
		err = fmt.Errorf("write events footer: %w", err)
	}
	if w.file != nil {
		if cerr := w.file.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close events file: %w", cerr)
		}
	}
	return err
}

// check returns an error when r cannot be written with this layout.
func (l *eventLayout) check(r *EventRow) error {
	if len(r.Context) != len(l.spec.Context) {
		return fmt.Errorf("%d context values for %d context columns", len(r.Context), len(l.spec.Context))
	}
	switch r.RewardStatus {
	case RewardOnTime, RewardLate, RewardMissing, RewardNotActivated, RewardDefault:
		return nil
	}
	return fmt.Errorf("invalid reward status %q (want one of %v)", r.RewardStatus, rewardStatuses)
}

// bytesOf returns the bytes of s without copying them. The Parquet writer
// only reads the bytes and copies them into its own buffers, and Go strings
// are immutable, so sharing them is safe and saves one allocation per string
// value.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
