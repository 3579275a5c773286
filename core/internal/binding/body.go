package binding

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// DefaultBodyLimit is the default limit of request bodies read by Bind and
// typed handlers (multipart uploads have their own limits).
const DefaultBodyLimit = 4 << 20

// Body buffers come from pools by size class (4 KiB, 8 KiB, … 4 MiB) and
// grow a class at a time as bytes arrive: memory follows the data received,
// never the Content-Length a client promises (16 connections that each send
// one byte of a declared 4 MiB body hold 16 × 4 KiB, not 64 MiB).
const (
	bodyMinShift = 12 // the smallest class: 4 KiB
	bodyClasses  = 11 // up to 4 MiB; larger buffers are not pooled
)

var bodyPools [bodyClasses]sync.Pool

// bodyClass returns the class of a buffer of capacity n, or -1 when n is
// not a class size.
func bodyClass(n int) int {
	for i := range bodyClasses {
		if n == 1<<(bodyMinShift+i) {
			return i
		}
	}
	return -1
}

func getBody(class int) *[]byte {
	if bp, ok := bodyPools[class].Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 0, 1<<(bodyMinShift+class))
	return &b
}

// growBody moves the content of *bp into a buffer of the next class (or a
// larger unpooled one past the largest class), returns the old buffer to its
// pool and returns the new one.
func growBody(bp *[]byte) *[]byte {
	b := *bp
	class := bodyClass(cap(b))
	var np *[]byte
	if class >= 0 && class+1 < bodyClasses {
		np = getBody(class + 1)
	} else {
		nb := make([]byte, 0, 2*cap(b))
		np = &nb
	}
	*np = append((*np)[:0], b...)
	PutBody(bp)
	return np
}

// ReadBody reads the whole body into a pooled buffer, answering 413 before
// reading when Content-Length is over the limit, and as soon as the limit
// is passed otherwise. Release the buffer with putBody.
func ReadBody(r *http.Request, limit int64) (*[]byte, error) {
	if e := ContentCoding(r); e != nil {
		return nil, e
	}
	if r.ContentLength > limit {
		return nil, BodyTooLarge(limit)
	}
	bp := getBody(0)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			if int64(len(b)) > limit {
				break
			}
			if int64(len(b)) == r.ContentLength {
				// All the promised bytes are here: look for the end
				// without growing the buffer.
				var one [1]byte
				n, err := r.Body.Read(one[:])
				if n == 0 && err == io.EOF {
					break
				}
				*bp = b
				bp = growBody(bp)
				b = append(*bp, one[:n]...)
				if err != nil && err != io.EOF {
					return nil, readBodyError(bp, err)
				}
				continue
			}
			*bp = b
			bp = growBody(bp)
			b = *bp
		}
		n, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			PutBody(bp)
			return nil, BodyTooLarge(limit)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readBodyError(bp, err)
		}
	}
	*bp = b
	return bp, nil
}

// ContentCoding refuses a body sent with a Content-Encoding other than
// identity: 415 with Accept-Encoding: identity (RFC 9110 §15.5.16). Core
// does not decode request codings; left on, the coding's bytes were parsed
// as JSON or form data (a gzip body was "malformed JSON", a body that only
// claimed to be br was bound). Request decompression (plugins/compress)
// decodes the body and removes the header before binding runs.
func ContentCoding(r *http.Request) *Error {
	ce, ok := r.Header["Content-Encoding"]
	if !ok {
		return nil
	}
	for _, v := range ce {
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "identity") {
				e := newError(http.StatusUnsupportedMediaType, "request Content-Encoding "+strconv.Quote(strings.Join(ce, ", "))+" is not supported; send the body without a coding")
				e.Header, e.HeaderValue = "Accept-Encoding", "identity"
				return e
			}
		}
	}
	return nil
}

// readBodyError releases the buffer and turns a read error into a 413 or a 400.
func readBodyError(bp *[]byte, err error) error {
	PutBody(bp)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return BodyTooLarge(mbe.Limit)
	}
	e := newError(http.StatusBadRequest, "covet: reading the request body: "+err.Error())
	e.Cause = err
	return e
}

// PutBody returns a body buffer to the pool of its class.
func PutBody(bp *[]byte) {
	class := bodyClass(cap(*bp))
	if class < 0 {
		return // not a class size: leave it to the collector
	}
	*bp = (*bp)[:0]
	bodyPools[class].Put(bp)
}

// BodyTooLarge is the 413 for a body over limit bytes.
func BodyTooLarge(limit int64) *Error {
	return newError(http.StatusRequestEntityTooLarge, "request body is larger than the limit of "+strconv.FormatInt(limit, 10)+" bytes")
}

// MediaType returns the request's media type, lower-cased, without parameters.
func MediaType(r *http.Request) string {
	// The key is already canonical: indexing the map is Header.Get without
	// canonicalizing the key again on every request.
	v := r.Header["Content-Type"]
	if len(v) == 0 || v[0] == "" {
		return ""
	}
	ct := v[0]
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	for i := 0; i < len(ct); i++ {
		if c := ct[i]; c >= 'A' && c <= 'Z' {
			mt, _, err := mime.ParseMediaType(v[0])
			if err != nil {
				return ct
			}
			return mt
		}
	}
	return ct
}

// IsJSONMedia reports whether mt is application/json or a +json type.
func IsJSONMedia(mt string) bool {
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// UnsupportedMedia is the 415 for a body of media type got, naming the
// types wanted in Accept-Post.
func UnsupportedMedia(got string, want ...string) *Error {
	if got == "" {
		got = "none"
	}
	e := newError(http.StatusUnsupportedMediaType, "Content-Type "+got+" is not supported; send "+strings.Join(want, " or "))
	e.Header, e.HeaderValue = "Accept-Post", strings.Join(want, ", ")
	return e
}
