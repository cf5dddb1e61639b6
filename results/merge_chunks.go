package results

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquetMagic starts and ends every Parquet file.
const parquetMagic = "PAR1"

// byteRange is the half-open range of file offsets [start, end).
type byteRange struct{ start, end int64 }

func (r byteRange) length() int64 { return r.end - r.start }

// relocateRowGroup returns the merged footer's entry for the row group src
// of part, whose column chunks will start at offset *next of the output.
// It queues the chunks' bytes for copyPages, stores their page indexes and
// advances *next past them.
func (m *eventMerger) relocateRowGroup(part *partFile, src *format.RowGroup, next *int64) (format.RowGroup, error) {
	if src.NumRows > MaxRowsPerRowGroup {
		return format.RowGroup{}, fmt.Errorf("%d rows, more than the %d a row group of an events file may have",
			src.NumRows, MaxRowsPerRowGroup)
	}
	if len(src.Columns) != m.want.columns {
		return format.RowGroup{}, fmt.Errorf("%d column chunks for %d columns", len(src.Columns), m.want.columns)
	}

	rg := *src
	rg.Columns = slices.Clone(src.Columns)
	rg.Ordinal = int16(len(m.footer.RowGroups))
	rg.FileOffset = *next
	for j := range rg.Columns {
		c := &rg.Columns[j]
		if err := m.checkColumn(j, c); err != nil {
			return format.RowGroup{}, err
		}
		r, err := chunkRange(c, part.dataEnd)
		if err != nil {
			return format.RowGroup{}, err
		}
		delta := *next - r.start
		if err := m.relocatePageIndex(part, c, r, delta); err != nil {
			return format.RowGroup{}, err
		}
		relocateChunk(c, delta)
		m.queueCopy(r)
		*next += r.length()
	}
	return rg, nil
}

// checkColumn checks that c is a chunk of column j of the merged schema and
// has its type. The events schema is flat, so schema element 1+j, after the
// root, is column j.
func (m *eventMerger) checkColumn(j int, c *format.ColumnChunk) error {
	want := &m.footer.Schema[1+j]
	path := c.MetaData.PathInSchema
	if len(path) != 1 || path[0] != want.Name || c.MetaData.Type != want.Type.V {
		return fmt.Errorf("column chunk %d is %s of type %v, want %s of type %v",
			j, strings.Join(path, "."), c.MetaData.Type, want.Name, want.Type.V)
	}
	return nil
}

// chunkRange returns the bytes of a column chunk in its part: the
// dictionary page, if any, followed by the data pages. It rejects chunks
// that this package's writer never produces and that a byte copy would
// break: encrypted chunks and chunks stored in another file.
func chunkRange(c *format.ColumnChunk, dataEnd int64) (byteRange, error) {
	md := &c.MetaData
	column := strings.Join(md.PathInSchema, ".")
	if c.FilePath != "" {
		return byteRange{}, fmt.Errorf("column %s: pages stored in another file (%s) cannot be merged", column, c.FilePath)
	}
	if c.CryptoMetadata.Value != nil || len(c.EncryptedColumnMetadata) > 0 {
		return byteRange{}, fmt.Errorf("column %s: encrypted column chunks cannot be merged", column)
	}

	start := md.DataPageOffset
	if md.DictionaryPageOffset > 0 {
		if md.DictionaryPageOffset > md.DataPageOffset {
			return byteRange{}, fmt.Errorf("column %s: dictionary page at offset %d follows the first data page at %d",
				column, md.DictionaryPageOffset, md.DataPageOffset)
		}
		start = md.DictionaryPageOffset
	}
	r := byteRange{start, start + md.TotalCompressedSize}
	if r.start < int64(len(parquetMagic)) || r.length() <= 0 || r.end > dataEnd {
		return byteRange{}, fmt.Errorf("column %s: pages at bytes [%d, %d) lie outside the part's data [%d, %d)",
			column, r.start, r.end, len(parquetMagic), dataEnd)
	}
	if md.IndexPageOffset > 0 && (md.IndexPageOffset < r.start || md.IndexPageOffset >= r.end) {
		return byteRange{}, fmt.Errorf("column %s: index page at offset %d lies outside the column chunk [%d, %d)",
			column, md.IndexPageOffset, r.start, r.end)
	}
	return r, nil
}

