package compress

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Decision states of a response.
const (
	undecided uint8 = iota
	plain           // sent as the handler wrote it
	coded           // sent through an encoder
)

// responseWriter sits below the Context's covet.Response while the handler
// runs. It holds back the status and the first bytes (at most minSize) until
// it can decide whether to compress, then either writes through or encodes.
type responseWriter struct {
	w     http.ResponseWriter // the writer below
	e     *engine
	c     *coding // negotiated coding
	enc   encoder // when coded
	code  int     // status held back, 0 before WriteHeader
	state uint8
	// force: the client refused identity, so size and type do not matter.
	force bool
	// skip: the handler asked for no compression (Skip).
	skip bool
	// etagStripped: the request's If-None-Match named a tag with this
	// coding's suffix, which the handler saw without it.
	etagStripped bool
	// head: a HEAD request. It gets the headers GET would (RFC 9110 §9.3.2:
	// Content-Encoding, Vary, the suffixed ETag), decided from the
	// headers alone since core drops a HEAD body before it gets here, and
	// no encoder runs.
	head bool
	buf  []byte
}

var writerPool = sync.Pool{New: func() any { return &responseWriter{buf: make([]byte, 0, DefaultMinSize)} }}

// Header returns the headers of the writer below.
func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

// Unwrap returns the writer below, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }

// WriteHeader holds the status back until the first bytes decide the
// coding; informational statuses (103, and 101 before a hijack) and
// statuses without a compressible body pass at once.
func (rw *responseWriter) WriteHeader(code int) {
	if rw.state != undecided || rw.code != 0 {
		if rw.state == undecided {
			return // a second final status
		}
		rw.w.WriteHeader(code)
		return
	}
	if code < 200 {
		if code == http.StatusSwitchingProtocols {
			rw.state = plain
			addVary(rw.w.Header())
		}
		rw.w.WriteHeader(code)
		return
	}
	rw.code = code
	switch code {
	case http.StatusNoContent, http.StatusNotModified, http.StatusPartialContent:
		if code == http.StatusNotModified && rw.etagStripped {
			// The 304 confirms the coded representation the client has.
			suffixETag(rw.w.Header(), rw.c.suffix)
		}
		rw.sendPlain()
		return
	}
	// A known length decides at once.
	if cl := rw.w.Header()["Content-Length"]; len(cl) == 1 {
		if n, err := strconv.ParseInt(cl[0], 10, 64); err == nil && n < int64(rw.e.minSize) && !rw.force {
			rw.sendPlain()
			return
		}
	}
	if rw.head {
		// No body will come: decide as GET would for this length (core's
		// writers set Content-Length on HEAD), or, without one, as for a
		// body of unknown size (a stream).
		_ = rw.decide(nil, true)
	}
}

// Write holds back the first bytes until minSize, then decides.
func (rw *responseWriter) Write(b []byte) (int, error) {
	switch rw.state {
	case coded:
		if rw.enc == nil { // HEAD: no body is sent
			return len(b), nil
		}
		return rw.enc.Write(b)
	case plain:
		return rw.w.Write(b)
	}
	if rw.code == 0 {
		rw.WriteHeader(http.StatusOK)
		if rw.state != undecided {
			return rw.Write(b)
		}
	}
	min := rw.e.minSize
	if rw.force {
		min = 0
	}
	if len(rw.buf)+len(b) < min && !rw.knownLarge() {
		rw.buf = append(rw.buf, b...)
		return len(b), nil
	}
	sample := b
	if len(rw.buf) > 0 {
		sample = rw.buf
	}
	if err := rw.decide(sample, true); err != nil {
		return 0, err
	}
	return rw.Write(b)
}

