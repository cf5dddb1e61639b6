package results

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// mergeBatchRows is the number of rows read from a part and written to the
// merged file at a time.
const mergeBatchRows = 4096

// MergeEvents streams the rows of the part files, in the order given, into
// a new events.parquet at dst with schema s and footer metadata meta. Every
// part must have been written with an EventSchema equal to s.
//
// Memory stays bounded: rows are copied a few thousand at a time and the
// output's row groups hold at most MaxRowsPerRowGroup rows. The output is
// written under a temporary name and renamed to dst only when complete, so
// an interrupted merge never leaves a partial file at dst. MergeEvents does
// not remove the parts; the caller does once it returns nil.
func MergeEvents(dst string, parts []string, s EventSchema, meta map[string]string) error {
	layout, err := newEventLayout(s)
	if err != nil {
		return fmt.Errorf("merge events: %w", err)
	}

	return writeFileAtomic(dst, func(out io.Writer) error {
		w := parquet.NewWriter(out, append(writerOptions(meta), layout.schema)...)
		buf := make([]parquet.Row, mergeBatchRows)
		for _, part := range parts {
			if err := copyPart(w, part, layout, buf); err != nil {
				return fmt.Errorf("merge events: %w", err)
			}
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("merge events: write footer: %w", err)
		}
		return nil
	})
}

// copyPart writes every row of the part file at path to w.
func copyPart(w *parquet.Writer, path string, want *eventLayout, buf []parquet.Row) error {
	f, pf, layout, err := openEventFile(path)
	if err != nil {
		return err
	}
	defer f.Close()

	if !parquet.EqualNodes(layout.schema, want.schema) {
		return fmt.Errorf("part %s has columns %v, want %v", path, layout.spec.ColumnNames(), want.spec.ColumnNames())
	}

	r := parquet.NewReader(pf)
	defer r.Close()
	for {
		n, err := r.ReadRows(buf)
		if n > 0 {
			if _, werr := w.WriteRows(buf[:n]); werr != nil {
				return fmt.Errorf("write rows of part %s: %w", path, werr)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read part %s: %w", path, err)
		}
	}
}
