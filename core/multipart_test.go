package covet_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type uploadIn struct {
	Title string        `form:"title" minLength:"2"`
	Tags  []string      `form:"tag" maxItems:"3"`
	File  *covet.File   `form:"file" required:"true"`
	More  []*covet.File `form:"more" maxItems:"2"`
}

type uploadOut struct {
	Title    string   `json:"title"`
	Tags     []string `json:"tags"`
	Filename string   `json:"filename"`
	Size     int64    `json:"size"`
	Sum      string   `json:"sum"`
	InMemory bool     `json:"in_memory"`
	More     int      `json:"more"`
}

// spooled records the temporary files of the last upload, to check they are removed.
var spooled []string

func uploadApp(lim covet.MultipartLimits) *covet.App {
	app := covet.New(covet.WithMultipartLimits(lim))
	covet.Post(app, "/upload", func(c *covet.Context, in *uploadIn) (*uploadOut, error) {
		f, err := in.File.Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if osf, ok := f.(*os.File); ok {
			spooled = append(spooled, osf.Name())
		}
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return nil, err
		}
		return &uploadOut{Title: in.Title, Tags: in.Tags, Filename: in.File.Filename, Size: in.File.Size,
			Sum: hex.EncodeToString(h.Sum(nil)), InMemory: in.File.InMemory(), More: len(in.More)}, nil
	})
	covet.Post(app, "/form", func(c *covet.Context, in *struct {
		Title string   `form:"title" minLength:"2"`
		N     int      `form:"n" default:"3"`
		Tags  []string `form:"tag"`
	}) (*map[string]any, error) {
		return &map[string]any{"title": in.Title, "n": in.N, "tags": in.Tags}, nil
	})
	app.POST("/stream", func(c *covet.Context) error {
		var names []string
		var total int64
		err := c.Multipart(func(p *covet.Part) error {
			names = append(names, p.Name+"="+p.Filename)
			n, err := io.Copy(io.Discard, p)
			total += n
			return err
		})
		if err != nil {
			return err
		}
		return c.JSON(200, map[string]any{"parts": names, "bytes": total})
	})
	return app
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestMultipartUpload(t *testing.T) {
	cl := covettest.New(t, uploadApp(covet.MultipartLimits{MaxMemory: 1024}))
	small := []byte("hello")
	large := bytes.Repeat([]byte("0123456789"), 1000)
	t.Run("small file in memory", func(t *testing.T) {
		var out uploadOut
		cl.Post("/upload").Field("title", "Report").Field("tag", "a").Field("tag", "b").File("file", "../../etc/passwd", small).Do().ExpectStatus(200).Decode(&out)
		if out.Filename != "passwd" || out.Size != 5 || out.Sum != sum(small) || !out.InMemory || strings.Join(out.Tags, ",") != "a,b" {
			t.Errorf("%+v", out)
		}
	})
	t.Run("large file spooled and removed", func(t *testing.T) {
		spooled = nil
		var out uploadOut
		cl.Post("/upload").Field("title", "Big").File("file", `C:\Users\x\big.bin`, large).File("more", "a", small).File("more", "b", small).Do().ExpectStatus(200).Decode(&out)
		if out.Filename != "big.bin" || out.Size != int64(len(large)) || out.Sum != sum(large) || out.InMemory || out.More != 2 {
			t.Errorf("%+v", out)
		}
		if len(spooled) != 1 {
			t.Fatalf("spooled %v", spooled)
		}
		if _, err := os.Stat(spooled[0]); !os.IsNotExist(err) {
			t.Errorf("temporary file %s still exists after the request (%v)", spooled[0], err)
		}
	})
	t.Run("422 on fields and missing file", func(t *testing.T) {
		p := cl.Post("/upload").Field("title", "x").Field("tag", "1").Field("tag", "2").Field("tag", "3").Field("tag", "4").Do().ExpectStatus(422).Problem()
		got := fieldSet(p)
		for _, w := range []string{"form:title::must be at least 2", "form:tag::must have at most 3 items", "form:file::is required"} {
			if !strings.Contains(got, w) {
				t.Errorf("missing %q in %s", w, got)
			}
		}
	})
	t.Run("415 for urlencoded when files are expected", func(t *testing.T) {
		cl.Post("/upload").Form(url.Values{"title": {"ab"}}).Do().ExpectStatus(415)
		cl.Post("/upload").RawJSON(`{}`).Do().ExpectStatus(415)
	})
	t.Run("urlencoded form", func(t *testing.T) {
		cl.Post("/form").Form(url.Values{"title": {"Hello"}, "tag": {"x", "y"}}).Do().ExpectStatus(200).ExpectJSON(`{"title":"Hello","n":3,"tags":["x","y"]}`)
		cl.Post("/form").Field("title", "Hi").Field("n", "7").Do().ExpectStatus(200).ExpectJSON(`{"title":"Hi","n":7,"tags":null}`)
		cl.Post("/form").Form(url.Values{"title": {"H"}, "n": {"x"}}).Do().ExpectStatus(422)
	})
	t.Run("streaming parts to the handler", func(t *testing.T) {
		cl.Post("/stream").Field("a", "1").File("f", "x/y.txt", large).Do().ExpectStatus(200).ExpectJSON(`{"parts":["a=","f=y.txt"],"bytes":10001}`)
	})
}

