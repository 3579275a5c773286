package covet_test

// Regression tests for the request-parsing defects of the hostile-input
// campaign (issue 13). Each test is named after its defect and failed before
// the fix.

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// Defect 8: bidi overrides and other format characters (category Cf) stayed
// in upload file names, so "invoice\u202efdp.exe" displayed as "invoiceexe.pdf".
func TestUploadFilenameFormatCharactersStripped(t *testing.T) {
	cl := covettest.New(t, uploadApp(covet.MultipartLimits{}))
	for _, tc := range []struct{ name, sent, want string }{
		{"RLO", "invoice\u202efdp.exe", "invoicefdp.exe"},
		{"isolates", "\u2066a\u2067b\u2068c\u2069.txt", "abc.txt"},
		{"marks", "x\u200ey\u200f.txt", "xy.txt"},
		{"zero width and BOM", "a\u200bb\u200dc\ufeff.txt", "abc.txt"},
		{"only format characters", "\u202e\u202e", ""},
		{"dot-dot behind a format character", "..\u200b", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Written by hand: the test client would %q-escape the name.
			body := "--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nReport\r\n" +
				"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + tc.sent + "\"\r\n\r\nx\r\n--B--\r\n"
			var out uploadOut
			cl.Post("/upload").Body("multipart/form-data; boundary=B", strings.NewReader(body)).Do().ExpectStatus(200).Decode(&out)
			if out.Filename != tc.want {
				t.Errorf("filename %q, want %q", out.Filename, tc.want)
			}
		})
	}
}

type dupInner struct {
	Meta map[string]string `json:"meta,omitempty"`
	Any  any               `json:"any,omitempty"`
}

type dupBody struct {
	Meta map[string]string         `json:"meta,omitempty"`
	Any  any                       `json:"any,omitempty"`
	Deep map[string]map[string]int `json:"deep,omitempty"`
	List []dupInner                `json:"list,omitempty"`
	Raw  json.RawMessage           `json:"raw,omitempty"`
}

// Defect 5: duplicate keys inside maps and interface values bound with the
// last value winning; the README promises 400 for duplicate keys.
func TestDuplicateKeysRefusedAtEveryDepth(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/dup", func(c *covet.Context, in *dupBody) (*dupBody, error) { return in, nil })
	cl := covettest.New(t, app)
	for _, tc := range []struct{ name, body string }{
		{"map", `{"meta":{"role":"user","role":"admin"}}`},
		{"map with an escaped twin", `{"meta":{"role":"user","r\u006fle":"admin"}}`},
		{"any object", `{"any":{"role":"user","role":"admin"}}`},
		{"any nested in an array", `{"any":[1,{"a":{"b":1,"b":2}}]}`},
		{"map of maps", `{"deep":{"x":{"n":1,"n":2}}}`},
		{"map in a slice element", `{"list":[{"meta":{}},{"meta":{"k":"1","k":"2"}}]}`},
		{"any in a slice element", `{"list":[{"any":{"k":1,"k":2}}]}`},
		{"unknown field", `{"zzz":1,"zzz":2}`},
		{"inside an unknown field", `{"zzz":{"a":1,"a":2}}`},
		{"raw message", `{"raw":{"a":1,"a":2}}`},
		{"large map", `{"meta":{` + manyKeys(100) + `,"k7":"again"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl.Post("/dup").RawJSON(tc.body).Do().ExpectStatus(400).ExpectBodyContains("duplicate key")
		})
	}
	t.Run("distinct keys still bind", func(t *testing.T) {
		cl.Post("/dup").RawJSON(`{"meta":{"role":"user","Role":"x"},"any":{"a":{"b":1},"c":{"b":2}},"list":[{"meta":{"k":"1"}},{"meta":{"k":"2"}}],"deep":{"x":{"n":1},"y":{"n":1}}}`).
			Do().ExpectStatus(200)
		cl.Post("/dup").RawJSON(`{"meta":{` + manyKeys(100) + `}}`).Do().ExpectStatus(200)
	})
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":"v"`, i)
	}
	return b.String()
}

