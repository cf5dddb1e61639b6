package results

import (
	"fmt"
	"os"
	"reflect"
	"slices"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// partReadSize is the least number of bytes readPart reads at once. The
// first read, at the end of a part, then takes the footer and, in parts
// written by EventWriter, the page indexes before it. A part of 1,000,000
// events of the coffee schema in bench_test.go (16 row groups) ends with
// 58 KiB of those, so one read serves a part up to about that size.
const partReadSize = 64 << 10

// partFile is an open part file during a merge.
type partFile struct {
	path    string
	file    *os.File
	size    int64
	dataEnd int64 // offset of the footer: pages and page indexes lie before it

	// window holds the bytes of the part from offset windowStart on, so
	// that the footer and the page indexes, which lie next to each other,
	// take few reads.
	window      []byte
	windowStart int64
}

// openPart opens the part file at path and decodes its footer, checking
// that its schema is the merged file's. The caller must close part.file.
func (m *eventMerger) openPart(path string) (*partFile, *format.FileMetaData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open events file: %w", err)
	}
	part := &partFile{path: path, file: f, window: m.partBuf[:0]}
	meta, err := m.readFooter(part)
	m.partBuf = part.window
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open events file %s: %w", path, err)
	}
	if err := m.checkSchema(meta.Schema); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("part %s: %w", path, err)
	}
	return part, meta, nil
}

// readFooter checks the magic bytes of part and decodes its footer.
func (m *eventMerger) readFooter(part *partFile) (*format.FileMetaData, error) {
	st, err := part.file.Stat()
	if err != nil {
		return nil, err
	}
	part.size = st.Size()
	if part.size < int64(len(parquetMagic)+footerTrailerLen) {
		return nil, fmt.Errorf("file of %d bytes is too short for a Parquet file", part.size)
	}

	var magic [len(parquetMagic)]byte
	if _, err := part.file.ReadAt(magic[:], 0); err != nil {
		return nil, fmt.Errorf("read magic bytes: %w", err)
	}
	if string(magic[:]) != parquetMagic {
		return nil, fmt.Errorf("file does not start with the Parquet magic bytes, so it is not a Parquet file")
	}

	trailer, err := m.readPart(part, byteRange{part.size - int64(footerTrailerLen), part.size})
	if err != nil {
		return nil, fmt.Errorf("read footer length: %w", err)
	}
	part.dataEnd, err = footerStart(trailer, part.size)
	if err != nil {
		return nil, err
	}
	footer, err := m.readPart(part, byteRange{part.dataEnd, part.size - int64(footerTrailerLen)})
	if err != nil {
		return nil, fmt.Errorf("read footer: %w", err)
	}
	// Unmarshal decodes from a copy of footer. The strings and byte slices
	// it decodes share that copy's memory, and the merged footer keeps them
	// after the window is reused for the next part.
	meta := new(format.FileMetaData)
	if err := thrift.Unmarshal(&m.protocol, footer, meta); err != nil {
		return nil, fmt.Errorf("decode footer: %w", err)
	}
	if meta.EncryptionAlgorithm.Value != nil {
		return nil, fmt.Errorf("encrypted Parquet files cannot be merged")
	}
	return meta, nil
}

// readPart returns the bytes of r in part, which must lie after the magic
// bytes. It reads at least partReadSize bytes at a time, ending at r.end,
// and serves later calls for bytes in that window without reading again.
// The result is valid until the next call.
func (m *eventMerger) readPart(part *partFile, r byteRange) ([]byte, error) {
	if r.start < int64(len(parquetMagic)) || r.end > part.size || r.start > r.end {
		return nil, fmt.Errorf("bytes [%d, %d) lie outside the file of %d bytes", r.start, r.end, part.size)
	}
	if r.start < part.windowStart || r.end > part.windowStart+int64(len(part.window)) {
		start := max(int64(len(parquetMagic)), min(r.start, r.end-partReadSize))
		n := int(r.end - start)
		part.window = slices.Grow(part.window[:0], n)[:n]
		part.windowStart = start
		if _, err := part.file.ReadAt(part.window, start); err != nil {
			part.window = part.window[:0]
			return nil, err
		}
	}
	return part.window[r.start-part.windowStart : r.end-part.windowStart], nil
}

// checkSchema returns an error naming the first schema element that differs
// from the merged file's. Two files can differ here although parquet-go
// builds equal schemas from them, for example in field ids, and the merged
// footer can describe the pages of only one encoding of the schema.
func (m *eventMerger) checkSchema(got []format.SchemaElement) error {
	want := m.footer.Schema
	if !slices.Equal(elementNames(got), elementNames(want)) {
		return fmt.Errorf("columns %v, want %v", elementNames(got), elementNames(want))
	}
	if len(got) != len(want) {
		return fmt.Errorf("%d schema elements, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Errorf("schema element %d (%s) is %+v, want %+v", i, want[i].Name, got[i], want[i])
		}
	}
	return nil
}

// elementNames returns the names of the columns of a flat schema: every
// element but the root.
func elementNames(elements []format.SchemaElement) []string {
	var names []string
	for _, e := range elements[min(1, len(elements)):] {
		names = append(names, e.Name)
	}
	return names
}