func TestMultipartLimits(t *testing.T) {
	lim := covet.MultipartLimits{MaxBodySize: 64 << 10, MaxFileSize: 4 << 10, MaxParts: 4, MaxHeaderSize: 512, MaxFieldSize: 100, MaxMemory: 1024}
	cl := covettest.New(t, uploadApp(lim))
	bigFiles := lim
	bigFiles.MaxFileSize = 1 << 20
	cl2 := covettest.New(t, uploadApp(bigFiles))
	cases := []struct {
		name   string
		req    func() *covettest.Request
		status int
		detail string
	}{
		{"file over MaxFileSize", func() *covettest.Request {
			return cl.Post("/upload").Field("title", "ok").File("file", "f", make([]byte, 5<<10))
		}, 413, `file "file" is larger than the limit of 4096 bytes`},
		{"body over MaxBodySize", func() *covettest.Request {
			return cl2.Post("/stream").File("a", "f", make([]byte, 40<<10)).File("b", "f", make([]byte, 40<<10))
		}, 413, "larger than the limit of 65536 bytes"},
		{"too many parts", func() *covettest.Request {
			r := cl.Post("/stream")
			for i := 0; i < 6; i++ {
				r.Field(fmt.Sprint("f", i), "v")
			}
			return r
		}, 413, "more than 4 parts"},
		{"field over MaxFieldSize", func() *covettest.Request {
			return cl.Post("/stream").Field("a", strings.Repeat("x", 200))
		}, 413, `field "a" is larger than the limit of 100 bytes`},
		{"part header over MaxHeaderSize", func() *covettest.Request {
			return cl.Post("/stream").File("a", strings.Repeat("n", 16<<10), []byte("x"))
		}, 400, "part header is larger than the limit of 512 bytes"},
		{"malformed multipart", func() *covettest.Request {
			return cl.Post("/stream").Body("multipart/form-data; boundary=zzz", strings.NewReader("--zzz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue"))
		}, 400, "multipart body ended early"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.req().Do().ExpectStatus(tc.status).Problem()
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q, want %q", p.Detail, tc.detail)
			}
		})
	}
}

// TestMultipartHandlerErrors: an error a Multipart callback returns is the
// handler's (a failure of its own is a 500, a *covet.Error keeps its
// status); only the errors reading the part gave, returned or wrapped,
// are answered as multipart errors (400, 413).
func TestMultipartHandlerErrors(t *testing.T) {
	errDB := errors.New("database is down")
	var got error
	app := covet.New(covet.WithMultipartLimits(covet.MultipartLimits{MaxFieldSize: 10}))
	app.POST("/m", func(c *covet.Context) error {
		got = c.Multipart(func(p *covet.Part) error {
			_, err := io.Copy(io.Discard, p)
			switch {
			case err != nil && p.Name == "wrap":
				return fmt.Errorf("reading %s: %w", p.Name, err)
			case err != nil:
				return err
			case p.Name == "db":
				return fmt.Errorf("saving: %w", errDB)
			case p.Name == "conflict":
				return covet.NewError(409, "already uploaded")
			}
			return nil
		})
		if got != nil {
			return got
		}
		return c.NoContent(204)
	})
	cl := covettest.New(t, app)
	cl.Post("/m").Field("db", "v").Do().ExpectStatus(500)
	if !errors.Is(got, errDB) {
		t.Errorf("Multipart returned %v, want the callback's error", got)
	}
	cl.Post("/m").Field("conflict", "v").Do().ExpectStatus(409)
	cl.Post("/m").Field("a", strings.Repeat("x", 20)).Do().ExpectStatus(413)
	cl.Post("/m").Field("wrap", strings.Repeat("x", 20)).Do().ExpectStatus(413)
	p := cl.Post("/m").Body("multipart/form-data; boundary=zzz", strings.NewReader("--zzz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue")).Do().ExpectStatus(400).Problem()
	if !strings.Contains(p.Detail, "ended early") {
		t.Errorf("detail %q", p.Detail)
	}
	cl.Post("/m").Field("ok", "v").Do().ExpectStatus(204)
}
