package covet_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

func TestResponseHelpers(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "report.csv"), []byte("a,b\n1,2\n"), 0o644))
	app := covet.New()
	app.GET("/json", func(c *covet.Context) error { return c.JSON(201, map[string]any{"a": 1, "b": "<x>"}) })
	app.GET("/text", func(c *covet.Context) error { return c.Text(200, "héllo") })
	app.GET("/html", func(c *covet.Context) error { return c.HTML(200, "<p>hi</p>") })
	app.GET("/blob", func(c *covet.Context) error { return c.Blob(200, "image/png", []byte{0x89, 'P', 'N', 'G'}) })
	app.GET("/stream", func(c *covet.Context) error {
		return c.Stream(200, "text/plain", strings.NewReader(strings.Repeat("x", 100000)))
	})
	app.GET("/redirect", func(c *covet.Context) error { return c.Redirect(http.StatusSeeOther, "/text") })
	app.GET("/badredirect", func(c *covet.Context) error { return c.Redirect(200, "/text") })
	app.GET("/file", func(c *covet.Context) error { return c.File(filepath.Join(dir, "report.csv")) })
	app.GET("/download", func(c *covet.Context) error {
		return c.Attachment(filepath.Join(dir, "report.csv"), "Q3 report \"final\".csv")
	})
	app.GET("/nocontent", func(c *covet.Context) error { return c.NoContent(204) })
	app.GET("/big", func(c *covet.Context) error { return c.Text(200, strings.Repeat("b", 5000)) })
	cl := covettest.New(t, app)
	cl.Get("/json").Do().ExpectStatus(201).ExpectHeader("Content-Type", "application/json").ExpectJSON(`{"a":1,"b":"<x>"}`)
	cl.Get("/text").Do().ExpectStatus(200).ExpectHeader("Content-Type", "text/plain; charset=utf-8").ExpectBody("héllo")
	cl.Get("/html").Do().ExpectHeader("Content-Type", "text/html; charset=utf-8").ExpectBody("<p>hi</p>")
	cl.Get("/blob").Do().ExpectHeader("Content-Type", "image/png")
	// Over the wire every body has a Content-Length: net/http sets it for
	// small bodies, the helpers for large ones (no chunked encoding).
	ts := httptest.NewServer(app)
	defer ts.Close()
	for _, p := range []string{"/text", "/blob", "/json", "/big"} {
		res, err := http.Get(ts.URL + p)
		must(t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.ContentLength != int64(len(b)) || len(res.TransferEncoding) != 0 {
			t.Errorf("%s: Content-Length %d for %d bytes, transfer encoding %v", p, res.ContentLength, len(b), res.TransferEncoding)
		}
		hres, err := http.Head(ts.URL + p)
		must(t, err)
		hres.Body.Close()
		if hres.ContentLength != int64(len(b)) {
			t.Errorf("HEAD %s: Content-Length %d, want %d", p, hres.ContentLength, len(b))
		}
	}
	if r := cl.Get("/stream").Do().ExpectStatus(200); len(r.Body) != 100000 {
		t.Errorf("stream body %d bytes", len(r.Body))
	}
	cl.Get("/redirect").Do().ExpectStatus(303).ExpectHeader("Location", "/text")
	cl.Get("/badredirect").Do().ExpectStatus(500)
	cl.Get("/file").Do().ExpectStatus(200).ExpectBody("a,b\n1,2\n").ExpectHeader("Content-Type", "text/csv; charset=utf-8")
	cl.Get("/download").Do().ExpectStatus(200).ExpectHeader("Content-Disposition", `attachment; filename="Q3 report \"final\".csv"`)
	cl.Get("/nocontent").Do().ExpectStatus(204).ExpectBody("")
}

func TestRequestAccessors(t *testing.T) {
	app := covet.New()
	app.GET("/p/{i:int}/{f:float}/{s}/{rest:path}", func(c *covet.Context) error {
		i, err1 := c.ParamInt("i")
		i64, err2 := c.ParamInt64("i")
		f, err3 := c.ParamFloat("f")
		if err1 != nil || err2 != nil || err3 != nil || i != 12 || i64 != 12 || f != 2.5 {
			t.Errorf("typed params %v %v %v %v %v %v", i, i64, f, err1, err2, err3)
		}
		if _, err := c.ParamInt("s"); err == nil {
			t.Error("ParamInt on a string param succeeded")
		}
		if c.Param("rest") != "a/b" || c.Param("none") != "" {
			t.Errorf("rest %q", c.Param("rest"))
		}
		if c.Query("q") != "1" || len(c.QueryValues()["tag"]) != 2 || c.Header("X-A") != "b" {
			t.Errorf("query/header %v", c.QueryValues())
		}
		if c.RemoteIP() != "203.0.113.9" || c.Scheme() != "http" {
			t.Errorf("remote %q scheme %q", c.RemoteIP(), c.Scheme())
		}
		if c.Route().Pattern != "/p/{i:int}/{f:float}/{s}/{rest:path}" {
			t.Errorf("route %+v", c.Route())
		}
		c.SetHeader("X-Out", "1")
		return c.NoContent(204)
	})
	covettest.New(t, app).Get("/p/12/2.5/str/a/b?q=1&tag=x&tag=y").Header("X-A", "b").RemoteAddr("203.0.113.9:5555").Do().
		ExpectStatus(204).ExpectHeader("X-Out", "1")
}

