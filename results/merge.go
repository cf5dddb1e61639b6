package results

import (
	"bytes"
	"fmt"
	"io"
	"math"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// MergeEvents concatenates the part files, in the order given, into a new
// events.parquet at dst with schema s and footer key/value metadata meta.
// Every part must have been written by an EventWriter with an EventSchema
// equal to s. The parts' own key/value metadata is not copied.
//
// No value is decoded, re-encoded or compressed again. MergeEvents copies
// each part's column chunks (dictionary and data pages) byte for byte. After
// the last row group it writes their page indexes (column index and offset
// index), with the page offsets moved to where the pages landed, and then a
// footer that lists the row groups of every part in order. The parts' row
// groups are kept as they are: a part of 15,000 events becomes one row
// group of 15,000 rows in dst, so many small parts make many small row
// groups. A part with a row group of more than MaxRowsPerRowGroup rows is
// rejected.
//
// NOTE: every row group carries its own dictionary pages, page headers,
// page index and footer entry, so small parts cost space. The 1,000 parts
// of 1,000 coffee events of BenchmarkMergeEventsSmallParts merge into
// 6.3 MiB, where decoding and encoding the rows again gave 0.5 MiB.
//
// Memory grows with the number of column chunks, not with the number of
// rows: the merged footer and the page indexes, a few hundred bytes per
// column chunk, are held until the end.
//
// The output is written under a temporary name and renamed to dst only
// when complete, so a failed merge, such as one with a missing, truncated
// or foreign part, leaves no partial file at dst. MergeEvents does not
// remove the parts; the caller does once it returns nil.
func MergeEvents(dst string, parts []string, s EventSchema, meta map[string]string) error {
	layout, err := newEventLayout(s)
	if err != nil {
		return fmt.Errorf("merge events: %w", err)
	}

	return writeFileAtomic(dst, func(out io.Writer) error {
		m, err := newEventMerger(out, layout, meta)
		if err != nil {
			return fmt.Errorf("merge events: %w", err)
		}
		for _, part := range parts {
			if err := m.appendPart(part); err != nil {
				return fmt.Errorf("merge events: %w", err)
			}
		}
		if err := m.finish(); err != nil {
			return fmt.Errorf("merge events: %w", err)
		}
		return nil
	})
}

// eventMerger writes a Parquet file made of the row groups of event part
// files: the magic bytes, the column chunks of each part in order, the page
// indexes, and the footer.
type eventMerger struct {
	out    io.Writer
	offset int64 // bytes written to out so far
	want   *eventLayout
	parts  int // parts appended so far

	// footer is the merged file's FileMetaData. It starts as the footer of
	// an empty events file and collects the relocated row groups of each
	// part. finish sets the page index offsets and the row count.
	footer format.FileMetaData

	// columnIndexes and offsetIndexes are the encoded page indexes of every
	// column chunk appended so far, in row group and column order, which is
	// the order finish writes them in. The length of each one is kept in
	// its column chunk's metadata until then. pageIndex turns false when a
	// part lacks the page index of some column chunk: the merged file then
	// gets no page index at all.
	columnIndexes []byte
	offsetIndexes bytes.Buffer
	pageIndex     bool

	protocol thrift.CompactProtocol
	reader   thrift.BytesReader // decodes offset indexes
	decoder  *thrift.Decoder
	encoder  *thrift.Encoder // encodes offset indexes into offsetIndexes
	copies   []byteRange     // byte ranges of the current part to copy, in order
	partBuf  []byte          // the window of the previous part, for reuse
}

// appendPart copies the row groups of the part file at path to the output
// and adds them to the merged footer.
func (m *eventMerger) appendPart(path string) error {
	part, meta, err := m.openPart(path)
	if err != nil {
		return err
	}
	defer part.file.Close()

	// The merged file names the writer of its pages, which is the writer of
	// the parts.
	if m.parts == 0 {
		m.footer.CreatedBy = meta.CreatedBy
	}
	m.parts++

	var rows int64
	for i := range meta.RowGroups {
		rows += meta.RowGroups[i].NumRows
	}
	if rows != meta.NumRows {
		return fmt.Errorf("part %s: footer counts %d rows, but its row groups contain %d", path, meta.NumRows, rows)
	}

	m.copies = m.copies[:0]
	next := m.offset
	for i := range meta.RowGroups {
		if len(m.footer.RowGroups) > math.MaxInt16 {
			return fmt.Errorf("part %s: the merged file would have more than %d row groups, the most a Parquet row group ordinal (int16) can number",
				path, math.MaxInt16+1)
		}
		rg, err := m.relocateRowGroup(part, &meta.RowGroups[i], &next)
		if err != nil {
			return fmt.Errorf("part %s: row group %d: %w", path, i, err)
		}
		m.footer.RowGroups = append(m.footer.RowGroups, rg)
	}
	return m.copyPages(part)
}

// finish writes the page indexes and the footer.
func (m *eventMerger) finish() error {
	var rows int64
	for i := range m.footer.RowGroups {
		rows += m.footer.RowGroups[i].NumRows
	}
	m.footer.NumRows = rows

	if err := m.writePageIndexes(); err != nil {
		return err
	}
	return m.writeFooter()
}

// write writes b to the output and advances the offset.
func (m *eventMerger) write(b []byte) error {
	n, err := m.out.Write(b)
	m.offset += int64(n)
	return err
}