// wide has 70 fields: more than the 64 the duplicate-key bitset held.
type wide struct {
	F0  int `json:"f0,omitempty"`
	F1  int `json:"f1,omitempty"`
	F2  int `json:"f2,omitempty"`
	F3  int `json:"f3,omitempty"`
	F4  int `json:"f4,omitempty"`
	F5  int `json:"f5,omitempty"`
	F6  int `json:"f6,omitempty"`
	F7  int `json:"f7,omitempty"`
	F8  int `json:"f8,omitempty"`
	F9  int `json:"f9,omitempty"`
	F10 int `json:"f10,omitempty"`
	F11 int `json:"f11,omitempty"`
	F12 int `json:"f12,omitempty"`
	F13 int `json:"f13,omitempty"`
	F14 int `json:"f14,omitempty"`
	F15 int `json:"f15,omitempty"`
	F16 int `json:"f16,omitempty"`
	F17 int `json:"f17,omitempty"`
	F18 int `json:"f18,omitempty"`
	F19 int `json:"f19,omitempty"`
	F20 int `json:"f20,omitempty"`
	F21 int `json:"f21,omitempty"`
	F22 int `json:"f22,omitempty"`
	F23 int `json:"f23,omitempty"`
	F24 int `json:"f24,omitempty"`
	F25 int `json:"f25,omitempty"`
	F26 int `json:"f26,omitempty"`
	F27 int `json:"f27,omitempty"`
	F28 int `json:"f28,omitempty"`
	F29 int `json:"f29,omitempty"`
	F30 int `json:"f30,omitempty"`
	F31 int `json:"f31,omitempty"`
	F32 int `json:"f32,omitempty"`
	F33 int `json:"f33,omitempty"`
	F34 int `json:"f34,omitempty"`
	F35 int `json:"f35,omitempty"`
	F36 int `json:"f36,omitempty"`
	F37 int `json:"f37,omitempty"`
	F38 int `json:"f38,omitempty"`
	F39 int `json:"f39,omitempty"`
	F40 int `json:"f40,omitempty"`
	F41 int `json:"f41,omitempty"`
	F42 int `json:"f42,omitempty"`
	F43 int `json:"f43,omitempty"`
	F44 int `json:"f44,omitempty"`
	F45 int `json:"f45,omitempty"`
	F46 int `json:"f46,omitempty"`
	F47 int `json:"f47,omitempty"`
	F48 int `json:"f48,omitempty"`
	F49 int `json:"f49,omitempty"`
	F50 int `json:"f50,omitempty"`
	F51 int `json:"f51,omitempty"`
	F52 int `json:"f52,omitempty"`
	F53 int `json:"f53,omitempty"`
	F54 int `json:"f54,omitempty"`
	F55 int `json:"f55,omitempty"`
	F56 int `json:"f56,omitempty"`
	F57 int `json:"f57,omitempty"`
	F58 int `json:"f58,omitempty"`
	F59 int `json:"f59,omitempty"`
	F60 int `json:"f60,omitempty"`
	F61 int `json:"f61,omitempty"`
	F62 int `json:"f62,omitempty"`
	F63 int `json:"f63,omitempty"`
	F64 int `json:"f64,omitempty"`
	F65 int `json:"f65,omitempty"`
	F66 int `json:"f66,omitempty"`
	F67 int `json:"f67,omitempty"`
	F68 int `json:"f68,omitempty"`
	F69 int `json:"f69,omitempty"`
}

// Defect 6: the duplicate-key check covered only a struct's first 64 fields.
func TestDuplicateKeyCheckBeyond64Fields(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/wide", func(c *covet.Context, in *wide) (*wide, error) { return in, nil })
	cl := covettest.New(t, app)
	for _, f := range []string{"f0", "f63", "f64", "f69"} {
		cl.Post("/wide").RawJSON(`{"` + f + `":1,"f5":2,"` + f + `":3}`).Do().ExpectStatus(400).ExpectBodyContains("duplicate key")
	}
	cl.Post("/wide").RawJSON(`{"f64":1,"f65":2,"f69":3,"f0":4}`).Do().ExpectStatus(200).ExpectJSON(`{"f0":4,"f64":1,"f65":2,"f69":3}`)
}

// secondRead wraps a request body and reports the second Read call: by
// then the handler has taken what the first read returned.
type secondRead struct {
	io.ReadCloser
	calls int
	done  func()
}

func (s *secondRead) Read(p []byte) (int, error) {
	if s.calls++; s.calls == 2 {
		s.done()
	}
	return s.ReadCloser.Read(p)
}

