package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPprofAddr: TASKBOARD_PPROF_ADDR serves the runtime profiles on its own
// listener; an address that cannot be listened on is an error at start.
func TestPprofAddr(t *testing.T) {
	if err := servePprof("127.0.0.1:0", slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if err := servePprof("256.0.0.1:0", slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "TASKBOARD_PPROF_ADDR") {
		t.Fatalf("bad address: %v, want an error naming TASKBOARD_PPROF_ADDR", err)
	}
	srv := pprofHandler()
	for path, want := range map[string]string{"/debug/pprof/": "goroutine", "/debug/pprof/cmdline": "", "/debug/pprof/heap?debug=1": "heap profile"} {
		rec := httptest.NewRecorder()
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("GET %s: %d %.200q, want 200 containing %q", path, rec.Code, rec.Body.String(), want)
		}
	}
}