// WriteString writes s without copying it to a new slice: the writers below
// (net/http's buffer, the encoders) copy what they are given and never
// modify it.
func (rw *responseWriter) WriteString(s string) (int, error) {
	return rw.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// ReadFrom copies src, letting the writer below use sendfile(2) when the
// response is sent as is.
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if rw.state == plain {
		if rf, ok := rw.w.(io.ReaderFrom); ok {
			return rf.ReadFrom(src)
		}
	}
	bp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bp)
	return io.CopyBuffer(writerOnly{rw}, src, *bp)
}

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// writerOnly hides ReadFrom so io.CopyBuffer does not loop back.
type writerOnly struct{ w io.Writer }

func (o writerOnly) Write(b []byte) (int, error) { return o.w.Write(b) }

// knownLarge reports a Content-Length of at least minSize.
func (rw *responseWriter) knownLarge() bool {
	cl := rw.w.Header()["Content-Length"]
	if len(cl) != 1 {
		return false
	}
	n, err := strconv.ParseInt(cl[0], 10, 64)
	return err == nil && n >= int64(rw.e.minSize)
}

// decide chooses between coding and sending as is, from the headers and a
// sample of the body (for sniffing a missing Content-Type), and sends the
// status line and what was held back. large says the body is known to reach
// the minimum size (or the size does not matter: a flush).
func (rw *responseWriter) decide(sample []byte, large bool) error {
	if (large || rw.force) && rw.compressible(sample) {
		return rw.sendCoded()
	}
	return rw.sendPlain()
}

// compressible checks everything but the size.
func (rw *responseWriter) compressible(sample []byte) bool {
	if rw.skip {
		return false
	}
	h := rw.w.Header()
	if ce := h["Content-Encoding"]; len(ce) > 0 && !(len(ce) == 1 && (ce[0] == "" || strings.EqualFold(ce[0], "identity"))) {
		return false // never twice
	}
	if len(h["Content-Range"]) > 0 {
		return false
	}
	for _, v := range h["Cache-Control"] {
		if containsToken(v, "no-transform") {
			return false
		}
	}
	ctv, set := h["Content-Type"]
	var ct string
	if len(ctv) > 0 {
		ct = ctv[0]
	}
	if ct == "" {
		if set || len(sample) == 0 {
			return false // no type to check (or explicitly none)
		}
		// net/http would sniff the (coded) body: sniff the plain one.
		ct = http.DetectContentType(sample)
		h["Content-Type"] = []string{ct}
	}
	mt := mediaType(ct)
	if isEventStream(mt) {
		return false
	}
	return rw.force || rw.e.types.match(mt)
}

// sendPlain sends the held-back status and bytes as they are.
func (rw *responseWriter) sendPlain() error {
	rw.state = plain
	addVary(rw.w.Header())
	if rw.code != 0 {
		rw.w.WriteHeader(rw.code)
	}
	if len(rw.buf) == 0 {
		return nil
	}
	_, err := rw.w.Write(rw.buf)
	rw.buf = rw.buf[:0]
	return err
}

// sendCoded switches to the encoder: coding headers, status, held-back bytes.
func (rw *responseWriter) sendCoded() error {
	rw.state = coded
	h := rw.w.Header()
	h["Content-Encoding"] = rw.c.value
	delete(h, "Content-Length")
	delete(h, "Accept-Ranges") // ranges of the coded body are not offered
	suffixETag(h, rw.c.suffix)
	addVary(h)
	if rw.code == 0 {
		rw.code = http.StatusOK
	}
	rw.w.WriteHeader(rw.code)
	if rw.head {
		rw.buf = rw.buf[:0]
		return nil
	}
	rw.enc = rw.c.get(rw.w)
	if len(rw.buf) == 0 {
		return nil
	}
	_, err := rw.enc.Write(rw.buf)
	rw.buf = rw.buf[:0]
	return err
}

// Flush decides at once if undecided (a streaming handler: its size is
// unknown, so only headers and type count), then flushes the encoder and
// the writer below.
func (rw *responseWriter) Flush() { _ = rw.FlushError() }

