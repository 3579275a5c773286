// Package conformance checks that a benchmark server answers every endpoint
// as specified (status codes, content types, bodies, the 400/422 cases, the
// realistic endpoint's middleware), so that every server in a load run does
// the same work. The same checks run in the tests and before every load run.
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// Origin is the origin the realistic endpoint allows.
const Origin = "http://localhost:3000"

// EchoValid is a valid POST /echo body (ten fields, one nested object).
var EchoValid = []byte(`{"name":"Widget Pro","email":"buyer@example.com","age":42,"score":87.5,"active":true,"kind":"book","tags":["a","b","c"],"address":{"city":"Springfield","zip":"12345"},"sku":"WID-001","description":"A very useful widget"}`)

// Echo2Valid is a valid POST /echo2 body (two fields).
var Echo2Valid = []byte(`{"name":"Widget Pro","age":42}`)

// Echo2Invalid breaks both rules of /echo2.
var Echo2Invalid = []byte(`{"name":"W","age":151}`)

// EchoInvalid breaks three rules: the email, the age range and the enum.
var EchoInvalid = []byte(`{"name":"Widget Pro","email":"not-an-email","age":-1,"score":87.5,"active":true,"kind":"toy","tags":["a"],"address":{"city":"Springfield","zip":"12345"},"sku":"WID-001"}`)

// UploadSize is the size of the uploaded file: 1 MiB.
const UploadSize = 1 << 20

// UploadFilename is the uploaded file's name.
const UploadFilename = "data.bin"

// UploadBody returns the POST /upload body, a multipart form with one file
// field "file" of UploadSize deterministic bytes, and its Content-Type.
func UploadBody() (contentType string, body []byte) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.SetBoundary("covetbenchboundary7MA4YWxkTrZu0gW")
	part, _ := w.CreateFormFile("file", UploadFilename)
	data := make([]byte, UploadSize)
	x := uint32(2463534242)
	for i := range data {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		data[i] = byte(x)
	}
	_, _ = part.Write(data)
	_ = w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

// Result is the outcome of one check.
type Result struct {
	// Name is the check's name.
	Name string
	// Err says what failed; nil when the check passed.
	Err error
}

// Check is one conformance check against a server's base URL.
type Check struct {
	// Name says what is checked.
	Name string
	// Run checks the server at base (http://host:port) with c.
	Run func(c *http.Client, base string) error
}

