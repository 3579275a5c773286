// Package lazyconn keeps a server's read and write timeouts exact while
// re-arming the socket's timers rarely: covet's Serve wraps its listener
// with Wrap. It does not import covet.
package lazyconn

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Lazy deadlines: the server's protections without re-arming a timer per
// request.
//
// net/http enforces ReadHeaderTimeout, ReadTimeout, WriteTimeout and
// IdleTimeout by setting the connection's read and write deadlines several
// times per request (header, whole request, write, idle). Each call re-arms
// the runtime's poller timer under locks: on a keep-alive connection that
// is about 4,000 instructions per request more than a server without
// timeouts pays. lazyConn sits between net/http and the TCP connection and
// keeps net/http's semantics exactly while touching the timer rarely:
//
//   - a deadline asked for (want) is only recorded when it is no earlier
//     than the one the socket has (armed); only an earlier one is applied
//     at once (a handler's short deadline, net/http's "abort now");
//   - the socket's deadline is never more than step (the shortest server
//     timeout) ahead of the time it was armed, so every later net/http
//     deadline, "now + a timeout ≥ step", is no earlier than it;
//   - when the socket's deadline fires before the one asked for, the
//     blocked Read or Write does not fail: the deadline is moved on (again at
//     most step ahead) and the call resumes. When the deadline asked for has
//     passed, the call fails as it would without lazyConn.
//
// So a slow client is cut at exactly the configured time, and a busy
// keep-alive connection re-arms its timer about once per step instead of
// four times per request.
type lazyConn struct {
	net.Conn
	step time.Duration
	mu   sync.Mutex
	r, w lazyDeadline
}

// lazyDeadline is one direction's deadline. Zero times mean none.
type lazyDeadline struct {
	want  time.Time // the deadline asked for
	armed time.Time // the deadline the socket has; never after want
}

// lazyListener wraps the plain TCP connections it accepts in lazyConn.
// Connections that are already TLS (a tls.Listener given to Serve) are left
// as they are: net/http needs the *tls.Conn.
type lazyListener struct {
	net.Listener
	step time.Duration
}

func (l lazyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	if _, ok := c.(*tls.Conn); ok {
		return c, nil
	}
	return &lazyConn{Conn: c, step: l.step}, nil
}

// Wrap wraps ln for the server's timeouts (ReadHeaderTimeout,
// ReadTimeout, WriteTimeout, IdleTimeout), unless none is set. The shortest
// positive one is the farthest ahead a lazyConn arms a deadline.
func Wrap(ln net.Listener, timeouts ...time.Duration) net.Listener {
	var step time.Duration
	for _, d := range timeouts {
		if d > 0 && (step == 0 || d < step) {
			step = d
		}
	}
	if step > 0 {
		return lazyListener{Listener: ln, step: step}
	}
	return ln
}

// Detach returns the socket under conn after a hijack when conn is the
// lazy wrapper (with no deadline left armed: event loops such as nbio's
// need the *net.TCPConn and its fd), and conn itself otherwise.
func Detach(conn net.Conn) net.Conn {
	if lc, ok := conn.(*lazyConn); ok {
		return lc.detach()
	}
	return conn
}

func (c *lazyConn) Read(b []byte) (int, error) {
	for {
		n, err := c.Conn.Read(b)
		if err == nil || n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) || !c.rearm(&c.r, c.Conn.SetReadDeadline) {
			return n, err
		}
	}
}

func (c *lazyConn) Write(b []byte) (int, error) {
	var total int
	for {
		n, err := c.Conn.Write(b)
		total += n
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || !c.rearm(&c.w, c.Conn.SetWriteDeadline) {
			return total, err
		}
		b = b[n:]
	}
}

// ReadFrom lets net/http use sendfile/splice for files. The copy cannot
// resume after a timeout (a generic copy may have read bytes it did not
// write), so the write deadline is armed exactly first.
func (c *lazyConn) ReadFrom(r io.Reader) (int64, error) {
	c.mu.Lock()
	if !c.w.armed.Equal(c.w.want) {
		c.w.armed = c.w.want
		_ = c.Conn.SetWriteDeadline(c.w.want)
	}
	c.mu.Unlock()
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// CloseWrite half-closes the connection when it can (net/http's
// closeWriteAndWait).
func (c *lazyConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// NetConn returns the wrapped connection.
func (c *lazyConn) NetConn() net.Conn { return c.Conn }

// detach ends the wrapper's part after a hijack: it forgets the deadlines,
// clears the socket's own, and returns the socket for the hijacker to use
// directly.
func (c *lazyConn) detach() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.r, c.w = lazyDeadline{}, lazyDeadline{}
	_ = c.Conn.SetDeadline(time.Time{})
	return c.Conn
}

func (c *lazyConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *lazyConn) SetReadDeadline(t time.Time) error {
	return c.set(&c.r, t, c.Conn.SetReadDeadline)
}

func (c *lazyConn) SetWriteDeadline(t time.Time) error {
	return c.set(&c.w, t, c.Conn.SetWriteDeadline)
}

// set records t as d's deadline and applies it to the socket only when it
// is earlier than what the socket has (or the socket has none). A zero t
// (no deadline) leaves the socket's deadline to fire: rearm then clears it.
func (c *lazyConn) set(d *lazyDeadline, t time.Time, apply func(time.Time) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d.want = t
	if t.IsZero() || (!d.armed.IsZero() && !t.Before(d.armed)) {
		return nil
	}
	a := t
	if lim := time.Now().Add(c.step); lim.Before(a) {
		a = lim
	}
	d.armed = a
	return apply(a)
}

// rearm runs when the socket's deadline fired: it reports whether the
// deadline asked for is still ahead (or none), after moving the socket's
// deadline towards it, so the Read or Write resumes; false means the
// deadline asked for has passed and the call fails.
func (c *lazyConn) rearm(d *lazyDeadline, apply func(time.Time) error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.want.IsZero() {
		d.armed = time.Time{}
		return apply(time.Time{}) == nil
	}
	now := time.Now()
	if !d.want.After(now) {
		return false
	}
	a := d.want
	if lim := now.Add(c.step); lim.Before(a) {
		a = lim
	}
	d.armed = a
	return apply(a) == nil
}
