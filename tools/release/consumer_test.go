package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/covetgo/covet/tools/release/internal/release"
)

// The consumer is an application outside the workspace that go gets core
// and plugins from the local proxy, the way a user would from the real one.
var consumerMain = template.Must(template.New("main").Parse(`package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/contrib/plugins/requestsize"
{{- if .CORS}}
	"github.com/covetgo/covet/plugins/cors"
{{- end}}
)

func main() {
	app := covet.New(covet.WithHealth())
	app.GET("/hello/{name}", func(c *covet.Context) error {
		return c.Text(http.StatusOK, "hello, "+c.Param("name"))
	})
	sizes := requestsize.New()
	if err := app.Install(sizes); err != nil {
		log.Fatal(err)
	}
{{- if .CORS}}
	if err := app.Install(cors.New(cors.WithOrigins("https://app.example"))); err != nil {
		log.Fatal(err)
	}
{{- end}}
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer app.Stop(ctx)
	srv := httptest.NewServer(app)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/hello/gopher", nil)
	req.Header.Set("Origin", "https://app.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Printf("hello: %d %q allow-origin=%q\n", res.StatusCode, body, res.Header.Get("Access-Control-Allow-Origin"))

	res, err = http.Get(srv.URL + requestsize.DefaultPath)
	if err != nil {
		log.Fatal(err)
	}
	var snap requestsize.Snapshot
	if err := json.NewDecoder(res.Body).Decode(&snap); err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	for _, r := range snap.Routes {
		if r.Route == "GET /hello/{name}" {
			fmt.Printf("sizes: %s requests=%d response_bytes=%d\n", r.Route, r.Requests, r.ResponseBytes)
		}
	}
	res, err = http.Get(srv.URL + "/readyz")
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Printf("readyz: %d\n", res.StatusCode)
	fmt.Printf("core %s, requestsize %s\n", covet.Version, requestsize.Version)
}
`))

// runConsumer builds and runs the consumer in a new directory outside the
// workspace and returns its output and the module versions it resolved.
func runConsumer(t *testing.T, versions map[string]string) (output string, resolved map[string]string) {
	t.Helper()
	repo, _ := repository(t)
	p := proxy(t)
	dir := t.TempDir()
	if strings.HasPrefix(dir, repo.Root) {
		t.Fatalf("consumer directory %s is inside the repository", dir)
	}
	_, withCORS := versions["plugins/cors"]
	var src strings.Builder
	if err := consumerMain.Execute(&src, struct{ CORS bool }{withCORS}); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":  "module example.com/consumer\n\ngo 1.25.0\n",
		"go.sum":  p.GoSum() + thirdPartySums(t, repo),
		"main.go": src.String(),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := p.Env(os.Environ())
	args := []string{"get"}
	for d, v := range versions {
		args = append(args, release.RepoModulePath+"/"+d+"@"+v)
	}
	if out, err := goCmd(t, dir, env, args...); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, tail(out, 40))
	}
	if out, err := goCmd(t, dir, env, "build", "-o", "consumer", "."); err != nil {
		t.Fatalf("go build: %v\n%s", err, tail(out, 40))
	}
	out, err := goCmd(t, dir, env, "list", "-m", "-f", "{{.Path}} {{.Version}}", "all")
	if err != nil {
		t.Fatalf("go list -m all: %v\n%s", err, tail(out, 40))
	}
	resolved = map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if path, v, ok := strings.Cut(line, " "); ok && strings.HasPrefix(path, release.RepoModulePath+"/") {
			resolved[strings.TrimPrefix(path, release.RepoModulePath+"/")] = v
		}
	}
	cmd := exec.Command(filepath.Join(dir, "consumer"))
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	run := string(b)
	if err != nil {
		t.Fatalf("running the consumer: %v\n%s", err, tail(run, 40))
	}
	return run, resolved
}

