package middleware

import (
	"encoding/binary"
	"math/rand/v2"
	"net/http"
	"unsafe"

	covet "github.com/covetgo/covet/core"
)

// DefaultRequestIDHeader is the header RequestID reads and writes unless
// WithRequestIDHeader names another.
const DefaultRequestIDHeader = "X-Request-ID"

// maxRequestIDLen bounds an accepted incoming request ID.
const maxRequestIDLen = 128

// RequestIDOption configures RequestID.
type RequestIDOption func(*requestIDConfig)

type requestIDConfig struct {
	header         string
	generate       func() string
	acceptIncoming bool
}

// WithRequestIDHeader sets the header the ID is read from and echoed in
// (default X-Request-ID; for example "X-Correlation-ID").
func WithRequestIDHeader(name string) RequestIDOption {
	return func(c *requestIDConfig) {
		if name != "" {
			c.header = http.CanonicalHeaderKey(name)
		}
	}
}

// WithRequestIDGenerator replaces the generator of new IDs (default
// NewRequestID). It is called concurrently and must return unique, non-empty
// IDs that are valid header values.
func WithRequestIDGenerator(gen func() string) RequestIDOption {
	return func(c *requestIDConfig) {
		if gen != nil {
			c.generate = gen
		}
	}
}

// WithRequestIDFromClient sets whether an incoming ID is kept (default true:
// a proxy or the calling service usually sets it, and keeping it correlates
// logs across services). Turn it off when the app faces clients directly and
// must not let them choose the ID in its logs.
func WithRequestIDFromClient(accept bool) RequestIDOption {
	return func(c *requestIDConfig) { c.acceptIncoming = accept }
}

// RequestID gives every request an ID: the incoming X-Request-ID when it is
// sane (1 to 128 visible ASCII characters, none of them quotes, backslashes or
// angle brackets), else a new one from NewRequestID. The ID is echoed in the
// response header and set with c.SetRequestID, so it is on the Context
// (c.RequestID()), on the request's context.Context (covet.RequestIDFrom),
// on every record logged through c.Logger() or through the app's logger with
// the request's context, and in problem responses.
//
// Use it first, so the middleware after it (the access log) sees the ID.
func RequestID(opts ...RequestIDOption) covet.Middleware {
	// A nil generate is NewRequestID's format, from a slab with its header slice.
	cfg := requestIDConfig{header: http.CanonicalHeaderKey(DefaultRequestIDHeader), acceptIncoming: true}
	for _, o := range opts {
		o(&cfg)
	}
	header := cfg.header
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			var id string
			if cfg.acceptIncoming {
				if vs := c.Request().Header[header]; len(vs) > 0 && validRequestID(vs[0]) {
					id = vs[0]
				}
			}
			var hv []string
			switch {
			case id != "":
				hv = []string{id}
			case cfg.generate == nil:
				id, hv = newRequestIDValue()
			default:
				id = cfg.generate()
				hv = []string{id}
			}
			c.Response().Header()[header] = hv
			c.SetRequestID(id)
			return next(c)
		}
	}
}

// NewRequestID returns a new random request ID: 128 bits as 32 lowercase hex
// digits, the shape nginx's $request_id has. The bits come from math/rand/v2,
// whose generator (ChaCha8, seeded from the operating system per thread) is
// fast and collision-free in practice; a request ID is a correlation handle,
// not a secret, so crypto/rand's extra cost buys nothing here.
func NewRequestID() string {
	var out [32]byte
	fillRequestID(&out)
	return string(out[:])
}

// fillRequestID writes 128 random bits as 32 hex digits, eight at a time
// (hexDigits); about 60 instructions where hex.Encode of the 16 bytes took
// about 280.
func fillRequestID(out *[32]byte) {
	a, b := rand.Uint64(), rand.Uint64()
	binary.LittleEndian.PutUint64(out[0:], hexDigits(uint32(a)))
	binary.LittleEndian.PutUint64(out[8:], hexDigits(uint32(a>>32)))
	binary.LittleEndian.PutUint64(out[16:], hexDigits(uint32(b)))
	binary.LittleEndian.PutUint64(out[24:], hexDigits(uint32(b>>32)))
}

// hexDigits returns the eight lowercase hex digits of v, least significant
// nibble first, as the bytes of a little-endian uint64: each nibble is
// spread into a byte, then '0' is added, and 'a'-'0'-10 more where the
// nibble is 10 or more (adding 6 carries into bit 4 exactly then). The
// digits are reversed against fmt's %08x, which does not matter for random
// bits; TestHexDigits checks them against it.
func hexDigits(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f
	return x + 0x3030303030303030 + ((x+0x0606060606060606)>>4&0x0101010101010101)*('a'-'0'-10)
}

// requestIDValue is a generated ID and the header slice that carries it,
// in one allocation (the header value and the ID share the bytes, which
// are never written after fillRequestID).
type requestIDValue struct {
	hv  [1]string
	buf [32]byte
}

// requestIDSlabs hands out requestIDValues (see slab): the ID may be kept
// (in a log record, a job, a goroutine's context), so none is reused.
var requestIDSlabs slab[requestIDValue]

// newRequestIDValue returns a NewRequestID-style ID and a header value
// slice holding it, from a slab.
func newRequestIDValue() (string, []string) {
	v := requestIDSlabs.get()
	fillRequestID(&v.buf)
	v.hv[0] = unsafe.String(&v.buf[0], len(v.buf))
	return v.hv[0], v.hv[:1:1]
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b <= ' ' || b >= 0x7f:
			return false
		case b == '"' || b == '\'' || b == '`' || b == '\\' || b == '<' || b == '>':
			return false
		}
	}
	return true
}
