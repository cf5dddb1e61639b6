package results

import (
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/compress"
	parquetzstd "github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// zstdWindow bounds the zstd window. Pages are at most 256 KiB, parquet-go's
// default page buffer size, so a larger window finds no further matches and
// only costs memory.
const zstdWindow = 1 << 20

// zstdCodec compresses pages with zstd at the fastest level, like
// parquet-go's own codec, but keeps its encoders for the writer's lifetime.
// parquet-go v0.32.1's codec keeps them in a pool that every garbage collection
// empties, so a long run allocated a new encoder, with a history buffer of
// several MiB, after each collection and its memory grew with its length.
type zstdCodec struct {
	mu       sync.Mutex
	encoders []*zstd.Encoder
	decode   parquetzstd.Codec
}

var _ compress.Codec = (*zstdCodec)(nil)

func newZstdCodec() *zstdCodec { return &zstdCodec{} }

func (c *zstdCodec) String() string { return "ZSTD" }

func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	e, err := c.take()
	if err != nil {
		return nil, err
	}
	out := e.EncodeAll(src, dst[:0])
	c.mu.Lock()
	c.encoders = append(c.encoders, e)
	c.mu.Unlock()
	return out, nil
}

func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) { return c.decode.Decode(dst, src) }

// take returns an idle encoder, creating one when every encoder is busy.
func (c *zstdCodec) take() (*zstd.Encoder, error) {
	c.mu.Lock()
	if n := len(c.encoders); n > 0 {
		e := c.encoders[n-1]
		c.encoders = c.encoders[:n-1]
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()
	return zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(zstdWindow),
		zstd.WithLowerEncoderMem(true),
		zstd.WithZeroFrames(true),
		zstd.WithEncoderCRC(false),
	)
}