// TestConsumer: an application outside the workspace go gets core and two
// plugins at their versions-file versions from the local proxy, builds, and
// serves a request through both.
func TestConsumer(t *testing.T) {
	repo, vers := repository(t)
	want := map[string]string{
		"core":                        release.EntryFor(vers, "core").Version,
		"contrib/plugins/requestsize": release.EntryFor(vers, "contrib/plugins/requestsize").Version,
	}
	if repo.Module("plugins/cors") != nil {
		want["plugins/cors"] = release.EntryFor(vers, "plugins/cors").Version
	} else {
		t.Log("plugins/cors is not in this tree yet: the consumer uses core and requestsize only")
	}
	out, resolved := runConsumer(t, want)
	t.Logf("consumer output:\n%s", out)
	for d, v := range want {
		if resolved[d] != v {
			t.Errorf("consumer resolved %s %s, want %s", d, resolved[d], v)
		}
	}
	allow := ""
	if _, ok := want["plugins/cors"]; ok {
		allow = "https://app.example"
	}
	for _, line := range []string{
		`hello: 200 "hello, gopher" allow-origin="` + allow + `"`,
		"sizes: GET /hello/{name} requests=1 response_bytes=13",
		"readyz: 200",
		"core " + strings.TrimPrefix(want["core"], "v") + ", requestsize " + strings.TrimPrefix(want["contrib/plugins/requestsize"], "v"),
	} {
		if !strings.Contains(out, line) {
			t.Errorf("consumer output lacks %q", line)
		}
	}
}

// TestPinnedOlderPlugin: a plugin pinned to an older release, built against
// an older core, still builds and serves with the current, newer core.
func TestPinnedOlderPlugin(t *testing.T) {
	_, vers := repository(t)
	rs := release.EntryFor(vers, "contrib/plugins/requestsize")
	old := rs.ReleasedVersions()
	if len(old) == 0 || old[0] == rs.Version {
		t.Fatalf("contrib/plugins/requestsize has no release older than %s in %s to pin", rs.Version, release.VersionsFile)
	}
	core := release.EntryFor(vers, "core").Version
	pinned := old[0]
	out, resolved := runConsumer(t, map[string]string{"core": core, "contrib/plugins/requestsize": pinned})
	t.Logf("consumer output:\n%s", out)
	if resolved["core"] != core || resolved["contrib/plugins/requestsize"] != pinned {
		t.Errorf("resolved core %s and requestsize %s, want %s and %s", resolved["core"], resolved["contrib/plugins/requestsize"], core, pinned)
	}
	p := proxy(t)
	mv := p.Lookup(release.RepoModulePath+"/contrib/plugins/requestsize", pinned)
	if mv == nil || mv.Commit == "" {
		t.Fatalf("requestsize %s is not in the proxy as a version rebuilt from git", pinned)
	}
	mf, err := modfile.Parse("go.mod", mv.GoMod, nil)
	if err != nil {
		t.Fatal(err)
	}
	required := ""
	for _, r := range mf.Require {
		if r.Mod.Path == release.RepoModulePath+"/core" {
			required = r.Mod.Version
		}
	}
	// Core is newer than the one the pinned plugin was released with: a
	// later version, or (while core has one release) the same version whose
	// files have changed since the plugin's release commit.
	repo, _ := repository(t)
	then, err := release.CommitFiles(repo.Root, mv.Commit, "core")
	if err != nil {
		t.Fatal(err)
	}
	now, err := release.WorktreeFiles(repo.Root, "core")
	if err != nil {
		t.Fatal(err)
	}
	changed := release.DiffFiles(then, now)
	if semver.Compare(required, core) >= 0 && len(changed) == 0 {
		t.Errorf("core %s is the very core requestsize %s was released with: this proves no pinning against a newer core", core, pinned)
	}
	t.Logf("requestsize %s was released at %s requiring core %s; the consumer builds it with core %s, %d of whose files changed since that commit",
		pinned, mv.Commit[:12], required, core, len(changed))
	for _, line := range []string{
		"sizes: GET /hello/{name} requests=1 response_bytes=13",
		"readyz: 200",
		"requestsize " + strings.TrimPrefix(pinned, "v"),
	} {
		if !strings.Contains(out, line) {
			t.Errorf("consumer output lacks %q", line)
		}
	}
}