func TestCookies(t *testing.T) {
	app := covet.New()
	app.GET("/set", func(c *covet.Context) error {
		c.SetCookie("sid", "abc")
		c.SetCookie("theme", "dark", covet.CookieScriptReadable(), covet.CookieMaxAge(time.Hour), covet.CookieSameSite(http.SameSiteStrictMode), covet.CookiePath("/app"))
		return c.NoContent(204)
	})
	app.GET("/get", func(c *covet.Context) error {
		v, ok := c.Cookie("sid")
		_, missing := c.Cookie("nope")
		if !ok || missing {
			return c.Text(500, "cookie lookup")
		}
		return c.Text(200, v)
	})
	app.GET("/del", func(c *covet.Context) error { c.DeleteCookie("sid"); return c.NoContent(204) })
	cl := covettest.New(t, app)
	r := cl.Get("/set").Do().ExpectStatus(204)
	set := r.Header.Values("Set-Cookie")
	if len(set) != 2 {
		t.Fatalf("Set-Cookie %v", set)
	}
	for _, want := range []string{"sid=abc", "Path=/", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(set[0], want) {
			t.Errorf("secure defaults: %q lacks %q", set[0], want)
		}
	}
	if strings.Contains(set[0], "Secure") {
		t.Errorf("Secure on a plain HTTP request: %q", set[0])
	}
	if strings.Contains(set[1], "HttpOnly") || !strings.Contains(set[1], "Max-Age=3600") || !strings.Contains(set[1], "SameSite=Strict") || !strings.Contains(set[1], "Path=/app") {
		t.Errorf("options: %q", set[1])
	}
	cl.Get("/get").Do().ExpectStatus(200).ExpectBody("abc")
	d := cl.Get("/del").Do().Header.Get("Set-Cookie")
	if !strings.Contains(d, "sid=") || !strings.Contains(d, "Max-Age=0") {
		t.Errorf("delete cookie %q", d)
	}
	// Over TLS, cookies are Secure by default.
	ts := httptest.NewTLSServer(app)
	defer ts.Close()
	res, err := ts.Client().Get(ts.URL + "/set")
	must(t, err)
	res.Body.Close()
	if !strings.Contains(res.Header.Get("Set-Cookie"), "Secure") {
		t.Errorf("TLS cookie not Secure: %q", res.Header.Get("Set-Cookie"))
	}
}

func TestTypedContextKeys(t *testing.T) {
	type user struct{ name string }
	userKey := covet.NewKey[*user]("test.user")
	countKey := covet.NewKey[int]("test.count")
	app := covet.New()
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			if _, ok := userKey.Get(c); ok {
				t.Error("value leaked from a previous request")
			}
			userKey.Set(c, &user{name: "ada"})
			countKey.Set(c, 1)
			countKey.Set(c, 2)
			return next(c)
		}
	})
	app.GET("/", func(c *covet.Context) error {
		u, _ := userKey.Get(c)
		n, _ := countKey.Get(c)
		countKey.Delete(c)
		if _, ok := countKey.Get(c); ok {
			t.Error("deleted value still there")
		}
		return c.Text(200, u.name+" "+string(rune('0'+n)))
	})
	cl := covettest.New(t, app)
	cl.Get("/").Do().ExpectBody("ada 2")
	cl.Get("/").Do().ExpectBody("ada 2")
}

// TestResponseWrapperOverTheWire: the wrapped writer tracks status and size
// and still flushes and hijacks on a real connection.
func TestResponseWrapperOverTheWire(t *testing.T) {
	app := covet.New(quiet())
	var status int
	var size int64
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			err := next(c)
			status, size = c.Response().Status(), c.Response().Size()
			return err
		}
	})
	flushed := make(chan struct{})
	app.GET("/flush", func(c *covet.Context) error {
		c.Response().WriteHeader(202)
		c.Response().Write([]byte("first"))
		if err := http.NewResponseController(c.Response()).Flush(); err != nil {
			return err
		}
		<-flushed
		_, err := c.Response().Write([]byte(" second"))
		return err
	})
	app.GET("/hijack", func(c *covet.Context) error {
		conn, rw, err := http.NewResponseController(c.Response()).Hijack()
		if err != nil {
			return err
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		return rw.Flush()
	})
	ts := httptest.NewServer(app)
	defer ts.Close()
	res, err := http.Get(ts.URL + "/flush")
	must(t, err)
	buf := make([]byte, 5)
	if _, err := io.ReadFull(res.Body, buf); err != nil || string(buf) != "first" {
		t.Fatalf("flushed chunk %q %v", buf, err)
	}
	close(flushed)
	rest, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 202 || string(rest) != " second" || status != 202 || size != 12 {
		t.Errorf("status %d rest %q tracked %d/%d", res.StatusCode, rest, status, size)
	}
	res, err = http.Get(ts.URL + "/hijack")
	must(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "hijacked" {
		t.Errorf("hijacked body %q", b)
	}
	// Push is not supported over HTTP/1: the error says so.
	var pushErr error
	app2 := covet.New()
	app2.GET("/", func(c *covet.Context) error { pushErr = c.Response().Push("/x", nil); return c.NoContent(204) })
	covettest.New(t, app2).Get("/").Do()
	if pushErr != http.ErrNotSupported {
		t.Errorf("Push: %v", pushErr)
	}
}
