package keys

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/covetgo/covet/core/internal/logx"
)

type ctxKey struct{}

func TestSetLookupDelete(t *testing.T) {
	a, b := new(int), new(int)
	var vals []Value
	var added bool
	if vals, added = Set(vals, a, 1); !added {
		t.Fatal("first Set did not add")
	}
	if vals, added = Set(vals, a, 2); added || len(vals) != 1 {
		t.Fatalf("replacing Set added: %v", vals)
	}
	vals, _ = Set(vals, b, 3)
	if v, ok := Lookup(vals, a); !ok || v != 2 {
		t.Fatalf("Lookup(a) = %v, %v", v, ok)
	}
	Delete(&vals, a)
	if _, ok := Lookup(vals, a); ok || len(vals) != 1 {
		t.Fatalf("after Delete: %v", vals)
	}
	if got := vals[:2][1]; got != (Value{}) {
		t.Fatalf("Delete left the freed slot set: %v", got)
	}
	Delete(&vals, a) // absent: no-op
	if v, ok := Lookup(vals, b); !ok || v != 3 {
		t.Fatalf("Lookup(b) = %v, %v", v, ok)
	}
}

func TestStoreOnContext(t *testing.T) {
	k := new(int)
	pooled := []Value{{Key: k, Val: "v"}}
	s := NewStore("req-1", pooled)
	if pooled[0] != (Value{}) {
		t.Fatal("NewStore did not clear the pooled slice")
	}
	r := httptest.NewRequest("GET", "/", nil)
	base := context.WithValue(r.Context(), ctxKey{}, "other")
	r = r.WithContext(base)
	r2, attached := Attach(r, r.Context(), s)
	if !attached || r2 == r {
		t.Fatal("first Attach did not copy the request")
	}
	if From(r2.Context()) != s || r2.Context() != context.Context(s) {
		t.Fatal("the store is not the request's context layer")
	}
	if r2.Context().Value(logx.RequestIDKey{}) != "req-1" || r2.Context().Value(ctxKey{}) != "other" {
		t.Fatal("the store hides the request ID or the parent's values")
	}
	if r3, attached := Attach(r2, r2.Context(), s); attached || r3 != r2 {
		t.Fatal("Attach copied a request that carries the store")
	}
	// A context derived from one without the store gets it back as a layer.
	r4, attached := Attach(r, base, s)
	if !attached || From(r4.Context()) != s || r4.Context().Value(ctxKey{}) != "other" {
		t.Fatal("the layer does not carry the store and the parent's values")
	}
	if r4.Context().Value(logx.RequestIDKey{}) != "req-1" {
		t.Fatal("the layer hides the request ID")
	}
	if From(context.Background()) != nil || From(nilContext) != nil {
		t.Fatal("From found a store where there is none")
	}
	if v, ok := Lookup(s.Vals, k); !ok || v != "v" {
		t.Fatal("the store lost the value")
	}
}

var nilContext context.Context

// TestFirstAttachAllocatesOnce: the first attach makes the store and the
// request copy carrying it in one allocation, and the copy is the request
// with only its context changed.
func TestFirstAttachAllocatesOnce(t *testing.T) {
	k := new(int)
	r := httptest.NewRequest("GET", "/x?y=1", nil)
	var s State
	allocs := testing.AllocsPerRun(100, func() {
		s.Reset()
		s.Set(k, 1)
		s.SetRequestID("id-1")
		_ = s.Request(r, "id-1")
	})
	if allocs != 1 {
		t.Errorf("%.1f allocations per first attach, want 1", allocs)
	}
	s.Reset()
	s.Set(k, "v")
	s.SetRequestID("id-2")
	r2 := s.Request(r, "id-2")
	if r2 == r || r2.URL != r.URL || r2.Method != r.Method || r2.Header == nil {
		t.Fatal("the copy is not the request")
	}
	if r.Context() == r2.Context() || From(r2.Context()) == nil {
		t.Fatal("the copy does not carry the store")
	}
	if v, _ := r2.Context().Value(logx.RequestIDKey{}).(string); v != "id-2" {
		t.Fatalf("request ID %q", v)
	}
	if v, ok := s.Get(k); !ok || v != "v" {
		t.Fatal("the value is lost")
	}
	if r3 := s.Request(r2, "id-2"); r3 != r2 {
		t.Fatal("a second Request copied again")
	}
}
