package results

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// EventReader reads the rows of an events.parquet file in file order.
type EventReader struct {
	file   *os.File
	pf     *parquet.File
	r      *parquet.Reader
	layout *eventLayout
	rows   []parquet.Row
}

// OpenEvents opens an events.parquet file written by this package and
// reads its footer. It fails when the file's columns are not those of some
// EventSchema. The caller must Close the reader.
func OpenEvents(path string) (*EventReader, error) {
	f, pf, layout, err := openEventFile(path)
	if err != nil {
		return nil, err
	}
	return &EventReader{file: f, pf: pf, r: parquet.NewReader(pf), layout: layout}, nil
}

// Schema returns the EventSchema the file was written with.
func (r *EventReader) Schema() EventSchema { return r.layout.spec }

// NumRows returns the number of rows in the file.
func (r *EventReader) NumRows() int64 { return r.pf.NumRows() }

// Metadata returns the footer's key/value metadata.
func (r *EventReader) Metadata() map[string]string {
	kv := r.pf.Metadata().KeyValueMetadata
	meta := make(map[string]string, len(kv))
	for _, e := range kv {
		meta[e.Key] = e.Value
	}
	return meta
}

// Read reads up to len(rows) rows into rows and returns how many it read.
// At the end of the file it returns io.EOF, possibly together with n > 0, so
// process rows[:n] before checking the error.
func (r *EventReader) Read(rows []EventRow) (int, error) {
	if cap(r.rows) < len(rows) {
		r.rows = make([]parquet.Row, len(rows))
	}
	buf := r.rows[:len(rows)]

	n, err := r.r.ReadRows(buf)
	for i := range n {
		if cerr := r.layout.decodeRow(&rows[i], buf[i]); cerr != nil {
			return i, fmt.Errorf("read events: %s: %w", r.file.Name(), cerr)
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("read events: %s: %w", r.file.Name(), err)
	}
	return n, err
}

// Close closes the file.
func (r *EventReader) Close() error {
	r.r.Close()
	return r.file.Close()
}

// ReadEvents reads a whole events.parquet file into memory. It suits tests
// and small files; use OpenEvents to stream large ones.
func ReadEvents(path string) (EventSchema, []EventRow, error) {
	r, err := OpenEvents(path)
	if err != nil {
		return EventSchema{}, nil, err
	}
	defer r.Close()

	rows := make([]EventRow, 0, r.NumRows())
	buf := make([]EventRow, writeBatchRows)
	for {
		n, err := r.Read(buf)
		rows = append(rows, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return EventSchema{}, nil, err
		}
	}
	return r.Schema(), rows, nil
}

// openEventFile opens path, reads its footer and checks that its schema is
// the events schema of some EventSchema.
func openEventFile(path string) (*os.File, *parquet.File, *eventLayout, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open events file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("open events file: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipBloomFilters(true))
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("open events file %s: %w", path, err)
	}
	layout, err := layoutOfFile(pf.Schema())
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("open events file %s: %w", path, err)
	}
	return f, pf, layout, nil
}

// layoutOfFile infers the EventSchema from a file schema and checks that
// the file has exactly the columns and types that EventSchema produces.
func layoutOfFile(schema *parquet.Schema) (*eventLayout, error) {
	var s EventSchema
	for _, field := range schema.Fields() {
		name := field.Name()
		switch {
		case name == "expected":
			s.HasExpected = true
		case strings.HasPrefix(name, ContextPrefix):
			if !field.Leaf() {
				return nil, fmt.Errorf("column %s is a group, not a context feature", name)
			}
			kind, ok := kindOfType(field.Type())
			if !ok {
				return nil, fmt.Errorf("column %s has Parquet type %v, which no context kind uses", name, field.Type())
			}
			s.Context = append(s.Context, Column{Name: strings.TrimPrefix(name, ContextPrefix), Kind: kind})
		}
	}

	layout, err := newEventLayout(s)
	if err != nil {
		return nil, err
	}
	if !parquet.EqualNodes(layout.schema, schema) {
		return nil, fmt.Errorf("not an events file: columns %v differ from the events layout %v",
			columnNames(schema), s.ColumnNames())
	}
	return layout, nil
}

func kindOfType(t parquet.Type) (Kind, bool) {
	switch t.Kind() {
	case parquet.ByteArray:
		return KindString, true
	case parquet.Double:
		return KindFloat64, true
	case parquet.Int64:
		return KindInt64, true
	case parquet.Boolean:
		return KindBool, true
	}
	return 0, false
}

func columnNames(schema *parquet.Schema) []string {
	var names []string
	for _, f := range schema.Fields() {
		names = append(names, f.Name())
	}
	return names
}

// decodeRow fills r from the Parquet values of one row.
func (l *eventLayout) decodeRow(r *EventRow, row parquet.Row) error {
	if len(row) != l.columns {
		return fmt.Errorf("row has %d values for %d columns", len(row), l.columns)
	}
	str := func(i int) string { return string(row[i].ByteArray()) }

	r.Experiment = str(l.experiment)
	r.Arm = str(l.arm)
	r.Repetition = row[l.repetition].Int32()
	r.Seed = row[l.seed].Int64()
	r.Event = row[l.event].Int64()
	r.Batch = row[l.batch].Int32()
	r.EventID = str(l.eventID)

	r.Context = make([]Value, len(l.spec.Context))
	for i, c := range l.spec.Context {
		v := row[l.context+i]
		switch {
		case v.IsNull():
			r.Context[i] = NullValue()
		case c.Kind == KindString:
			r.Context[i] = StringValue(string(v.ByteArray()))
		case c.Kind == KindFloat64:
			r.Context[i] = FloatValue(v.Double())
		case c.Kind == KindInt64:
			r.Context[i] = IntValue(v.Int64())
		default:
			r.Context[i] = BoolValue(v.Boolean())
		}
	}

	r.Action = str(l.action)
	r.Probability = row[l.probability].Double()
	r.Reward = row[l.reward].Double()
	r.Expected, r.HasExpected = "", false
	if l.expected >= 0 && !row[l.expected].IsNull() {
		r.Expected, r.HasExpected = str(l.expected), true
	}
	r.BestReward, r.HasBestReward = 0, false
	if v := row[l.bestReward]; !v.IsNull() {
		r.BestReward, r.HasBestReward = v.Double(), true
	}
	r.Explored = row[l.explored].Boolean()
	r.ModelVersion = row[l.modelVersion].Int64()
	r.RewardStatus = str(l.rewardStatus)
	r.Clamped = row[l.clamped].Boolean()
	r.RankMS, r.HasRankMS = 0, false
	if v := row[l.rankMS]; !v.IsNull() {
		r.RankMS, r.HasRankMS = v.Double(), true
	}
	r.RewardMS, r.HasRewardMS = 0, false
	if v := row[l.rewardMS]; !v.IsNull() {
		r.RewardMS, r.HasRewardMS = v.Double(), true
	}
	return nil
}
