package page_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/tmpl"
	"github.com/covetgo/covet/tools/bench/page"
	"github.com/covetgo/covet/tools/bench/suite"
)

// Every Go page server's handler answers the same page (page.Check).
func TestGoServersServeThePage(t *testing.T) {
	raw, err := page.Raw()
	if err != nil {
		t.Fatal(err)
	}
	d := page.New()
	covetTmpl := covet.New()
	if err := covetTmpl.Install(tmpl.New(page.Templates())); err != nil {
		t.Fatal(err)
	}
	covetTmpl.GET(page.Path, func(c *covet.Context) error { return tmpl.Render(c, http.StatusOK, "tasks/index", d) })
	covetTempl := covet.New()
	covetTempl.GET(page.Path, func(c *covet.Context) error {
		return tmpl.RenderComponent(c, http.StatusOK, page.TasksPage(d))
	})
	bodies := map[string]string{}
	for name, h := range map[string]http.Handler{"raw": page.RawHandler(raw, d), "tmpl": covetTmpl, "templ": covetTempl} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, page.Path, nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s: %d %q", name, rec.Code, rec.Header().Get("Content-Type"))
		}
		if err := page.Check(rec.Body.String()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("%s: %d bytes", name, rec.Body.Len())
		bodies[name] = rec.Body.String()
	}
	// plugins/tmpl renders with its compiled executor: byte for byte what
	// html/template renders.
	if bodies["tmpl"] != bodies["raw"] {
		t.Errorf("tmpl's page differs from raw html/template's:\ntmpl %q\nraw  %q", bodies["tmpl"], bodies["raw"])
	}
}

// The templ component renders into a bytes.Buffer with no error.
func TestTasksPage(t *testing.T) {
	var buf bytes.Buffer
	if err := page.TasksPage(page.New()).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	if err := page.Check(buf.String()); err != nil {
		t.Error(err)
	}
}

// Flask + Jinja2 under gunicorn answers the same page (skipped without
// the Debian packages, or with -short).
func TestFlaskPage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: gunicorn takes seconds to start")
	}
	dir, err := suite.ModuleDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"flaskpage", "flaskpage-gthread"} {
		t.Run(name, func(t *testing.T) {
			s, _ := suite.Lookup(name)
			if err := suite.PythonAvailable(s); err != nil {
				if os.Getenv("COVET_REQUIRE_SERVICES") == "1" {
					t.Fatal(err)
				}
				t.Skip(err)
			}
			addr, err := suite.FreeAddr()
			if err != nil {
				t.Fatal(err)
			}
			logf, err := os.Create(filepath.Join(t.TempDir(), "log"))
			if err != nil {
				t.Fatal(err)
			}
			defer logf.Close()
			p, err := s.Start(suite.StartOptions{ModuleDir: dir, Addr: addr, CPU: -1, Log: logf, ReadyTimeout: 60 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Stop()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+page.Path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if err := page.Check(string(body)); err != nil {
				t.Error(err)
			}
			t.Logf("%d bytes", len(body))
		})
	}
}
