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
type EventWriter struct {
	layout *eventLayout
	w      *parquet.Writer
	file   *os.File // set by CreateEventFile; closed by Close
	rows   []parquet.Row
	count  int64
	closed bool
}

// writerOptions returns the options shared by every Parquet file of this
// package: zstd, data page version 1, bounded row groups, and the footer
// key/value metadata in key order.
func writerOptions(meta map[string]string) []parquet.WriterOption {
	opts := []parquet.WriterOption{
		parquet.Compression(&parquet.Zstd),
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
	return &EventWriter{layout: layout, w: parquet.NewWriter(w, opts...)}, nil
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
	if cap(w.rows) < len(rows) {
		w.rows = make([]parquet.Row, writeBatchRows)
	}
	buf := w.rows[:len(rows)]

	for i := range rows {
		row, err := w.layout.appendRow(buf[i][:0], &rows[i])
		if err != nil {
			// Rows before the invalid one in this chunk are still written, so
			// that the file holds exactly the rows before the invalid one.
			if _, werr := w.w.WriteRows(buf[:i]); werr != nil {
				return fmt.Errorf("write events: %w", werr)
			}
			w.count += int64(i)
			return fmt.Errorf("write events: row %d (run %s/%d, event %d): %w",
				w.count, rows[i].Arm, rows[i].Repetition, rows[i].Event, err)
		}
		buf[i] = row
	}

	if _, err := w.w.WriteRows(buf); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	w.count += int64(len(rows))
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

// appendRow appends the Parquet values of r to row in column order.
func (l *eventLayout) appendRow(row parquet.Row, r *EventRow) (parquet.Row, error) {
	if len(r.Context) != len(l.spec.Context) {
		return row, fmt.Errorf("%d context values for %d context columns", len(r.Context), len(l.spec.Context))
	}
	if !slices.Contains(rewardStatuses, r.RewardStatus) {
		return row, fmt.Errorf("invalid reward status %q (want one of %v)", r.RewardStatus, rewardStatuses)
	}

	row = append(row,
		stringValue(r.Experiment, l.experiment),
		stringValue(r.Arm, l.arm),
		parquet.Int32Value(r.Repetition).Level(0, 0, l.repetition),
		parquet.Int64Value(r.Seed).Level(0, 0, l.seed),
		parquet.Int64Value(r.Event).Level(0, 0, l.event),
		parquet.Int32Value(r.Batch).Level(0, 0, l.batch),
		stringValue(r.EventID, l.eventID),
	)

	for i, c := range l.spec.Context {
		row = append(row, contextValue(c.Kind, r.Context[i], l.context+i))
	}

	row = append(row,
		stringValue(r.Action, l.action),
		parquet.DoubleValue(r.Probability).Level(0, 0, l.probability),
		parquet.DoubleValue(r.Reward).Level(0, 0, l.reward),
	)
	if l.expected >= 0 {
		row = append(row, optional(r.HasExpected, parquet.ByteArrayValue(bytesOf(r.Expected)), l.expected))
	}
	row = append(row,
		optional(r.HasBestReward, parquet.DoubleValue(r.BestReward), l.bestReward),
		parquet.BooleanValue(r.Explored).Level(0, 0, l.explored),
		parquet.Int64Value(r.ModelVersion).Level(0, 0, l.modelVersion),
		stringValue(r.RewardStatus, l.rewardStatus),
		parquet.BooleanValue(r.Clamped).Level(0, 0, l.clamped),
		optional(r.HasRankMS, parquet.DoubleValue(r.RankMS), l.rankMS),
		optional(r.HasRewardMS, parquet.DoubleValue(r.RewardMS), l.rewardMS),
	)
	return row, nil
}

func contextValue(k Kind, v Value, column int) parquet.Value {
	if v.Null {
		return parquet.NullValue().Level(0, 0, column)
	}
	var pv parquet.Value
	switch k {
	case KindString:
		pv = parquet.ByteArrayValue(bytesOf(v.Str))
	case KindFloat64:
		pv = parquet.DoubleValue(v.Num)
	case KindInt64:
		pv = parquet.Int64Value(v.Int)
	default:
		pv = parquet.BooleanValue(v.Bool)
	}
	return pv.Level(0, 1, column)
}

// optional returns v at definition level 1 when present, else NULL.
func optional(present bool, v parquet.Value, column int) parquet.Value {
	if !present {
		return parquet.NullValue().Level(0, 0, column)
	}
	return v.Level(0, 1, column)
}

func stringValue(s string, column int) parquet.Value {
	return parquet.ByteArrayValue(bytesOf(s)).Level(0, 0, column)
}

// bytesOf returns the bytes of s without copying them. The Parquet writer
// only reads the bytes and copies them into its own buffers, and Go strings
// are immutable, so sharing them is safe and saves one allocation per string
// value.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
