package covet_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// The fuzz targets feed arbitrary bodies, queries and multipart streams to
// typed routes. Whatever the input, the answer must be one of the statuses
// binding documents (never a 500, a panic or a hang). Seed corpora live in
// testdata/fuzz; run one with
//
//	go test -run '^$' -fuzz '^FuzzJSONBinding$' -fuzztime 60s .

type fuzzNested struct {
	A []int          `json:"a,omitempty" maxItems:"4"`
	M map[string]int `json:"m,omitempty"`
	P *fuzzNested    `json:"p,omitempty"`
}

type fuzzBody struct {
	S   string      `json:"s" minLength:"1" maxLength:"8" pattern:"^[a-z]+$"`
	E   string      `json:"e,omitempty" format:"email"`
	I   int8        `json:"i" minimum:"-5" maximum:"100"`
	U   uint32      `json:"u,omitempty" multipleOf:"3"`
	F   float32     `json:"f,omitempty" exclusiveMaximum:"10"`
	B   *bool       `json:"b"`
	T   *time.Time  `json:"t,omitempty"`
	D   string      `json:"d,omitempty" default:"x" enum:"x,y"`
	N   fuzzNested  `json:"n,omitempty"`
	L   []fuzzLine  `json:"l,omitempty" uniqueItems:"true"`
	Any any         `json:"any,omitempty"`
	Ptr *fuzzNested `json:"ptr"`
}

type fuzzLine struct {
	K string `json:"k" minLength:"1"`
	V int    `json:"v" default:"1"`
}

type fuzzParams struct {
	Q    string    `query:"q" maxLength:"5"`
	N    *int      `query:"n" minimum:"0"`
	Tags []float64 `query:"t" maxItems:"3"`
	When time.Time `query:"when"`
	Dur  string    `query:"dur" default:"x"`
}

type fuzzForm struct {
	Title string        `form:"title" minLength:"1"`
	N     []int         `form:"n"`
	File  *covet.File   `form:"file"`
	Files []*covet.File `form:"files" maxItems:"2"`
}

func bindFuzzApp() *covet.App {
	app := covet.New(covet.WithBodyLimit(1<<16), covet.WithMaxJSONDepth(32),
		covet.WithMultipartLimits(covet.MultipartLimits{MaxBodySize: 1 << 16, MaxFileSize: 4096, MaxParts: 8, MaxHeaderSize: 1024, MaxFieldSize: 256, MaxMemory: 512}))
	covet.Post(app, "/json", func(c *covet.Context, in *fuzzBody) (*fuzzBody, error) { return in, nil })
	covet.Get(app, "/query", func(c *covet.Context, in *fuzzParams) (*struct{}, error) { return &struct{}{}, nil })
	covet.Post(app, "/form", func(c *covet.Context, in *fuzzForm) (*struct{}, error) { return nil, nil })
	covet.Post(app, "/urlencoded", func(c *covet.Context, in *struct {
		Title string  `form:"title" minLength:"1"`
		N     []int   `form:"n" maxItems:"3"`
		X     float64 `form:"x" default:"1.5"`
	}) (*struct{}, error) {
		return nil, nil
	})
	return app
}

func expectBindingStatus(t *testing.T, rec *httptest.ResponseRecorder, allowed ...int) {
	t.Helper()
	for _, s := range allowed {
		if rec.Code == s {
			return
		}
	}
	t.Fatalf("status %d (allowed %v): %s", rec.Code, allowed, rec.Body.String())
}

func FuzzJSONBinding(f *testing.F) {
	f.Add([]byte(`{"s":"abc","i":3,"b":true,"ptr":null}`))
	f.Add([]byte(`{"s":"abc","i":3,"b":null,"ptr":{"p":{"p":{"a":[1,2,3]}}},"l":[{"k":"a"},{"k":"a"}]}`))
	f.Add([]byte(`{"s":"ABC","i":300,"u":-1,"f":1e39,"t":"2024-02-30T00:00:00Z","any":[[[[{}]]]]}`))
	f.Add([]byte(`{"s":"a\u00e9","S":"b","e":"@x","n":{"m":{"k":1e2}},"b":false,"ptr":null}`))
	app := bindFuzzApp()
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/json", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		app.ServeHTTP(rec, r)
		expectBindingStatus(t, rec, 200, 400, 413, 422)
	})
}

func FuzzQueryAndFormBinding(f *testing.F) {
	f.Add("q=abc&n=3&t=1.5&t=2&when=2024-01-02T03:04:05Z", "title=x&n=1&n=2")
	f.Add("q=%zz&n=-1&t=NaN&t=1e400&when=now&&=&q", "title=&n=x&n=%")
	f.Add("n=99999999999999999999999&t=+1&dur", "title=%E2%82%AC&n=+3")
	app := bindFuzzApp()
	f.Fuzz(func(t *testing.T, query, form string) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/query", nil)
		r.URL.RawQuery = query
		app.ServeHTTP(rec, r)
		expectBindingStatus(t, rec, 204, 422)
		rec = httptest.NewRecorder()
		r = httptest.NewRequest(http.MethodPost, "/urlencoded", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		app.ServeHTTP(rec, r)
		expectBindingStatus(t, rec, 204, 413, 422)
	})
}

func FuzzMultipartLimits(f *testing.F) {
	const b = "XyZ"
	f.Add("--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../a.txt\"\r\nContent-Type: text/plain\r\n\r\ncontent\r\n--XyZ--\r\n")
	f.Add("--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\"\r\n\r\n" + strings.Repeat("z", 5000) + "\r\n--XyZ--\r\n")
	f.Add("--XyZ\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nx\r\n--XyZ")
	f.Add("--XyZ\r\nX-Big: " + strings.Repeat("h", 3000) + "\r\n\r\n\r\n--XyZ--\r\n")
	app := bindFuzzApp()
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+b)
		app.ServeHTTP(rec, r)
		expectBindingStatus(t, rec, 204, 400, 413, 422)
	})
}