// Checks are every check, in order.
var Checks = []Check{
	{"plaintext", func(c *http.Client, base string) error {
		return expect(c, get(base+"/plaintext"), 200, "text/plain", func(b []byte) error {
			if string(b) != "Hello, World!" {
				return fmt.Errorf("body %q, want %q", b, "Hello, World!")
			}
			return nil
		})
	}},
	{"json", func(c *http.Client, base string) error {
		return expect(c, get(base+"/json"), 200, "application/json", jsonEqual(`{"message":"Hello, World!"}`))
	}},
	{"users", func(c *http.Client, base string) error {
		return expect(c, get(base+"/users/42"), 200, "application/json", jsonEqual(`{"id":42,"name":"user-42"}`))
	}},
	{"users bad id is 400 or 422", func(c *http.Client, base string) error {
		return expectClientError(c, get(base+"/users/abc"), 400, 422)
	}},
	{"echo", func(c *http.Client, base string) error {
		return expect(c, postJSON(base+"/echo", EchoValid), 200, "application/json", jsonEqual(string(EchoValid)))
	}},
	{"echo2", func(c *http.Client, base string) error {
		return expect(c, postJSON(base+"/echo2", Echo2Valid), 200, "application/json", jsonEqual(string(Echo2Valid)))
	}},
	{"echo2 invalid is 422", func(c *http.Client, base string) error {
		return expectClientError(c, postJSON(base+"/echo2", Echo2Invalid), 422)
	}},
	{"echo invalid is 422", func(c *http.Client, base string) error {
		return expectClientError(c, postJSON(base+"/echo", EchoInvalid), 422)
	}},
	{"echo malformed is 400 (FastAPI: 422)", func(c *http.Client, base string) error {
		return expectClientError(c, postJSON(base+"/echo", []byte(`{"name":`)), 400, 422)
	}},
	{"upload", func(c *http.Client, base string) error {
		ct, body := UploadBody()
		req, _ := http.NewRequest(http.MethodPost, base+"/upload", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		return expect(c, req, 200, "application/json", jsonEqual(fmt.Sprintf(`{"filename":%q,"size":%d}`, UploadFilename, UploadSize)))
	}},
	{"upload without a file is 400 or 422", func(c *http.Client, base string) error {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		_ = w.WriteField("other", "x")
		_ = w.Close()
		req, _ := http.NewRequest(http.MethodPost, base+"/upload", &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		return expectClientError(c, req, 400, 422)
	}},
	{"realistic", func(c *http.Client, base string) error {
		req := get(base + "/api/users/42")
		req.Header.Set("Origin", Origin)
		return expectHeaders(c, req, 200, "application/json", jsonEqual(`{"id":42,"name":"user-42"}`), func(h http.Header) error {
			switch {
			case h.Get("Access-Control-Allow-Origin") != Origin:
				return fmt.Errorf("Access-Control-Allow-Origin %q, want %q", h.Get("Access-Control-Allow-Origin"), Origin)
			case h.Get("X-Request-Id") == "":
				return fmt.Errorf("no X-Request-ID header")
			case h.Get("X-Content-Type-Options") != "nosniff":
				return fmt.Errorf("X-Content-Type-Options %q, want nosniff", h.Get("X-Content-Type-Options"))
			case h.Get("X-Frame-Options") != "DENY":
				return fmt.Errorf("X-Frame-Options %q, want DENY", h.Get("X-Frame-Options"))
			}
			return nil
		})
	}},
	{"realistic refuses another origin", func(c *http.Client, base string) error {
		req := get(base + "/api/users/42")
		req.Header.Set("Origin", "http://evil.example")
		// gin-contrib/cors answers 403; the others serve without CORS headers.
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 403 {
			return fmt.Errorf("status %d, want 200 (or 403)", resp.StatusCode)
		}
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
			return fmt.Errorf("Access-Control-Allow-Origin %q for a refused origin", v)
		}
		return nil
	}},
	{"realistic keeps a client request ID", func(c *http.Client, base string) error {
		req := get(base + "/api/users/7")
		req.Header.Set("X-Request-ID", "abc123")
		return expectHeaders(c, req, 200, "application/json", nil, func(h http.Header) error {
			if v := h.Get("X-Request-Id"); v != "abc123" {
				return fmt.Errorf("X-Request-ID %q, want the client's abc123", v)
			}
			return nil
		})
	}},
	{"realistic recovers a panic as 500", func(c *http.Client, base string) error {
		resp, err := c.Do(get(base + "/api/panic"))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 {
			return fmt.Errorf("status %d, want 500", resp.StatusCode)
		}
		return expect(c, get(base+"/plaintext"), 200, "text/plain", nil)
	}},
}

// Run runs every check against base and returns the results.
func Run(base string) []Result {
	c := &http.Client{Timeout: 10 * time.Second}
	out := make([]Result, 0, len(Checks))
	for _, ch := range Checks {
		out = append(out, Result{Name: ch.Name, Err: ch.Run(c, base)})
	}
	c.CloseIdleConnections()
	return out
}

func get(url string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	return req
}

func postJSON(url string, body []byte) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func expect(c *http.Client, req *http.Request, status int, ctype string, body func([]byte) error) error {
	return expectHeaders(c, req, status, ctype, body, nil)
}

func expectHeaders(c *http.Client, req *http.Request, status int, ctype string, body func([]byte) error, headers func(http.Header) error) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != status {
		return fmt.Errorf("%s %s: status %d, want %d (body %.200s)", req.Method, req.URL.Path, resp.StatusCode, status, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, ctype) {
		return fmt.Errorf("%s %s: Content-Type %q, want %s", req.Method, req.URL.Path, ct, ctype)
	}
	if body != nil {
		if err := body(b); err != nil {
			return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
		}
	}
	if headers != nil {
		if err := headers(resp.Header); err != nil {
			return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
		}
	}
	return nil
}

// expectClientError wants one of the statuses and a JSON error body.
func expectClientError(c *http.Client, req *http.Request, statuses ...int) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	ok := false
	for _, s := range statuses {
		ok = ok || resp.StatusCode == s
	}
	if !ok {
		return fmt.Errorf("%s %s: status %d, want one of %v (body %.200s)", req.Method, req.URL.Path, resp.StatusCode, statuses, b)
	}
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/problem+json") {
		return fmt.Errorf("%s %s: error Content-Type %q, want JSON", req.Method, req.URL.Path, ct)
	}
	if !json.Valid(b) {
		return fmt.Errorf("%s %s: error body is not JSON: %.200s", req.Method, req.URL.Path, b)
	}
	return nil
}

func jsonEqual(want string) func([]byte) error {
	return func(b []byte) error {
		var got, exp any
		if err := json.Unmarshal(b, &got); err != nil {
			return fmt.Errorf("body is not JSON: %v: %.200s", err, b)
		}
		if err := json.Unmarshal([]byte(want), &exp); err != nil {
			return err
		}
		if !reflect.DeepEqual(got, exp) {
			return fmt.Errorf("body %s, want %s", b, want)
		}
		return nil
	}
}
