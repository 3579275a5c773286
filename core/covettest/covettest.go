// Package covettest drives a Covet app (or any http.Handler) from tests,
// like FastAPI's TestClient: in-process by default, or over a real loopback
// listener; with a cookie jar, typed request builders (JSON, form, multipart)
// and fluent assertions that report through testing.TB.
//
//	client := covettest.New(t, app)
//	client.Post("/tasks").JSON(map[string]any{"title": "x"}).Do().
//		ExpectStatus(201).ExpectHeader("Content-Type", "application/json")
package covettest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"path"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
)

// Client sends requests to a handler and keeps cookies between them.
type Client struct {
	t       testing.TB
	h       http.Handler
	base    *url.URL
	jar     *cookiejar.Jar
	headers http.Header
	http    *http.Client
}

// New returns a client that calls h.ServeHTTP in-process (no network).
// Requests carry Host example.com and RemoteAddr 192.0.2.1:1234.
func New(t testing.TB, h http.Handler) *Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse("http://example.com")
	return &Client{t: t, h: h, base: base, jar: jar, headers: http.Header{}}
}

// NewServer starts h on a real loopback listener (closed when the test ends)
// and returns a client that talks to it over TCP.
func NewServer(t testing.TB, h http.Handler) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return NewRemote(t, srv.URL)
}

// NewRemote returns a client for a server already listening at baseURL.
func NewRemote(t testing.TB, baseURL string) *Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	base, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("covettest: bad base URL %q: %v", baseURL, err)
	}
	hc := &http.Client{Jar: nil, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Client{t: t, base: base, jar: jar, headers: http.Header{}, http: hc}
}

// URL returns the client's base URL.
func (c *Client) URL() string { return c.base.String() }

// SetHeader sets a header sent with every request of the client.
func (c *Client) SetHeader(name, value string) *Client {
	c.headers.Set(name, value)
	return c
}

// Cookies returns the cookies the jar would send to path.
func (c *Client) Cookies(path string) []*http.Cookie {
	return c.jar.Cookies(c.base.ResolveReference(&url.URL{Path: path}))
}

// SetCookie puts a cookie in the jar.
func (c *Client) SetCookie(ck *http.Cookie) {
	c.jar.SetCookies(c.base, []*http.Cookie{ck})
}

// Get starts a GET request.
func (c *Client) Get(path string) *Request { return c.Request(http.MethodGet, path) }

// Head starts a HEAD request.
func (c *Client) Head(path string) *Request { return c.Request(http.MethodHead, path) }

// Post starts a POST request.
func (c *Client) Post(path string) *Request { return c.Request(http.MethodPost, path) }

// Put starts a PUT request.
func (c *Client) Put(path string) *Request { return c.Request(http.MethodPut, path) }

// Patch starts a PATCH request.
func (c *Client) Patch(path string) *Request { return c.Request(http.MethodPatch, path) }

// Delete starts a DELETE request.
func (c *Client) Delete(path string) *Request { return c.Request(http.MethodDelete, path) }

// Options starts an OPTIONS request.
func (c *Client) Options(path string) *Request { return c.Request(http.MethodOptions, path) }

// Request starts a request with any method. path may hold a query string; it
// is sent as written (not cleaned), so tests can send odd paths.
func (c *Client) Request(method, path string) *Request {
	return &Request{c: c, method: method, path: path, header: http.Header{}, query: url.Values{}}
}

// Request is a request being built. Its methods return it for chaining; Do sends it.
type Request struct {
	c       *Client
	method  string
	path    string
	header  http.Header
	query   url.Values
	body    io.Reader
	err     error
	ctx     context.Context
	cookies []*http.Cookie
	mp      *multipartBody
	host    string
	remote  string
}

// Header sets a request header.
func (r *Request) Header(name, value string) *Request { r.header.Set(name, value); return r }

// AddHeader adds a value to a request header.
func (r *Request) AddHeader(name, value string) *Request { r.header.Add(name, value); return r }

