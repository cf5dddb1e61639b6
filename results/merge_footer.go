package results

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
)

// footerTrailerLen is the length of what follows the footer of a Parquet
// file: the footer's length as a little-endian uint32 and the magic bytes.
const footerTrailerLen = 4 + len(parquetMagic)

// newEventMerger writes the magic bytes to out and returns a merger whose
// footer is that of an empty events file with layout and meta. The merged
// file thus has the schema, key/value metadata (in key order), column
// orders and format version that an EventWriter writes, even with no part.
func newEventMerger(out io.Writer, layout *eventLayout, meta map[string]string) (*eventMerger, error) {
	var empty bytes.Buffer
	w := parquet.NewWriter(&empty, append(writerOptions(meta), layout.schema)...)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("write empty events file: %w", err)
	}
	data := empty.Bytes()
	start, err := footerStart(data[max(0, len(data)-footerTrailerLen):], int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("empty events file: %w", err)
	}

	m := &eventMerger{out: out, want: layout, pageIndex: true}
	if err := thrift.Unmarshal(&m.protocol, data[start:len(data)-footerTrailerLen], &m.footer); err != nil {
		return nil, fmt.Errorf("decode footer of empty events file: %w", err)
	}
	if err := m.write([]byte(parquetMagic)); err != nil {
		return nil, err
	}
	return m, nil
}

// footerStart returns the offset of the footer of a Parquet file of size
// bytes that ends with trailer.
func footerStart(trailer []byte, size int64) (int64, error) {
	if len(trailer) != footerTrailerLen || string(trailer[4:]) != parquetMagic {
		return 0, fmt.Errorf("file of %d bytes does not end with the Parquet magic bytes", size)
	}
	n := int64(binary.LittleEndian.Uint32(trailer))
	start := size - int64(footerTrailerLen) - n
	if start < int64(len(parquetMagic)) {
		return 0, fmt.Errorf("footer of %d bytes does not fit in a file of %d bytes", n, size)
	}
	return start, nil
}

// writeFooter encodes the merged FileMetaData with the Thrift compact
// protocol and writes it, its length and the closing magic bytes.
func (m *eventMerger) writeFooter() error {
	footer, err := thrift.Marshal(&m.protocol, &m.footer)
	if err != nil {
		return fmt.Errorf("encode footer: %w", err)
	}
	if len(footer) > math.MaxUint32 {
		return fmt.Errorf("footer of %d bytes exceeds the %d a Parquet file can hold", len(footer), uint32(math.MaxUint32))
	}
	trailer := binary.LittleEndian.AppendUint32(nil, uint32(len(footer)))
	trailer = append(trailer, parquetMagic...)
	if err := m.write(footer); err != nil {
		return fmt.Errorf("write footer: %w", err)
	}
	if err := m.write(trailer); err != nil {
		return fmt.Errorf("write footer: %w", err)
	}
	return nil
}