// relocateChunk moves the page offsets of a column chunk by delta bytes.
// Bloom filters are not copied, so their offsets are cleared. The page
// index offsets are set by writePageIndexes.
func relocateChunk(c *format.ColumnChunk, delta int64) {
	md := &c.MetaData
	md.DataPageOffset += delta
	if md.DictionaryPageOffset > 0 {
		md.DictionaryPageOffset += delta
	}
	if md.IndexPageOffset > 0 {
		md.IndexPageOffset += delta
	}

	// file_offset is deprecated and parquet-go writes 0. A writer that sets
	// it points it into or next to the chunk, so it moves with the pages.
	if c.FileOffset > 0 {
		c.FileOffset += delta
	}
	md.BloomFilterOffset, md.BloomFilterLength = 0, 0
}

// relocatePageIndex reads the column index and offset index of a column
// chunk from part and appends them to the merged page indexes, with the
// page offsets of the offset index moved by delta. The column index holds
// no offsets and is copied byte for byte. When the chunk has no page index,
// the merged file gets none.
func (m *eventMerger) relocatePageIndex(part *partFile, c *format.ColumnChunk, r byteRange, delta int64) error {
	columnIndex := byteRange{c.ColumnIndexOffset, c.ColumnIndexOffset + int64(c.ColumnIndexLength)}
	offsetIndex := byteRange{c.OffsetIndexOffset, c.OffsetIndexOffset + int64(c.OffsetIndexLength)}
	c.ColumnIndexOffset, c.ColumnIndexLength = 0, 0
	c.OffsetIndexOffset, c.OffsetIndexLength = 0, 0
	if !m.pageIndex {
		return nil
	}
	if columnIndex.start <= 0 || columnIndex.length() <= 0 || offsetIndex.start <= 0 || offsetIndex.length() <= 0 {
		m.pageIndex = false
		m.columnIndexes = nil
		m.offsetIndexes = bytes.Buffer{}
		return nil
	}

	column := strings.Join(c.MetaData.PathInSchema, ".")
	if columnIndex.end > part.dataEnd || offsetIndex.end > part.dataEnd {
		return fmt.Errorf("column %s: page index at bytes [%d, %d) and [%d, %d) overlaps the footer at %d",
			column, columnIndex.start, columnIndex.end, offsetIndex.start, offsetIndex.end, part.dataEnd)
	}
	raw, err := m.readPart(part, columnIndex)
	if err != nil {
		return fmt.Errorf("column %s: read column index: %w", column, err)
	}
	m.columnIndexes = append(m.columnIndexes, raw...)
	c.ColumnIndexLength = int32(len(raw))

	raw, err = m.readPart(part, offsetIndex)
	if err != nil {
		return fmt.Errorf("column %s: read offset index: %w", column, err)
	}
	var index format.OffsetIndex
	if err := m.decodeOffsetIndex(raw, &index); err != nil {
		return fmt.Errorf("column %s: decode offset index: %w", column, err)
	}
	for i := range index.PageLocations {
		loc := &index.PageLocations[i]
		if loc.Offset < r.start || loc.Offset+int64(loc.CompressedPageSize) > r.end {
			return fmt.Errorf("column %s: offset index places page %d at bytes [%d, %d), outside the column chunk [%d, %d)",
				column, i, loc.Offset, loc.Offset+int64(loc.CompressedPageSize), r.start, r.end)
		}
		loc.Offset += delta
	}
	if m.encoder == nil {
		m.encoder = thrift.NewEncoder(m.protocol.NewWriter(&m.offsetIndexes))
	}
	before := m.offsetIndexes.Len()
	if err := m.encoder.Encode(&index); err != nil {
		return fmt.Errorf("column %s: encode offset index: %w", column, err)
	}
	c.OffsetIndexLength = int32(m.offsetIndexes.Len() - before)
	return nil
}

