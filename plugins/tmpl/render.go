package tmpl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	covet "github.com/covetgo/covet/core"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuf is the largest buffer kept for reuse; a huge page's buffer
// is left to the garbage collector.
const maxPooledBuf = 1 << 20

var (
	htmlContentType = []string{"text/html; charset=utf-8"}
)

// Of returns the engine installed on the request's app, or nil.
func Of(c *covet.Context) *Engine {
	e, _ := c.App().Plugin("tmpl").(*Engine)
	return e
}

var errNotInstalled = errors.New("tmpl: no template engine is installed on the app (app.Install(tmpl.New(fsys)))")

// Render renders the page name ("tasks/index") with data and writes it with
// status. The page is rendered into a pooled buffer first: an error (a
// missing template, a missing field, a failing function) is returned
// before anything is sent, so the client gets a whole page or a 500,
// never half a page; the error names the template, file and line.
func Render(c *covet.Context, status int, name string, data any) error {
	e := Of(c)
	if e == nil {
		return errNotInstalled
	}
	return e.Render(c, status, name, data)
}

// RenderBlock renders only the block (a {{define}}d or {{block}} template,
// or a partial) named block of the page name: a fragment for htmx.
func RenderBlock(c *covet.Context, status int, name, block string, data any) error {
	e := Of(c)
	if e == nil {
		return errNotInstalled
	}
	return e.RenderBlock(c, status, name, block, data)
}

// Render renders a page; see the package function Render.
func (e *Engine) Render(c *covet.Context, status int, name string, data any) error {
	return e.render(c, status, name, "", data)
}

// RenderBlock renders one block of a page; see the package function
// RenderBlock.
func (e *Engine) RenderBlock(c *covet.Context, status int, name, block string, data any) error {
	if block == "" {
		return fmt.Errorf("tmpl: RenderBlock %q: no block name", name)
	}
	return e.render(c, status, name, block, data)
}

// Execute renders a page (or, when block is not "", one of its blocks) to w
// without a request: the per-request functions answer as outside one
// (no CSRF token, the default language). For e-mails and tests.
func (e *Engine) Execute(w io.Writer, name, block string, data any) error {
	buf, err := e.execute(nil, name, block, data)
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	putBuf(buf)
	return err
}

func putBuf(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuf {
		return
	}
	b.Reset()
	bufPool.Put(b)
}

func (e *Engine) execute(c *covet.Context, name, block string, data any) (*bytes.Buffer, error) {
	s, err := e.current()
	if err != nil {
		return nil, err
	}
	p := s.pages[name]
	if p == nil {
		return nil, fmt.Errorf("tmpl: no page %q", name)
	}
	target := p.root
	if block != "" {
		target = block
	}
	buf := bufPool.Get().(*bytes.Buffer)
	// The compiled program renders without a slot: it calls no
	// per-request function. When it gives up, buf is as it was.
	if prog := p.program(target); prog != nil && prog.execute(buf, data) {
		return buf, nil
	}
	sl, err := p.get()
	if err != nil {
		putBuf(buf)
		return nil, err
	}
	if block != "" {
		if sl.t.Lookup(block) == nil {
			p.put(sl)
			putBuf(buf)
			return nil, fmt.Errorf("tmpl: page %q (%s) has no block %q", name, p.file, block)
		}
	}
	sl.req.c = c
	err = sl.t.ExecuteTemplate(buf, target, data)
	if err == nil {
		p.compile(sl, target) // escaped now
	}
	p.put(sl)
	if err != nil {
		putBuf(buf)
		return nil, fmt.Errorf("tmpl: rendering %q: %w", name, templateError(err, p.files))
	}
	return buf, nil
}

func (e *Engine) render(c *covet.Context, status int, name, block string, data any) error {
	buf, err := e.execute(c, name, block, data)
	if err != nil {
		return err
	}
	defer putBuf(buf)
	return writeHTML(c, status, buf.Bytes())
}

// smallBody is net/http's buffer before it switches to chunked encoding: a
// body up to this size written in one go gets its Content-Length from
// net/http itself (core's Blob does the same).
const smallBody = 2048

func writeHTML(c *covet.Context, status int, b []byte) error {
	res := c.Response()
	h := res.Header()
	h["Content-Type"] = htmlContentType // shared, never mutated
	head := c.Request().Method == http.MethodHead
	// A page is whole in the buffer: its length is known, so a large one is
	// sent with Content-Length instead of chunked encoding, and a HEAD
	// answer tells the length of the page a GET gets.
	if len(b) > smallBody || head {
		h["Content-Length"] = []string{strconv.Itoa(len(b))}
	}
	res.WriteHeader(status)
	if head {
		return nil
	}
	_, err := res.Write(b)
	return err
}
