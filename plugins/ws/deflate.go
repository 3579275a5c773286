package ws

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

// permessage-deflate (RFC 7692), opt-in with WithCompression. Both
// directions use no context takeover (nbio's negotiation answers
// server_no_context_takeover; client_no_context_takeover), so no
// compressor or window is kept per connection: an idle connection costs
// the same as without compression, and a broadcast is compressed once for
// all its receivers. Compression is klauspost/compress's flate, from pools.

// deflateTail is what a sync flush ends with; RFC 7692 §7.2.1 drops it
// from the message and the receiver adds it back.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff}

var flateWriters [flate.BestCompression + 3]sync.Pool // by level+2 (HuffmanOnly = -2)

var flateReaders = sync.Pool{New: func() any { return flate.NewReader(nil) }}

// deflatePayload compresses one message; ok is false when compressing does
// not make it smaller (it is then sent as is, without RSV1).
func deflatePayload(data []byte, level int) ([]byte, bool) {
	var buf bytes.Buffer
	buf.Grow(len(data)/2 + 16)
	p := &flateWriters[level+2]
	fw, _ := p.Get().(*flate.Writer)
	if fw == nil {
		var err error
		if fw, err = flate.NewWriter(&buf, level); err != nil {
			return nil, false
		}
	} else {
		fw.Reset(&buf)
	}
	_, err := fw.Write(data)
	if err == nil {
		err = fw.Flush()
	}
	p.Put(fw)
	out := buf.Bytes()
	if err != nil || !bytes.HasSuffix(out, deflateTail) {
		return nil, false
	}
	out = out[:len(out)-len(deflateTail)]
	if len(out) >= len(data) {
		return nil, false
	}
	return out, true
}

// inflater is nbio's decompressor hook with klauspost's flate reader.
// nbio reads the result through its own read-limited loop, so a message
// that inflates past WithReadLimit is refused (1009), not buffered.
func inflater(_ *websocket.Conn, r io.Reader) io.ReadCloser {
	fr := flateReaders.Get().(io.ReadCloser)
	_ = fr.(flate.Resetter).Reset(r, nil)
	return &pooledReader{fr: fr}
}

type pooledReader struct{ fr io.ReadCloser }

func (r *pooledReader) Read(p []byte) (int, error) {
	if r.fr == nil {
		return 0, io.EOF
	}
	return r.fr.Read(p)
}

func (r *pooledReader) Close() error {
	if r.fr == nil {
		return nil
	}
	err := r.fr.Close()
	flateReaders.Put(r.fr)
	r.fr = nil
	return err
}

// acceptableDeflate reports whether one of the client's permessage-deflate
// offers can be answered the way nbio answers (no context takeover, a
// 32 KiB window): an offer that asks the server for a smaller window
// (server_max_window_bits < 15) cannot, since nbio does not echo the
// parameter and klauspost's writer uses the full window.
func acceptableDeflate(values []string) bool {
	for _, v := range values {
		for _, ext := range strings.Split(v, ",") {
			params := strings.Split(ext, ";")
			if !strings.EqualFold(strings.TrimSpace(params[0]), "permessage-deflate") {
				continue
			}
			ok := true
			for _, p := range params[1:] {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "server_max_window_bits") &&
					strings.Trim(strings.TrimSpace(val), `"`) != "15" {
					ok = false
				}
			}
			if ok {
				return true
			}
		}
	}
	return false
}

// frameFor builds the frame of one message for c: compressed (RSV1) when
// the connection negotiated deflate and the message is at least the
// threshold, else plain.
func (c *Conn) frameFor(op byte, data []byte) []byte {
	if c.deflate {
		cfg := &c.route.cfg
		if len(data) >= cfg.compressMin {
			if z, ok := deflatePayload(data, cfg.compressLevel); ok {
				f := appendFrame(make([]byte, 0, len(z)+10), op, z)
				f[0] |= 0x40 // RSV1: compressed
				return f
			}
		}
	}
	return appendFrame(make([]byte, 0, len(data)+10), op, data)
}
