package covet_test

import (
	"os"
	"strings"
)

// githubAPI is the GitHub v3 API route set of the well-known
// go-http-routing-benchmark (203 routes), in httprouter syntax; tests convert
// ":name" to "{name}" for Covet. It is read from testdata/github_routes.txt,
// the one copy, which tools/bench/routing reads too.
var githubAPI = loadGitHubRoutes()

func loadGitHubRoutes() []struct{ method, path string } {
	data, err := os.ReadFile("testdata/github_routes.txt")
	if err != nil {
		panic("covet_test: " + err.Error())
	}
	var out []struct{ method, path string }
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		method, path, ok := strings.Cut(line, " ")
		if !ok {
			panic("covet_test: testdata/github_routes.txt: bad line " + line)
		}
		out = append(out, struct{ method, path string }{method, path})
	}
	return out
}
