package problemjson

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

type testFieldError struct {
	Location string `json:"location"`
	Field    string `json:"field"`
	Pointer  string `json:"pointer,omitempty"`
	Message  string `json:"message"`
	Value    any    `json:"value,omitempty"`
}

type testProblem struct {
	Type       string           `json:"type"`
	Title      string           `json:"title"`
	Status     int              `json:"status"`
	Detail     string           `json:"detail,omitempty"`
	Instance   string           `json:"instance,omitempty"`
	RequestID  string           `json:"request_id,omitempty"`
	Errors     []testFieldError `json:"errors,omitempty"`
	Extensions map[string]any   `json:"-"`
}

func TestWrite(t *testing.T) {
	p := testProblem{Type: "about:blank", Title: "Unprocessable Entity", Status: 422, Detail: "validation failed",
		Errors: []testFieldError{{Location: "query", Field: "n", Message: "must be at least 1", Value: 0.0}}}
	want, _ := json.Marshal(p)
	noMarshal := func(any) ([]byte, error) { t.Fatal("marshal called for a plain problem"); return nil, nil }

	w := httptest.NewRecorder()
	w.Header().Set("Content-Length", "99") // a stale one from the failed handler
	Write(w, &p, false, 2048, noMarshal)
	if w.Code != 422 || w.Body.String() != string(want) {
		t.Fatalf("got %d %s, want 422 %s", w.Code, w.Body, want)
	}
	if h := w.Header(); h.Get("Content-Type") != "application/problem+json" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Length") != "" {
		t.Fatalf("headers %v", h)
	}

	// HEAD: the length, no body; a body over small: the length too.
	for _, head := range []bool{true, false} {
		w = httptest.NewRecorder()
		Write(w, &p, head, 10, noMarshal)
		if w.Header().Get("Content-Length") == "" || (w.Body.Len() == 0) != head {
			t.Fatalf("head=%v: length %q, body %q", head, w.Header().Get("Content-Length"), w.Body)
		}
	}

	// Extensions go through marshal; a marshal failure is a bare 500.
	p.Extensions = map[string]any{"x": 1}
	w = httptest.NewRecorder()
	Write(w, &p, false, 2048, func(v any) ([]byte, error) { return []byte(`{"ext":true}`), nil })
	if w.Body.String() != `{"ext":true}` || w.Code != 422 {
		t.Fatalf("marshal's bytes not sent: %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	Write(w, &p, false, 2048, func(any) ([]byte, error) { return nil, errors.New("no") })
	if w.Code != http.StatusInternalServerError || w.Body.String() != `{"type":"about:blank","title":"Internal Server Error","status":500}` {
		t.Fatalf("marshal failure: %d %s", w.Code, w.Body)
	}
}
