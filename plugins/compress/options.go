package compress

import (
	"fmt"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Names of the content codings the plugin produces and accepts.
const (
	Brotli = "br"
	Zstd   = "zstd"
	Gzip   = "gzip"
)

// DefaultMinSize is the smallest body compressed by default: below about one
// packet, compression saves no round trip and costs CPU.
const DefaultMinSize = 1024

// DefaultContentTypes is the default allowlist of compressible media types
// (see WithContentTypes for the pattern forms). text/event-stream is never
// compressed, whatever the list says.
var DefaultContentTypes = []string{
	"text/*",
	"application/json",
	"application/x-ndjson",
	"application/javascript",
	"application/x-javascript",
	"application/ecmascript",
	"application/xml",
	"application/wasm",
	"application/yaml",
	"application/vnd.ms-fontobject",
	"font/ttf",
	"font/otf",
	"+json",
	"+xml",
}

// Option configures the plugin or the middleware.
type Option func(*config)

type config struct {
	encodings   []string
	gzipLevel   int
	brotliLevel int
	zstdLevel   int
	minSize     int
	types       []string
	decompress  bool
	decompLimit int64
}

func defaultConfig() config {
	return config{
		encodings:   []string{Zstd, Brotli, Gzip},
		gzipLevel:   gzip.DefaultCompression,
		brotliLevel: 4,
		zstdLevel:   int(zstd.SpeedDefault),
		minSize:     DefaultMinSize,
		types:       DefaultContentTypes,
	}
}

// WithEncodings sets the codings the server produces, in its order of
// preference: when a client accepts several with the same q-value, the first
// listed here wins. The default is zstd, br, gzip (zstd compresses about as
// well as Brotli level 4 for a fraction of the CPU; every browser accepts gzip).
func WithEncodings(names ...string) Option {
	return func(c *config) { c.encodings = names }
}

// WithGzipLevel sets the gzip level, 1 (fastest) to 9 (smallest), or -1 for
// the library's default (6). Default: -1.
func WithGzipLevel(level int) Option { return func(c *config) { c.gzipLevel = level } }

// WithBrotliLevel sets the Brotli level, 0 to 11. Default: 4, the usual choice
// for dynamic responses (levels above 6 cost many times the CPU for a few
// percent; precompress static assets at 11 instead, see Static).
func WithBrotliLevel(level int) Option { return func(c *config) { c.brotliLevel = level } }

// WithZstdLevel sets the zstd level: 1 fastest, 2 default, 3 better, 4 best
// (klauspost/compress's zstd.EncoderLevel). Default: 2.
func WithZstdLevel(level int) Option { return func(c *config) { c.zstdLevel = level } }

// WithMinSize sets the smallest body compressed (default DefaultMinSize). A
// response is decided after its first bytes: a Content-Length below n, or a
// body that ends before n bytes, is sent as is; the first n bytes are held
// back, never the whole response. 0 compresses every body.
func WithMinSize(n int) Option { return func(c *config) { c.minSize = n } }

// WithContentTypes replaces the allowlist of compressible media types. A
// pattern is a media type ("application/json", matched without parameters,
// case-insensitively), a type wildcard ("text/*") or a structured syntax
// suffix ("+json" matches application/problem+json). text/event-stream is
// never compressed.
func WithContentTypes(patterns ...string) Option {
	return func(c *config) { c.types = patterns }
}

// WithRequestDecompression turns on decompression of request bodies sent
// with Content-Encoding gzip, zstd or br, up to limit decompressed bytes:
// reading past it fails with a 413 error (a zip bomb never inflates beyond
// limit in memory). An unsupported or stacked coding answers 415 with an
// Accept-Encoding header listing the supported ones. Off by default: a
// server that decompresses takes on the cost of every client's bodies.
func WithRequestDecompression(limit int64) Option {
	return func(c *config) { c.decompress = true; c.decompLimit = limit }
}

func (c *config) validate() error {
	if len(c.encodings) == 0 {
		return fmt.Errorf("compress: no encoding enabled")
	}
	seen := map[string]bool{}
	for i, e := range c.encodings {
		e = strings.ToLower(strings.TrimSpace(e))
		c.encodings[i] = e
		switch e {
		case Gzip, Brotli, Zstd:
		default:
			return fmt.Errorf("compress: unknown encoding %q (want %q, %q or %q)", e, Brotli, Zstd, Gzip)
		}
		if seen[e] {
			return fmt.Errorf("compress: encoding %q listed twice", e)
		}
		seen[e] = true
	}
	if c.gzipLevel != gzip.DefaultCompression && (c.gzipLevel < gzip.BestSpeed || c.gzipLevel > gzip.BestCompression) {
		return fmt.Errorf("compress: gzip level %d out of range -1, 1..9", c.gzipLevel)
	}
	if c.brotliLevel < brotli.BestSpeed || c.brotliLevel > brotli.BestCompression {
		return fmt.Errorf("compress: brotli level %d out of range 0..11", c.brotliLevel)
	}
	if c.zstdLevel < int(zstd.SpeedFastest) || c.zstdLevel > int(zstd.SpeedBestCompression) {
		return fmt.Errorf("compress: zstd level %d out of range 1..4", c.zstdLevel)
	}
	if c.minSize < 0 {
		return fmt.Errorf("compress: negative minimum size %d", c.minSize)
	}
	if c.decompress && c.decompLimit <= 0 {
		return fmt.Errorf("compress: request decompression limit must be positive, got %d", c.decompLimit)
	}
	for _, p := range c.types {
		if p == "" || (!strings.HasPrefix(p, "+") && !strings.Contains(p, "/")) {
			return fmt.Errorf("compress: invalid content type pattern %q", p)
		}
	}
	return nil
}
