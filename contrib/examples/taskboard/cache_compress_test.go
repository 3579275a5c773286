package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/compress"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/ratelimit"
)

// TestCompressionOnTaskboardPages measures plugins/compress on the
// taskboard's own responses: the JSON task list (100 tasks) and the board's
// HTML page with the same tasks, each coding at its default level. The
// issue's target is > 60 % smaller with gzip; every coding is logged:
//
//	go test -run TestCompressionOnTaskboardPages -v ./contrib/examples/taskboard
func TestCompressionOnTaskboardPages(t *testing.T) {
	app, err := NewApp(Config{DatabaseURL: ormtest.SQLite(t).DSN, Logger: slog.New(slog.DiscardHandler),
		WriteLimit: ratelimit.PerSecond(100000)})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Install(compress.New()); err != nil {
		t.Fatal(err)
	}
	covettest.Start(t, app)
	cl := covettest.NewServer(t, app)
	uiSignIn(t, cl) // Ada, signed in through the form: the board page needs a session
	bearer := "Bearer " + token(t, cl, "ada@example.com", "password-of-Ada").AccessToken
	for i := range 100 {
		cl.Post("/api/v1/tasks").Header("Authorization", bearer).
			JSON(map[string]any{"title": fmt.Sprintf("Prepare release notes for module %d", i),
				"description": "Collect the changes since the last tag and write them up for the changelog.",
				"priority":    1 + i%5, "tags": []string{"release", fmt.Sprintf("area-%d", i%6)}}).Do().
			ExpectStatus(http.StatusCreated)
	}
	get := func(path, accept, coding string, withSession bool) (*httptest.ResponseRecorder, []byte) {
		req := httptest.NewRequest(http.MethodGet, "http://localhost"+path, nil)
		req.Header.Set("Accept", accept)
		if coding != "" {
			req.Header.Set("Accept-Encoding", coding)
		}
		if withSession {
			for _, c := range cl.Cookies("/board") {
				req.AddCookie(c)
			}
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		return rec, rec.Body.Bytes()
	}
	for _, page := range []struct {
		name, path, accept string
		session            bool
	}{
		{"JSON list", "/api/v1/tasks?limit=100", "application/json", false},
		{"HTML board", "/board", "text/html", true},
	} {
		_, plain := get(page.path, page.accept, "", page.session)
		for _, coding := range []string{"gzip", "br", "zstd"} {
			rec, body := get(page.path, page.accept, coding, page.session)
			if got := rec.Header().Get("Content-Encoding"); got != coding {
				t.Fatalf("%s with Accept-Encoding %s: Content-Encoding %q", page.name, coding, got)
			}
			saved := 100 * (1 - float64(len(body))/float64(len(plain)))
			t.Logf("%s: %d B, %s %d B: %.1f %% smaller", page.name, len(plain), coding, len(body), saved)
			if coding == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				dec, err := io.ReadAll(zr)
				// (The page's CSRF token may differ between requests; its length does not.)
				if err != nil || len(dec) != len(plain) {
					t.Fatalf("%s: gzip body decodes to %d bytes (%v), want %d", page.name, len(dec), err, len(plain))
				}
				if saved <= 60 {
					t.Errorf("%s: gzip saves %.1f %%, want > 60 %%", page.name, saved)
				}
			}
		}
	}
}
