package binding

import (
	"reflect"
	"strings"
	"testing"
)

func TestRouteParams(t *testing.T) {
	ps, ok := RouteParams("/users/{id:int}/files/{rest:path}")
	want := []PathParam{{Name: "id"}, {Name: "rest", Rest: true}}
	if !ok || !reflect.DeepEqual(ps, want) {
		t.Fatalf("RouteParams = %v, %v", ps, ok)
	}
	if _, ok := RouteParams("/users/{id:nope}"); ok {
		t.Fatal("a bad pattern parsed")
	}
}

func TestCompileProviderInput(t *testing.T) {
	type query struct {
		Page int `query:"page"`
	}
	type body struct {
		Body struct{ A int }
	}
	type path struct {
		ID int `path:"id"`
	}
	if _, err := CompileProviderInput(reflect.TypeFor[query](), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := CompileProviderInput(reflect.TypeFor[body](), nil); err == nil || !strings.Contains(err.Error(), "not a body") {
		t.Fatalf("a body input: %v", err)
	}
	if _, err := CompileProviderInput(reflect.TypeFor[path](), nil); err == nil || !strings.Contains(err.Error(), "no path fields") {
		t.Fatalf("a path input: %v", err)
	}
}
