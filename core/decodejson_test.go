package covet

import (
	"errors"
	"net/http"
	"testing"
)

func TestAppDecodeJSON(t *testing.T) {
	type msg struct {
		Type string `json:"type" enum:"join,leave"`
		Room string `json:"room" minLength:"1"`
	}
	app := New()
	tests := []struct {
		name   string
		data   string
		status int
	}{
		{"valid", `{"type":"join","room":"a"}`, 0},
		{"malformed", `{"type":`, http.StatusBadRequest},
		{"invalid", `{"type":"dance","room":""}`, http.StatusUnprocessableEntity},
		{"missing", `{}`, http.StatusUnprocessableEntity},
		{"empty", ``, http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m msg
			err := app.DecodeJSON([]byte(tt.data), &m)
			if tt.status == 0 {
				if err != nil || m.Type != "join" || m.Room != "a" {
					t.Fatalf("got %+v, %v", m, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != tt.status {
				t.Fatalf("want status %d, got %v", tt.status, err)
			}
		})
	}
	if err := app.DecodeJSON([]byte(`{}`), msg{}); err == nil {
		t.Fatal("a non-pointer must be refused")
	}
}