// Defect 2: the JSON body buffer was allocated at the declared
// Content-Length before any byte arrived, so 16 connections that each sent
// one byte of a 4 MiB body grew the heap by 64 MiB.
func TestBodyMemoryFollowsBytesReceived(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/items", func(c *covet.Context, in *struct {
		Name string `json:"name"`
	}) (*struct{}, error) {
		return &struct{}{}, nil
	})
	var waiting sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Slow") != "" {
			r.Body = &secondRead{ReadCloser: r.Body, done: waiting.Done}
		}
		app.ServeHTTP(w, r)
	}))
	defer srv.Close()
	// Warm up: server goroutines, pools and the route's plan.
	res, err := http.Post(srv.URL+"/items", "application/json", strings.NewReader(`{"name":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	const conns = 16
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	waiting.Add(conns)
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for range conns {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		fmt.Fprintf(c, "POST /items HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", covet.DefaultBodyLimit)
	}
	waiting.Wait() // every handler is blocked reading the second byte
	after := heap()
	grown := int64(after) - int64(before)
	t.Logf("heap before %d KiB, with %d connections holding one byte of a %d MiB body each: %d KiB (grew %d KiB)",
		before>>10, conns, covet.DefaultBodyLimit>>20, after>>10, grown>>10)
	if grown > 8<<20 {
		t.Fatalf("the heap grew by %d MiB for %d bytes received", grown>>20, conns)
	}
}

// The growing buffer reads bodies of every size whole, with and without a
// Content-Length, at and around its class boundaries.
func TestBodyReadAcrossBufferClasses(t *testing.T) {
	app := covet.New(covet.WithBodyLimit(3 << 20))
	covet.Post(app, "/len", func(c *covet.Context, in *struct {
		Name string `json:"name"`
	}) (*int, error) {
		n := len(in.Name)
		return &n, nil
	})
	for _, size := range []int{12, 4095, 4096, 4097, 8192, 8193, 65536, 1 << 20, 1<<20 + 1, 3 << 20} {
		body := `{"name":"` + strings.Repeat("x", size-11) + `"}`
		for _, chunked := range []bool{false, true} {
			r := httptest.NewRequest(http.MethodPost, "/len", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			if chunked {
				r.ContentLength = -1
				r.Body = io.NopCloser(iotest.OneByteReader(strings.NewReader(body)))
				if size > 65536 {
					r.Body = io.NopCloser(iotest.HalfReader(strings.NewReader(body)))
				}
			}
			w := httptest.NewRecorder()
			app.ServeHTTP(w, r)
			if w.Code != 200 || w.Body.String() != strconv.Itoa(size-11) {
				t.Fatalf("size %d chunked %v: %d %.200s", size, chunked, w.Code, w.Body.String())
			}
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/len", strings.NewReader(strings.Repeat(" ", 3<<20+1)))
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = -1
	w := httptest.NewRecorder()
	app.ServeHTTP(w, r)
	if w.Code != 413 {
		t.Fatalf("over the limit: %d", w.Code)
	}
}

type tenantIn struct {
	Tenant string   `query:"tenant"`
	Tags   []string `query:"tag"`
}

type tenantOut struct {
	Tenant string   `json:"tenant"`
	Tags   []string `json:"tags"`
}

// Defect 7: c.Query (url.ParseQuery) dropped pairs holding ';' and returned
// nothing past 10,000 parameters while typed binding saw the values, so a
// middleware checking c.Query("tenant") and a typed handler saw different
// tenants.
func TestOneQueryParserForQueryAndBinding(t *testing.T) {
	app := covet.New()
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			c.SetHeader("X-Middleware-Tenant", c.Query("tenant"))
			c.SetHeader("X-Middleware-Tags", strings.Join(c.QueryValues()["tag"], ","))
			return next(c)
		}
	})
	covet.Get(app, "/typed", func(c *covet.Context, in *tenantIn) (*tenantOut, error) {
		return &tenantOut{Tenant: in.Tenant, Tags: in.Tags}, nil
	})
	app.GET("/raw", func(c *covet.Context) error { return c.Text(200, c.Query("tenant")) })
	srv := httptest.NewServer(app)
	defer srv.Close()
	get := func(path, rawQuery string) (*http.Response, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path + "?" + rawQuery)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, tc := range []struct{ name, query, tenant, tags string }{
		{"semicolon in the first pair", "tenant=evil;x=1&tenant=good", "good", ""},
		{"semicolon separator", "x=1;tenant=evil&tenant=good", "good", ""},
		{"semicolon in a slice value", "tag=a;b&tag=c&tenant=t", "t", "c"},
		{"malformed escape", "tenant=%zz&tenant=ok", "ok", ""},
		{"malformed key", "ten%zzant=evil&tenant=ok", "ok", ""},
		{"plus and escapes", "tenant=a+b%21&tag=x&tag=y%2Cz", "a b!", "x,y,z"},
		{"first value wins", "tenant=one&tenant=two", "one", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get("/typed", tc.query)
			var in tenantOut
			if err := json.Unmarshal([]byte(body), &in); err != nil || res.StatusCode != 200 {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
			mwTenant, mwTags := res.Header.Get("X-Middleware-Tenant"), res.Header.Get("X-Middleware-Tags")
			if in.Tenant != mwTenant || strings.Join(in.Tags, ",") != mwTags {
				t.Fatalf("typed binding saw tenant %q tags %q; c.Query saw %q %q", in.Tenant, in.Tags, mwTenant, mwTags)
			}
			if in.Tenant != tc.tenant || strings.Join(in.Tags, ",") != tc.tags {
				t.Fatalf("tenant %q tags %q, want %q %q", in.Tenant, in.Tags, tc.tenant, tc.tags)
			}
		})
	}
	t.Run("more than 10,000 parameters is a 400 for both", func(t *testing.T) {
		q := "tenant=evil" + strings.Repeat("&x=1", 10000)
		for _, path := range []string{"/typed", "/raw"} {
			res, body := get(path, q)
			if res.StatusCode != 400 || !strings.Contains(body, "more than 10000 parameters") {
				t.Errorf("%s: %d %s", path, res.StatusCode, body)
			}
		}
		q = "tenant=fine" + strings.Repeat("&x=1", 10000-1)
		for _, path := range []string{"/typed", "/raw"} {
			if res, body := get(path, q); res.StatusCode != 200 || !strings.Contains(body, "fine") {
				t.Errorf("%s at the limit: %d %s", path, res.StatusCode, body)
			}
		}
	})
	t.Run("urlencoded forms follow the same rules", func(t *testing.T) {
		app := covet.New()
		covet.Post(app, "/form", func(c *covet.Context, in *struct {
			Tenant string `form:"tenant"`
		}) (*string, error) {
			return &in.Tenant, nil
		})
		cl := covettest.New(t, app)
		cl.Post("/form").Body("application/x-www-form-urlencoded", strings.NewReader("tenant=evil;x&tenant=good")).Do().ExpectStatus(200).ExpectJSON(`"good"`)
		cl.Post("/form").Body("application/x-www-form-urlencoded", strings.NewReader("tenant=a"+strings.Repeat("&x=1", 10000))).Do().ExpectStatus(400)
	})
}

// Defect 1: dot-segments reached handlers. /files/../../etc/passwd on a
// {p:path} route gave p=../../etc/passwd and /names/.. gave name=..: unclean
// paths were redirected only when no route matched.
func TestDotSegmentsNeverReachHandlers(t *testing.T) {
	for _, policy := range []struct {
		name string
		opt  covet.TrailingSlash
	}{{"redirect", covet.TrailingSlashRedirect}, {"strict", covet.TrailingSlashStrict}} {
		t.Run(policy.name, func(t *testing.T) {
			app := covet.New(covet.WithTrailingSlash(policy.opt))
			var reached []string
			h := func(c *covet.Context) error {
				for _, p := range c.Params() {
					reached = append(reached, p.Name+"="+p.Value)
				}
				return c.NoContent(204)
			}
			app.GET("/files/{p:path}", h)
			app.GET("/names/{name}", h)
			app.POST("/names/{name}", h)
			app.GET("/raw/{p:path}", h).With(covet.AllowDotSegments())
			for _, tc := range []struct {
				method, target string
				status         int
				location       string
			}{
				{"GET", "/files/../../etc/passwd", 301, "/etc/passwd"},
				{"GET", "/files/a/../../../etc/passwd?x=1", 301, "/etc/passwd?x=1"},
				{"GET", "/files/%2e%2e/%2E%2E/etc/passwd", 301, "/etc/passwd"},
				{"GET", "/files/a/%2e%2e%2f%2e%2e%2fetc", 301, "/etc"},
				{"GET", "/files/./a", 301, "/files/a"},
				{"GET", "/files//a", 301, "/files/a"},
				{"GET", "/files/a/.", 301, "/files/a/"},
				{"GET", "/names/..", 301, "/"},
				{"GET", "/names/.", 301, "/names/"},
				{"HEAD", "/names/x/..", 301, "/names"},
				{"POST", "/names/x/../..", 308, "/"},
				{"GET", "//evil.example/..", 301, "/"},
				{"GET", `/files/..\..\windows\win.ini`, 404, ""},
				{"GET", `/names/..\x`, 404, ""},
				{"GET", `/files/a\..`, 404, ""},
				{"GET", "/raw/../x", 301, "/x"},
			} {
				r := httptest.NewRequest(tc.method, "http://example.com"+tc.target, nil)
				w := httptest.NewRecorder()
				reached = nil
				app.ServeHTTP(w, r)
				if w.Code != tc.status || w.Header().Get("Location") != tc.location || len(reached) > 0 {
					t.Errorf("%s %s: %d Location %q reached %v; want %d %q and no handler",
						tc.method, tc.target, w.Code, w.Header().Get("Location"), reached, tc.status, tc.location)
				}
			}
			for _, tc := range []struct{ target, want string }{
				{"/files/a/b.txt", "p=a/b.txt"},
				{"/files/.well-known/x", "p=.well-known/x"},
				{"/files/a..b/...", "p=a..b/..."},
				{"/names/v1.2", "name=v1.2"},
				{`/raw/..\x`, `p=..\x`},
			} {
				reached = nil
				w := httptest.NewRecorder()
				app.ServeHTTP(w, httptest.NewRequest("GET", "http://example.com"+tc.target, nil))
				if w.Code != 204 || strings.Join(reached, ",") != tc.want {
					t.Errorf("%s: %d %v, want 204 %s", tc.target, w.Code, reached, tc.want)
				}
			}
			// Plugins matching paths (CORS preflights) get no dot-segment route either.
			for _, p := range []string{"/names/..", "/files/../x", "/files/a/../../x"} {
				if ri, ok := app.Match("GET", p); ok {
					t.Errorf("Match(%q) = %s", p, ri.Pattern)
				}
			}
		})
	}
}

type nulIn struct {
	ID   string   `path:"id"`
	Q    string   `query:"q"`
	Qs   []string `query:"qs"`
	Body struct {
		Name  string            `json:"name,omitempty"`
		Tags  []string          `json:"tags,omitempty"`
		Meta  map[string]string `json:"meta,omitempty"`
		Ptr   *string           `json:"ptr,omitempty"`
		Blob  string            `json:"blob,omitempty" allowNUL:"true"`
		Blobs []string          `json:"blobs,omitempty" allowNUL:"true"`
	}
}

type nulOut struct {
	Blob string `json:"blob"`
}

// Defect 10: a NUL byte in a bound string reached the database, which
// refused it with an error-level 500. Typed string fields now refuse NUL
// with a 422 unless tagged allowNUL:"true".
func TestNULInBoundStringsRefused(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/nul/{id}", func(c *covet.Context, in *nulIn) (*nulOut, error) {
		return &nulOut{Blob: in.Body.Blob}, nil
	})
	covet.Post(app, "/form", func(c *covet.Context, in *struct {
		Title string `form:"title"`
	}) (*string, error) {
		return &in.Title, nil
	})
	cl := covettest.New(t, app)
	for _, tc := range []struct{ name, path, body, field string }{
		{"json string", "/nul/1", `{"name":"a\u0000b"}`, "body:name"},
		{"json slice element", "/nul/1", `{"tags":["ok","\u0000"]}`, "body:tags.1"},
		{"json map value", "/nul/1", `{"meta":{"k":"x\u0000"}}`, "body:meta.k"},
		{"json pointer", "/nul/1", `{"ptr":"\u0000"}`, "body:ptr"},
		{"query", "/nul/1?q=a%00b", `{}`, "query:q"},
		{"query slice", "/nul/1?qs=a&qs=%00", `{}`, "query:qs"},
		{"path", "/nul/a%00b", `{}`, "path:id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := cl.Post(tc.path).RawJSON(tc.body).Do().ExpectStatus(422).Problem()
			if got := fieldSet(p); !strings.Contains(got, tc.field) || !strings.Contains(got, "NUL") {
				t.Errorf("errors %s, want one at %s about NUL", got, tc.field)
			}
		})
	}
	t.Run("form field", func(t *testing.T) {
		cl.Post("/form").Form(url.Values{"title": {"a\x00b"}}).Do().ExpectStatus(422).ExpectBodyContains("NUL")
		cl.Post("/form").Field("title", "a\x00b").Do().ExpectStatus(422).ExpectBodyContains("NUL")
	})
	t.Run("allowNUL opts out", func(t *testing.T) {
		cl.Post("/nul/1").RawJSON(`{"blob":"a\u0000b","blobs":["\u0000"]}`).Do().ExpectStatus(200).ExpectJSON(`{"blob":"a\u0000b"}`)
	})
	t.Run("an escaped backslash before u0000 is no NUL", func(t *testing.T) {
		cl.Post("/nul/1").RawJSON(`{"name":"a\\u0000"}`).Do().ExpectStatus(200)
	})
}
