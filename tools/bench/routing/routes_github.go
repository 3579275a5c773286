package routing

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"

	covet "github.com/covetgo/covet/core"
)

// GitHubAPI is the GitHub v3 API route set of the well-known
// go-http-routing-benchmark (203 routes), in httprouter syntax: reference
// data read from core's testdata/github_routes.txt, the one copy, which
// core's router tests read too.
var GitHubAPI = mustLoadGitHub()

// githubRoutesFile is the table's path inside the core module.
const githubRoutesFile = "testdata/github_routes.txt"

func mustLoadGitHub() []Route {
	dir, err := coreDir()
	if err != nil {
		panic("routing: find the core module's directory for " + githubRoutesFile + ": " + err.Error())
	}
	data, err := os.ReadFile(filepath.Join(dir, githubRoutesFile))
	if err != nil {
		panic("routing: " + err.Error())
	}
	routes, err := parseRoutes(string(data))
	if err != nil {
		panic("routing: " + githubRoutesFile + ": " + err.Error())
	}
	return routes
}

// coreDir finds the directory of the core module this binary was built
// from: where the source of covet.New is (a build without -trimpath, as go
// test and go run make), else what the go command says.
func coreDir() (string, error) {
	if fn := runtime.FuncForPC(reflect.ValueOf(covet.New).Pointer()); fn != nil {
		file, _ := fn.FileLine(fn.Entry())
		dir := filepath.Dir(file)
		if _, err := os.Stat(filepath.Join(dir, githubRoutesFile)); err == nil {
			return dir, nil
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/covetgo/covet/core").Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// parseRoutes reads "METHOD path" lines; blank lines and "#" comments are
// skipped.
func parseRoutes(data string) ([]Route, error) {
	var out []Route
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		method, path, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("line %d: want \"METHOD path\", got %q", i+1, line)
		}
		out = append(out, Route{method, path})
	}
	return out, nil
}
