package covet

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestRootHasNoUnsafe keeps the root package free of unsafe (issue 12): the
// typed engine's pointer arithmetic lives in core/internal/binding and
// core/internal/inject, which take typed pointers as interfaces.
func TestRootHasNoUnsafe(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "unsafe" {
				t.Errorf("%s imports unsafe: move the conversion into an internal package", name)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d files: not run in the package directory?", checked)
	}
}