// Query adds a query parameter.
func (r *Request) Query(name, value string) *Request { r.query.Add(name, value); return r }

// Cookie sends a cookie with this request (besides the jar's).
func (r *Request) Cookie(name, value string) *Request {
	r.cookies = append(r.cookies, &http.Cookie{Name: name, Value: value}) // #nosec G124 -- a cookie the test client sends with a request, not one a server sets: Secure, HttpOnly and SameSite do not apply
	return r
}

// Host sets the request's Host.
func (r *Request) Host(host string) *Request { r.host = host; return r }

// RemoteAddr sets the in-process request's peer address ("203.0.113.5:4000").
func (r *Request) RemoteAddr(addr string) *Request { r.remote = addr; return r }

// Context sets the request's context.
func (r *Request) Context(ctx context.Context) *Request { r.ctx = ctx; return r }

// JSON sends v encoded as JSON with Content-Type application/json.
func (r *Request) JSON(v any) *Request {
	b, err := json.Marshal(v)
	if err != nil {
		r.err = err
	}
	r.body = bytes.NewReader(b)
	r.header.Set("Content-Type", "application/json")
	return r
}

// RawJSON sends s as a JSON body without checking it.
func (r *Request) RawJSON(s string) *Request {
	return r.Body("application/json", strings.NewReader(s))
}

// Text sends a text/plain body.
func (r *Request) Text(s string) *Request {
	return r.Body("text/plain; charset=utf-8", strings.NewReader(s))
}

// Body sends a body with the given content type ("" sends none).
func (r *Request) Body(contentType string, body io.Reader) *Request {
	r.body = body
	if contentType != "" {
		r.header.Set("Content-Type", contentType)
	}
	return r
}

// Form sends values as application/x-www-form-urlencoded.
func (r *Request) Form(values url.Values) *Request {
	return r.Body("application/x-www-form-urlencoded", strings.NewReader(values.Encode()))
}

type multipartBody struct {
	fields []mpPart
}

type mpPart struct {
	name, filename, contentType string
	content                     io.Reader
}

// Field adds a multipart form field (the body becomes multipart/form-data).
func (r *Request) Field(name, value string) *Request {
	r.multipart().fields = append(r.mp.fields, mpPart{name: name, content: strings.NewReader(value)})
	return r
}

// File adds a multipart file part with the given content. Its
// Content-Type is the one of the filename's extension, as a browser sends
// it (FileContentType); FileWithType sets another.
func (r *Request) File(field, filename string, content []byte) *Request {
	return r.FileReader(field, filename, "", bytes.NewReader(content))
}

// FileWithType adds a multipart file part with the given content and
// Content-Type (a client that sends a type the extension does not say, or
// a wrong one).
func (r *Request) FileWithType(field, filename, contentType string, content []byte) *Request {
	return r.FileReader(field, filename, contentType, bytes.NewReader(content))
}

// FileReader adds a multipart file part streamed from content (for large
// uploads), with the given Content-Type, or FileContentType(filename) when
// contentType is "".
func (r *Request) FileReader(field, filename, contentType string, content io.Reader) *Request {
	if contentType == "" {
		contentType = FileContentType(filename)
	}
	r.multipart().fields = append(r.mp.fields, mpPart{name: field, filename: filename, contentType: contentType, content: content})
	return r
}

