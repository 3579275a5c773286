package middleware

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	covet "github.com/covetgo/covet/core"
)

// BodyLimit refuses request bodies larger than n bytes with 413 Content Too
// Large, without reading them:
//
//   - a request whose Content-Length is over n is answered at once, before
//     the handler runs;
//   - any other body (chunked, or of unknown length) is wrapped, and reading
//     past n bytes fails with a *covet.Error of status 413 that wraps
//     *http.MaxBytesError. A handler that returns the read error (as it
//     would any decoding error) answers 413, not 500; errors.As with
//     *http.MaxBytesError tells the case apart. net/http then closes the
//     connection instead of reading the rest of the body.
//
// Use it as app or group middleware for a default, and as route middleware
// for a route's own limit. Limits nest: the smallest one applies, so a route
// that needs more than the default (uploads) must live outside the scope of
// the default's middleware (in another group). A negative n panics.
func BodyLimit(n int64) covet.Middleware {
	if n < 0 {
		panic("middleware: BodyLimit: negative limit " + strconv.FormatInt(n, 10))
	}
	detail := "the request body is larger than the limit of " + strconv.FormatInt(n, 10) + " bytes"
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			r := c.Request()
			if r.ContentLength > n {
				return tooLarge(detail, n)
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = &limitedBody{
					rc:     http.MaxBytesReader(innermost(c.Response()), r.Body, n),
					detail: detail,
				}
			}
			return next(c)
		}
	}
}

func tooLarge(detail string, n int64) error {
	return covet.NewError(http.StatusRequestEntityTooLarge, detail).WithCause(&http.MaxBytesError{Limit: n})
}

// limitedBody turns http.MaxBytesReader's error into a 413 covet.Error.
type limitedBody struct {
	rc     io.ReadCloser
	detail string
	err    error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			b.err = covet.NewError(http.StatusRequestEntityTooLarge, b.detail).WithCause(mbe)
			err = b.err
		}
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// innermost returns the writer at the bottom of a chain of wrappers: the one
// net/http gave, which http.MaxBytesReader tells to close the connection
// when the limit is hit.
func innermost(w http.ResponseWriter) http.ResponseWriter {
	for range 32 {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	return w
}
