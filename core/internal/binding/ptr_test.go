package binding

import (
	"reflect"
	"testing"
	"unsafe"
)

func TestPtr(t *testing.T) {
	type in struct{ A, B int }
	x := &in{}
	if got := Ptr(x); got != unsafe.Pointer(x) {
		t.Fatalf("Ptr(%p) = %p", x, got)
	}
	if got, want := Ptr(x), reflect.ValueOf(x).UnsafePointer(); got != want {
		t.Fatalf("Ptr = %p, reflect says %p", got, want)
	}
	var n *in
	if Ptr(n) != nil {
		t.Fatal("Ptr of a nil pointer is not nil")
	}
	s := new([]string)
	if Ptr(s) != unsafe.Pointer(s) {
		t.Fatal("Ptr of *[]string")
	}
}

// TestStateReusesErrs: the failures' array is kept across pool uses, with
// its values dropped, and Errs is nil when nothing failed.
func TestStateReusesErrs(t *testing.T) {
	vs := NewState()
	vs.reset()
	if vs.Errs() != nil {
		t.Fatal("Errs of a fresh State is not nil")
	}
	vs.Add(FieldError{Location: "query", Field: "a", Message: "bad", Value: "secret"})
	first := vs.Errs()
	if len(first) != 1 || first[0].Field != "a" {
		t.Fatalf("Errs = %+v", first)
	}
	vs.reset()
	if vs.Errs() != nil {
		t.Fatal("Errs after reset is not nil")
	}
	if first[0].Value != nil || first[0].Field != "" {
		t.Fatalf("reset kept the old failure's values: %+v", first[0])
	}
	vs.Add(FieldError{Field: "b"})
	if e := vs.Errs(); len(e) != 1 || e[0].Field != "b" || &e[0] != &first[0] {
		t.Fatalf("second use: %+v (array reused: %v)", e, &e[0] == &first[0])
	}
}