// decodeOffsetIndex decodes an offset index from b with a reader and
// decoder reused across calls. An OffsetIndex holds only integers, so
// nothing decoded shares memory with b.
func (m *eventMerger) decodeOffsetIndex(b []byte, index *format.OffsetIndex) error {
	if m.reader == nil {
		m.reader = m.protocol.NewReaderFromBytes(nil)
		m.decoder = thrift.NewDecoder(m.reader)
	}
	m.reader.ResetBytes(b)
	if err := m.decoder.Decode(index); err != nil {
		return err
	}
	if n := len(b) - m.reader.BytesRead(); n != 0 {
		return fmt.Errorf("%d bytes follow the offset index", n)
	}
	return nil
}

// queueCopy adds r to the ranges copyPages copies, joining it to the last
// one when the two are adjacent, as the chunks of one part usually are.
func (m *eventMerger) queueCopy(r byteRange) {
	if n := len(m.copies); n > 0 && m.copies[n-1].end == r.start {
		m.copies[n-1].end = r.end
		return
	}
	m.copies = append(m.copies, r)
}

// copyPages copies the queued byte ranges of part to the output.
//
// The source is an *os.File behind an io.LimitedReader, so when the output
// is an *os.File or a bufio.Writer over one, io.Copy can hand the copy to
// the kernel (copy_file_range on Linux) and the bytes need not pass
// through this process.
func (m *eventMerger) copyPages(part *partFile) error {
	for _, r := range m.copies {
		if _, err := part.file.Seek(r.start, io.SeekStart); err != nil {
			return fmt.Errorf("copy pages of part %s: %w", part.path, err)
		}
		n, err := io.Copy(m.out, &io.LimitedReader{R: part.file, N: r.length()})
		m.offset += n
		if err != nil {
			return fmt.Errorf("copy pages of part %s: %w", part.path, err)
		}
		if n != r.length() {
			return fmt.Errorf("copy pages of part %s: %w after %d of the %d bytes at offset %d",
				part.path, io.ErrUnexpectedEOF, n, r.length(), r.start)
		}
	}
	return nil
}

// writePageIndexes writes every column index, then every offset index, in
// row group and column order, and points the column chunks at them. Readers
// such as parquet-go read each of the two sections in one piece from the
// offset of the first chunk's index, so each section must be contiguous and
// in that order. Without a complete page index, it clears the page index
// fields of every chunk instead.
func (m *eventMerger) writePageIndexes() error {
	if !m.pageIndex {
		for i := range m.footer.RowGroups {
			for j := range m.footer.RowGroups[i].Columns {
				c := &m.footer.RowGroups[i].Columns[j]
				c.ColumnIndexOffset, c.ColumnIndexLength = 0, 0
				c.OffsetIndexOffset, c.OffsetIndexLength = 0, 0
			}
		}
		return nil
	}

	next := m.offset
	for i := range m.footer.RowGroups {
		for j := range m.footer.RowGroups[i].Columns {
			c := &m.footer.RowGroups[i].Columns[j]
			c.ColumnIndexOffset = next
			next += int64(c.ColumnIndexLength)
		}
	}
	for i := range m.footer.RowGroups {
		for j := range m.footer.RowGroups[i].Columns {
			c := &m.footer.RowGroups[i].Columns[j]
			c.OffsetIndexOffset = next
			next += int64(c.OffsetIndexLength)
		}
	}

	if err := m.write(m.columnIndexes); err != nil {
		return fmt.Errorf("write column indexes: %w", err)
	}
	if err := m.write(m.offsetIndexes.Bytes()); err != nil {
		return fmt.Errorf("write offset indexes: %w", err)
	}
	return nil
}