// FlushError is Flush returning the error, for http.ResponseController.
func (rw *responseWriter) FlushError() error {
	if rw.state == undecided {
		if rw.code == 0 {
			rw.code = http.StatusOK
		}
		known := rw.w.Header()["Content-Length"]
		large := len(known) == 0 || rw.knownLarge()
		if err := rw.decide(rw.buf, large); err != nil {
			return err
		}
	}
	if rw.state == coded && rw.enc != nil {
		if err := rw.enc.Flush(); err != nil {
			return err
		}
	}
	return flushWriter(rw.w)
}

// flushWriter flushes w, unwrapping it as http.ResponseController does,
// without allocating one.
func flushWriter(w http.ResponseWriter) error {
	for {
		switch f := w.(type) {
		case interface{ FlushError() error }:
			return f.FlushError()
		case http.Flusher:
			f.Flush()
			return nil
		case interface{ Unwrap() http.ResponseWriter }:
			w = f.Unwrap()
		default:
			return http.ErrNotSupported
		}
	}
}

// Hijack hands the connection over (WebSockets): nothing more is coded.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(rw.w).Hijack()
	if err == nil {
		rw.state = plain
		rw.buf = rw.buf[:0]
	}
	return conn, brw, err
}

// finish ends the response after the handler: decides what is still
// undecided (a body that ended under minSize is sent as is) and closes the
// encoder, completing the coded stream.
func (rw *responseWriter) finish() error {
	switch rw.state {
	case undecided:
		if rw.code == 0 && len(rw.buf) == 0 {
			// Nothing written: net/http (or the error handler) answers.
			addVary(rw.w.Header())
			return nil
		}
		return rw.decide(rw.buf, false)
	case coded:
		if rw.enc == nil { // HEAD
			return nil
		}
		err := rw.enc.Close()
		rw.c.put(rw.enc)
		rw.enc = nil
		return err
	}
	return nil
}

// addVary adds Accept-Encoding to Vary unless it is there (or Vary is *).
func addVary(h http.Header) {
	vary := h["Vary"]
	if len(vary) == 0 {
		h["Vary"] = varyValue
		return
	}
	for _, v := range vary {
		if containsToken(v, "Accept-Encoding") || containsToken(v, "*") {
			return
		}
	}
	h["Vary"] = append(vary[:len(vary):len(vary)], "Accept-Encoding")
}

var varyValue = []string{"Accept-Encoding"}

// containsToken reports whether a comma-separated field value lists token
// (case-insensitively).
func containsToken(v, token string) bool {
	for v != "" {
		var item string
		if i := strings.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, ""
		}
		if strings.EqualFold(trimOWS(item), token) {
			return true
		}
	}
	return false
}

// suffixETag marks a strong ETag as the coded representation's:
// "abc" becomes "abc-br". Weak tags stay: a weak validator already allows
// semantically equivalent representations.
func suffixETag(h http.Header, suffix string) {
	et := h["Etag"]
	if len(et) != 1 {
		return
	}
	t := et[0]
	if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' || strings.HasSuffix(t, suffix+`"`) {
		return
	}
	h["Etag"] = []string{t[:len(t)-1] + suffix + `"`}
}

// stripETags removes suffix from the strong entity tags of an If-None-Match
// field value, so the handler compares them with its own tag. It reports
// whether it changed anything.
func stripETags(v, suffix string) (string, bool) {
	want := suffix + `"`
	if !strings.Contains(v, want) {
		return v, false
	}
	var b strings.Builder
	changed := false
	for v != "" {
		var item string
		if i := strings.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, ""
		}
		t := trimOWS(item)
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		if strings.HasPrefix(t, `"`) && strings.HasSuffix(t, want) && len(t) > len(want) {
			b.WriteString(t[:len(t)-len(want)] + `"`)
			changed = true
			continue
		}
		b.WriteString(t)
	}
	return b.String(), changed
}