// FileContentType is the Content-Type File gives a part: the type of the
// filename's extension (mime.TypeByExtension: Go's built-in table, then
// the system's), else application/octet-stream, as browsers do (they do
// not sniff the content of uploads).
func FileContentType(filename string) string {
	if ct := mime.TypeByExtension(path.Ext(strings.ReplaceAll(filename, "\\", "/"))); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

func (r *Request) multipart() *multipartBody {
	if r.mp == nil {
		r.mp = &multipartBody{}
	}
	return r.mp
}

// Build returns the *http.Request the client would send.
func (r *Request) Build() *http.Request {
	c := r.c
	c.t.Helper()
	if r.err != nil {
		c.t.Fatalf("covettest: building %s %s: %v", r.method, r.path, r.err)
	}
	body := r.body
	if r.mp != nil {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		r.header.Set("Content-Type", mw.FormDataContentType())
		parts := r.mp.fields
		go func() {
			for _, p := range parts {
				var w io.Writer
				var err error
				if p.filename != "" {
					h := textproto.MIMEHeader{}
					h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
					h.Set("Content-Type", p.contentType)
					w, err = mw.CreatePart(h)
				} else {
					w, err = mw.CreateFormField(p.name)
				}
				if err == nil {
					_, err = io.Copy(w, p.content)
				}
				if err != nil {
					pw.CloseWithError(err)
					return
				}
			}
			pw.CloseWithError(mw.Close())
		}()
		body = pr
	}
	target := r.path
	if len(r.query) > 0 {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + r.query.Encode()
	}
	var req *http.Request
	if c.h != nil {
		req = httptest.NewRequest(r.method, "http://example.com"+target, body)
		// Keep the path exactly as written (httptest parses it).
		if u, err := url.ParseRequestURI(target); err == nil {
			req.URL.Path, req.URL.RawPath = u.Path, u.RawPath
			req.RequestURI = target
		}
		if r.remote != "" {
			req.RemoteAddr = r.remote
		}
	} else {
		u := strings.TrimSuffix(c.base.String(), "/") + target
		var err error
		req, err = http.NewRequest(r.method, u, body)
		if err != nil {
			c.t.Fatalf("covettest: %s %s: %v", r.method, target, err)
		}
	}
	if r.host != "" {
		req.Host = r.host
	}
	for k, v := range c.headers {
		req.Header[k] = v
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	for _, ck := range c.jar.Cookies(c.base) {
		req.AddCookie(ck)
	}
	for _, ck := range r.cookies {
		req.AddCookie(ck)
	}
	if r.ctx != nil {
		req = req.WithContext(r.ctx)
	}
	return req
}

// Do sends the request and returns the response with its body read.
func (r *Request) Do() *Response {
	c := r.c
	c.t.Helper()
	req := r.Build()
	var res *http.Response
	aborted := false
	if c.h != nil {
		rec := httptest.NewRecorder()
		aborted = serveCatchingAbort(c.h, rec, req)
		res = rec.Result()
	} else {
		var err error
		res, err = c.http.Do(req)
		if err != nil {
			c.t.Fatalf("covettest: %s %s: %v", r.method, r.path, err)
		}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("covettest: reading response of %s %s: %v", r.method, r.path, err)
	}
	c.jar.SetCookies(c.base, res.Cookies())
	return &Response{Response: res, Body: b, Aborted: aborted, t: c.t, desc: r.method + " " + r.path}
}

// serveCatchingAbort calls h.ServeHTTP and reports whether it aborted the
// response by panicking with http.ErrAbortHandler (a server would break the
// connection); other panics go on.
func serveCatchingAbort(h http.Handler, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	h.ServeHTTP(w, r)
	return false
}

// Response is a received response with its body read. Expect methods fail
// the test (t.Errorf) and return the response for chaining.
type Response struct {
	*http.Response
	// Body is the whole response body (what was written before an abort).
	Body []byte
	// Aborted reports that the handler aborted the response by panicking
	// with http.ErrAbortHandler, as covet does when a handler fails after
	// the response started (in-process clients only: over the network the
	// client sees a broken connection, and Do fails the test). Body is then
	// truncated: ExpectBody and ExpectJSON fail.
	Aborted bool
	t       testing.TB
	desc    string
}

// Text returns the body as a string.
func (r *Response) Text() string { return string(r.Body) }

// Decode decodes the JSON body into v, failing the test if it cannot.
func (r *Response) Decode(v any) *Response {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("covettest: %s: decoding body %q: %v", r.desc, clip(r.Body), err)
	}
	return r
}

// Problem decodes an RFC 9457 problem body, checking its content type.
func (r *Response) Problem() covet.Problem {
	r.t.Helper()
	r.ExpectHeader("Content-Type", "application/problem+json")
	var p covet.Problem
	r.Decode(&p)
	return p
}

// ExpectStatus checks the status code.
func (r *Response) ExpectStatus(code int) *Response {
	r.t.Helper()
	if r.StatusCode != code {
		r.t.Errorf("covettest: %s: status %d, want %d; body: %s", r.desc, r.StatusCode, code, clip(r.Body))
	}
	return r
}

// ExpectHeader checks a header's first value.
func (r *Response) ExpectHeader(name, want string) *Response {
	r.t.Helper()
	if got := r.Header.Get(name); got != want {
		r.t.Errorf("covettest: %s: header %s = %q, want %q", r.desc, name, got, want)
	}
	return r
}

// ExpectNoHeader checks a header is absent.
func (r *Response) ExpectNoHeader(name string) *Response {
	r.t.Helper()
	if vs, ok := r.Header[http.CanonicalHeaderKey(name)]; ok {
		r.t.Errorf("covettest: %s: header %s = %q, want none", r.desc, name, vs)
	}
	return r
}

// ExpectAborted checks the response was aborted (see Response.Aborted).
func (r *Response) ExpectAborted() *Response {
	r.t.Helper()
	if !r.Aborted {
		r.t.Errorf("covettest: %s: response ended cleanly, want it aborted; body: %s", r.desc, clip(r.Body))
	}
	return r
}

// ExpectBody checks the whole body of a response that was not aborted.
func (r *Response) ExpectBody(want string) *Response {
	r.t.Helper()
	if r.Aborted {
		r.t.Errorf("covettest: %s: response aborted after %d body bytes %q, want body %q", r.desc, len(r.Body), clip(r.Body), want)
	} else if string(r.Body) != want {
		r.t.Errorf("covettest: %s: body %q, want %q", r.desc, clip(r.Body), want)
	}
	return r
}

// ExpectBodyContains checks the body contains s.
func (r *Response) ExpectBodyContains(s string) *Response {
	r.t.Helper()
	if !bytes.Contains(r.Body, []byte(s)) {
		r.t.Errorf("covettest: %s: body %q does not contain %q", r.desc, clip(r.Body), s)
	}
	return r
}

// ExpectJSON checks the body is JSON equal to want (compared after decoding
// both, so key order and spacing do not matter). want may be a string of
// JSON or any value to encode.
func (r *Response) ExpectJSON(want any) *Response {
	r.t.Helper()
	var wantJSON []byte
	switch w := want.(type) {
	case string:
		wantJSON = []byte(w)
	case []byte:
		wantJSON = w
	default:
		b, err := json.Marshal(w)
		if err != nil {
			r.t.Fatalf("covettest: encoding expected JSON: %v", err)
		}
		wantJSON = b
	}
	var got, exp any
	if r.Aborted {
		r.t.Errorf("covettest: %s: response aborted after %d body bytes, want JSON", r.desc, len(r.Body))
		return r
	}
	if err := json.Unmarshal(r.Body, &got); err != nil {
		r.t.Errorf("covettest: %s: body is not JSON (%v): %q", r.desc, err, clip(r.Body))
		return r
	}
	if err := json.Unmarshal(wantJSON, &exp); err != nil {
		r.t.Fatalf("covettest: expected value is not JSON: %v", err)
	}
	gb, _ := json.Marshal(got)
	eb, _ := json.Marshal(exp)
	if !bytes.Equal(gb, eb) {
		r.t.Errorf("covettest: %s: JSON body\n got  %s\n want %s", r.desc, gb, eb)
	}
	return r
}

func clip(b []byte) string {
	if len(b) > 2048 {
		return string(b[:2048]) + "…"
	}
	return string(b)
}
