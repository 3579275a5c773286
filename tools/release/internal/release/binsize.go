package release

import (
	"bufio"
	"cmp"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// BinarySize is where the bytes of a Go executable (ELF) go: its file size,
// the size in the file of each section, and the bytes of the symbols of
// each package group that the program loads (code, read-only data and
// initialized data; zero-filled .bss is not in the file and not counted).
//
// Symbol bytes are about 40 % of an unstripped file: the function table
// (.gopclntab), the DWARF debug sections and the symbol table grow with
// the code, so a group's share of the file is roughly its share of the
// symbol bytes.
type BinarySize struct {
	File     int64
	Sections []SizeEntry // by size, descending
	Groups   []SizeEntry // by size, descending; see SymbolGroup
	Symbols  int64       // sum of Groups
}

// SizeEntry is a named byte count.
type SizeEntry struct {
	Name  string
	Bytes int64
}

// MeasureBinary reads the ELF executable at path. It needs the symbol table,
// so a binary built with -ldflags=-s has no Groups.
func MeasureBinary(path string) (*BinarySize, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bs := &BinarySize{File: st.Size()}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOBITS || s.Type == elf.SHT_NULL || s.FileSize == 0 {
			continue
		}
		bs.Sections = append(bs.Sections, SizeEntry{s.Name, int64(s.FileSize)})
	}
	sortEntries(bs.Sections)
	var modules []string
	if bi, err := buildinfo.ReadFile(path); err == nil {
		modules = append(modules, bi.Main.Path)
		for _, d := range bi.Deps {
			modules = append(modules, d.Path) // a replaced module's symbols keep this path
		}
	}
	syms, err := f.Symbols()
	if err != nil && len(syms) == 0 {
		return bs, nil // stripped
	}
	groups := map[string]int64{}
	for _, s := range syms {
		if s.Size == 0 || int(s.Section) >= len(f.Sections) || s.Section == elf.SHN_UNDEF {
			continue
		}
		if f.Sections[s.Section].Type == elf.SHT_NOBITS {
			continue
		}
		groups[SymbolGroup(s.Name, modules)] += int64(s.Size)
		bs.Symbols += int64(s.Size)
	}
	for g, n := range groups {
		bs.Groups = append(bs.Groups, SizeEntry{g, n})
	}
	sortEntries(bs.Groups)
	return bs, nil
}

func sortEntries(es []SizeEntry) {
	slices.SortFunc(es, func(a, b SizeEntry) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), strings.Compare(a.Name, b.Name))
	})
}

// covetPrefix is the prefix of this repository's modules: their symbols are
// grouped by package, not by module.
const covetPrefix = RepoModulePath + "/"

// SymbolGroup names the group a Go symbol's bytes are counted in:
//   - this repository's packages by package path ("github.com/covetgo/covet/core/internal/binding");
//   - other modules by module path, the longest of modules that prefixes the
//     symbol's package ("modernc.org/sqlite", "github.com/goccy/go-json");
//   - the standard library by its first path element ("crypto", "net",
//     "runtime"; "vendor" for its vendored golang.org/x packages);
//   - "(linker)" for the linker's own tables (go:func.*, go:itab.*,
//     type:*, gclocals·*, $f64.*).
//
// A generic function instantiated for another package's types counts for
// the package that declares the function (slices.pdqsortCmpFunc[...] for
// "slices").
func SymbolGroup(sym string, modules []string) string {
	if strings.HasPrefix(sym, "go:") || strings.HasPrefix(sym, "type:") || strings.HasPrefix(sym, "gclocals") || strings.HasPrefix(sym, "$") {
		return "(linker)"
	}
	name := sym
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i] // type arguments name other packages
	}
	pkg := symbolPackage(name)
	if pkg == "" {
		return "(linker)"
	}
	if strings.HasPrefix(pkg+"/", covetPrefix) {
		return pkg
	}
	best := ""
	for _, m := range modules {
		if (pkg == m || strings.HasPrefix(pkg, m+"/") || strings.HasPrefix(name, m+".")) && len(m) > len(best) {
			best = m
		}
	}
	if best != "" {
		return best
	}
	if first, _, _ := strings.Cut(pkg, "/"); !strings.Contains(first, ".") {
		return first // standard library
	}
	return pkg
}

// symbolPackage is the package path of a symbol name without type
// arguments: everything up to the first dot after the last slash
// ("golang.org/x/net/http2.(*Framer).ReadFrame" → "golang.org/x/net/http2").
// A last path element with a dot in it (gopkg.in/yaml.v3) is cut at that
// dot; SymbolGroup's module match by prefix still finds its module.
func symbolPackage(name string) string {
	name = strings.TrimPrefix(name, "(")
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return ""
	}
	return name[:slash+1+dot]
}

// WriteBinarySize writes bs as two tables (sections, then the top groups;
// top <= 0 writes every group) with sizes in MB (10^6 bytes).
func WriteBinarySize(w io.Writer, bs *BinarySize, top int) {
	mb := func(n int64) string { return fmt.Sprintf("%7.3f MB", float64(n)/1e6) }
	fmt.Fprintf(w, "file %s (%d bytes)\n", mb(bs.File), bs.File)
	fmt.Fprintln(w, "sections (bytes in the file):")
	for _, s := range bs.Sections {
		if s.Bytes >= 10_000 {
			fmt.Fprintf(w, "  %s  %s\n", mb(s.Bytes), s.Name)
		}
	}
	fmt.Fprintf(w, "symbols by package group (%s in all):\n", mb(bs.Symbols))
	for i, g := range bs.Groups {
		if top > 0 && i == top {
			var rest int64
			for _, r := range bs.Groups[i:] {
				rest += r.Bytes
			}
			fmt.Fprintf(w, "  %s  (%d more groups)\n", mb(rest), len(bs.Groups)-i)
			break
		}
		fmt.Fprintf(w, "  %s  %5.1f %%  %s\n", mb(g.Bytes), 100*float64(g.Bytes)/float64(max(bs.Symbols, 1)), g.Name)
	}
}

// ReflectMethodCallers reads the linker's dependency dump (go build
// -ldflags=-dumpdep, written to standard error) and returns the reachable
// symbols marked <ReflectMethod>: functions that look a method up by reflect
// with a name the compiler cannot see (reflect.Value.MethodByName with a
// variable, Type.Method, text/template's execution). One of them makes the
// linker keep every exported method of every reachable type, used or not.
func ReflectMethodCallers(dumpdep io.Reader) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(dumpdep)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "<ReflectMethod>") {
			continue
		}
		from, to, ok := strings.Cut(line, " -> ")
		if !ok {
			continue
		}
		for _, side := range []string{from, to} {
			name, flags, _ := strings.Cut(side, " <")
			if strings.Contains("<"+flags, "<ReflectMethod>") && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	return out, sc.Err()
}
