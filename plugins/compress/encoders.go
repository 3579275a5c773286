package compress

import (
	"io"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// encoder is what gzip.Writer, zstd.Encoder and brotli.Writer have in common.
type encoder interface {
	io.Writer
	Flush() error
	Close() error
	Reset(io.Writer)
}

// coding is one content coding the engine produces, with its pool of
// encoders (all at the configured level).
type coding struct {
	name   string
	value  []string // shared Content-Encoding value, never mutated
	suffix string   // ETag suffix: "-br"
	pool   sync.Pool
}

func newCoding(name string, cfg *config) *coding {
	c := &coding{name: name, value: []string{name}, suffix: "-" + name}
	switch name {
	case Gzip:
		level := cfg.gzipLevel
		c.pool.New = func() any {
			w, _ := gzip.NewWriterLevel(nil, level) // level validated
			return encoder(w)
		}
	case Zstd:
		level := zstd.EncoderLevel(cfg.zstdLevel)
		c.pool.New = func() any {
			// The settings of klauspost's gzhttp: one goroutine, a 128 KiB
			// window (decoders, browsers included, may refuse windows
			// over 8 MiB), lower memory per pooled encoder.
			w, _ := zstd.NewWriter(nil,
				zstd.WithEncoderLevel(level),
				zstd.WithEncoderConcurrency(1),
				zstd.WithLowerEncoderMem(true),
				zstd.WithWindowSize(128<<10),
			)
			return encoder(w)
		}
	case Brotli:
		level := cfg.brotliLevel
		c.pool.New = func() any { return encoder(brotli.NewWriterLevel(nil, level)) }
	}
	return c
}

// get returns a pooled encoder writing to w.
func (c *coding) get(w io.Writer) encoder {
	e := c.pool.Get().(encoder)
	e.Reset(w)
	return e
}

// put returns an encoder to the pool, pointing at nothing.
func (c *coding) put(e encoder) {
	e.Reset(io.Discard)
	c.pool.Put(e)
}
