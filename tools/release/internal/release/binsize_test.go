package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSymbolGroup(t *testing.T) {
	mods := []string{"example.com/app", "github.com/goccy/go-json", "modernc.org/sqlite", "modernc.org/sqlite/lib/x", "gopkg.in/yaml.v3", "github.com/puzpuzpuz/xsync/v3"}
	for _, c := range []struct{ sym, want string }{
		{"github.com/goccy/go-json/internal/encoder/vm.Run", "github.com/goccy/go-json"},
		{"github.com/goccy/go-json.Marshal", "github.com/goccy/go-json"},
		{"modernc.org/sqlite/lib._sqlite3VdbeExec", "modernc.org/sqlite"},
		{"github.com/covetgo/covet/core/internal/binding.(*planCompiler).compile", "github.com/covetgo/covet/core/internal/binding"},
		{"github.com/covetgo/covet/core.(*App).snapshot.Slice[go.shape.[]github.com/covetgo/covet/core.Middleware]", "github.com/covetgo/covet/core"},
		{"slices.pdqsortCmpFunc[go.shape.struct { github.com/goccy/go-json/internal/jsonfields.Options }]", "slices"},
		{"github.com/puzpuzpuz/xsync/v3..dict.MapOf[reflect.Type,int]", "github.com/puzpuzpuz/xsync/v3"},
		{"gopkg.in/yaml.v3.(*parser).parse", "gopkg.in/yaml.v3"},
		{"vendor/golang.org/x/net/idna.idnaValues", "vendor"},
		{"crypto/internal/fips140/nistec.p256PrecomputedEmbed", "crypto"},
		{"net/http.(*conn).serve", "net"},
		{"runtime.mallocgc", "runtime"},
		{"main.main", "main"},
		{"example.com/app/internal/x.F", "example.com/app"},
		{"go:func.*", "(linker)"},
		{"type:*github.com/goccy/go-json.Decoder", "(linker)"},
		{"gclocals·WeP3xUmly8PIWvlDlWbdsw==", "(linker)"},
		{"$f64.3ff0000000000000", "(linker)"},
	} {
		if got := SymbolGroup(c.sym, mods); got != c.want {
			t.Errorf("SymbolGroup(%q) = %q, want %q", c.sym, got, c.want)
		}
	}
}

// TestMeasureBinary builds a small program and checks the measure adds up:
// sections within the file, symbol bytes within the loaded sections, the
// program's own package and the runtime among the groups.
func TestMeasureBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":  "module example.com/sized\n\ngo 1.25\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nvar Table = [4096]int64{1: 1}\n\nfunc main() { fmt.Println(Table[1]) }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "sized")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bs, err := MeasureBinary(bin)
	if err != nil {
		t.Fatal(err)
	}
	var sections int64
	names := map[string]int64{}
	for _, s := range bs.Sections {
		sections += s.Bytes
		names[s.Name] = s.Bytes
	}
	if sections > bs.File || sections < bs.File/2 {
		t.Errorf("sections add up to %d bytes of a %d-byte file", sections, bs.File)
	}
	loaded := names[".text"] + names[".rodata"] + names[".data"] + names[".noptrdata"] + names[".gopclntab"] + names[".typelink"] + names[".itablink"]
	if bs.Symbols == 0 || bs.Symbols > loaded {
		t.Errorf("symbols %d bytes, loaded sections %d", bs.Symbols, loaded)
	}
	groups := map[string]int64{}
	for _, g := range bs.Groups {
		groups[g.Name] = g.Bytes
	}
	// main.Table is 32 KiB of initialized data.
	if groups["main"] < 4096*8 || groups["runtime"] == 0 || groups["fmt"] == 0 {
		t.Errorf("groups main %d, runtime %d, fmt %d bytes; want main ≥ %d", groups["main"], groups["runtime"], groups["fmt"], 4096*8)
	}
	var b strings.Builder
	WriteBinarySize(&b, bs, 5)
	if !strings.Contains(b.String(), "runtime") || !strings.Contains(b.String(), ".text") {
		t.Errorf("table lacks runtime or .text:\n%s", b.String())
	}
	t.Logf("\n%s", b.String())
}

// TestReflectMethodCallers builds two programs with -ldflags=-dumpdep: one
// looking a method up by a name known only at run time, which must be
// reported (main.main), and one calling the method directly, which must
// report nothing.
func TestReflectMethodCallers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	const prog = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"reflect\"\n)\n\ntype T struct{}\n\n// Hello is looked up.\nfunc (T) Hello() string { return \"hi\" }\n\nfunc main() {\n\t%s\n}\n"
	for _, c := range []struct {
		name, body string
		want       bool
	}{
		{"by-variable-name", "fmt.Println(reflect.ValueOf(T{}).MethodByName(os.Args[0]).IsValid())", true},
		{"direct", "fmt.Println(T{}.Hello(), reflect.TypeOf(T{}).Name(), len(os.Args))", false},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/rm\n\ngo 1.25\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(strings.Replace(prog, "%s", c.body, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "build", "-ldflags=-dumpdep", "-o", filepath.Join(dir, "rm"), ".")
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: go build: %v\n%s", c.name, err, stderr.String())
		}
		got, err := ReflectMethodCallers(strings.NewReader(stderr.String()))
		if err != nil {
			t.Fatal(err)
		}
		if c.want != slices.Contains(got, "main.main") || (!c.want && len(got) > 0) {
			t.Errorf("%s: ReflectMethodCallers = %v, want main.main: %t", c.name, got, c.want)
		}
	}
}
