package compress

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	covet "github.com/covetgo/covet/core"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// decodedBody is a request body decoded on the fly, failing with a 413
// error once more than limit decoded bytes were read.
type decodedBody struct {
	src    io.ReadCloser
	coding string
	dec    io.Reader
	limit  int64
	n      int64
	err    error
	// pooled decoders, returned by release
	gz *gzip.Reader
	zs *zstd.Decoder
	br *brotli.Reader
}

var (
	gzipReaders   sync.Pool
	zstdReaders   sync.Pool
	brotliReaders sync.Pool
)

// decodeRequest replaces r.Body with a decoding reader when it has a
// Content-Encoding; nil when the coding is identity.
func (e *engine) decodeRequest(r *http.Request) (*decodedBody, error) {
	ce := r.Header["Content-Encoding"]
	v := ""
	if len(ce) == 1 {
		v = strings.ToLower(trimOWS(ce[0]))
	}
	var coding string
	switch v {
	case "identity", "":
		if len(ce) == 1 && v == "identity" {
			delete(r.Header, "Content-Encoding")
			return nil, nil
		}
	case "gzip", "x-gzip":
		coding = Gzip
	case "zstd":
		coding = Zstd
	case "br":
		coding = Brotli
	}
	if coding == "" {
		return nil, covet.NewError(http.StatusUnsupportedMediaType,
			"request Content-Encoding "+strconv.Quote(strings.Join(ce, ", "))+" is not supported; use one of gzip, zstd, br").
			WithHeader("Accept-Encoding", "gzip, zstd, br")
	}
	if r.Body == nil || r.Body == http.NoBody {
		delete(r.Header, "Content-Encoding")
		return nil, nil
	}
	b := &decodedBody{src: r.Body, coding: coding, limit: e.limit}
	r.Body = b
	delete(r.Header, "Content-Encoding")
	delete(r.Header, "Content-Length")
	r.ContentLength = -1
	return b, nil
}

// init creates (or takes from a pool) the decoder on the first Read, so a
// malformed header is a read error the handler reports (400).
func (b *decodedBody) init() error {
	switch b.coding {
	case Gzip:
		gz, _ := gzipReaders.Get().(*gzip.Reader)
		var err error
		if gz == nil {
			gz, err = gzip.NewReader(b.src)
		} else {
			err = gz.Reset(b.src)
		}
		if err != nil {
			return err
		}
		b.gz, b.dec = gz, gz
	case Zstd:
		zs, _ := zstdReaders.Get().(*zstd.Decoder)
		if zs == nil {
			var err error
			zs, err = zstd.NewReader(nil,
				zstd.WithDecoderConcurrency(1),
				zstd.WithDecoderLowmem(true),
				zstd.WithDecoderMaxWindow(8<<20),
			)
			if err != nil {
				return err
			}
		}
		if err := zs.Reset(b.src); err != nil {
			zstdReaders.Put(zs)
			return err
		}
		b.zs, b.dec = zs, zs
	case Brotli:
		br, _ := brotliReaders.Get().(*brotli.Reader)
		if br == nil {
			br = brotli.NewReader(b.src)
		} else if err := br.Reset(b.src); err != nil {
			return err
		}
		b.br, b.dec = br, br
	}
	return nil
}

// Read reads decoded bytes, at most limit in all.
func (b *decodedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.dec == nil {
		if err := b.init(); err != nil {
			b.err = err
			return 0, err
		}
	}
	if rest := b.limit + 1 - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.dec.Read(p)
	b.n += int64(n)
	if b.n > b.limit {
		n -= int(b.n - b.limit)
		b.err = covet.NewError(http.StatusRequestEntityTooLarge,
			"the decompressed request body is larger than the limit of "+strconv.FormatInt(b.limit, 10)+" bytes").
			WithCause(&http.MaxBytesError{Limit: b.limit})
		return n, b.err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		b.err = err
	}
	return n, err
}

// Close closes the coded body.
func (b *decodedBody) Close() error { return b.src.Close() }

// release returns the decoder to its pool once the handler is done.
func (b *decodedBody) release() {
	switch {
	case b.gz != nil:
		gzipReaders.Put(b.gz)
	case b.zs != nil:
		_ = b.zs.Reset(nil)
		zstdReaders.Put(b.zs)
	case b.br != nil:
		brotliReaders.Put(b.br)
	}
	b.gz, b.zs, b.br, b.dec = nil, nil, nil, nil
	b.err = errors.New("compress: request body read after the handler returned")
}
