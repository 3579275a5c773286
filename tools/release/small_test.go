package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/covetgo/covet/tools/release/internal/release"
)

// bookshelfFunc is the app both programs below build: orm on SQLite,
// OpenAPI documents and the in-memory rate limiter, one route using the
// database.
const bookshelfFunc = `
func bookshelf() *covet.App {
	app := covet.New()
	if err := app.Install(
		orm.New(orm.WithDriver(sqlite.Driver()), orm.WithDSN("sqlite://:memory:")),
		openapi.New(openapi.WithInfo("Bookshelf", "1.0.0")),
		ratelimit.New(ratelimit.WithDefaultPolicy(ratelimit.NewPolicy("all", ratelimit.WithLimits(ratelimit.PerMinute(100))))),
	); err != nil {
		log.Fatal(err)
	}
	app.GET("/books/count", func(c *covet.Context) error {
		db, err := orm.DB(c)
		if err != nil {
			return err
		}
		var n int
		if err := db.NewRaw("SELECT 41 + 1").Scan(c.Context(), &n); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]int{"count": n})
	})
	return app
}
`

// smallApp is a SQLite-only bookshelf: orm on SQLite, OpenAPI documents and
// the in-memory rate limiter, the app of issue 12's size target.
const smallApp = `package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"io"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/sqlite"
	"github.com/covetgo/covet/plugins/ratelimit"
)

func main() {
	app := bookshelf()
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer app.Stop(ctx)
	srv := httptest.NewServer(app)
	defer srv.Close()
	for _, path := range []string{"/books/count", "/openapi.json"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Printf("%s: %d ratelimit=%t %d bytes\n", path, res.StatusCode, res.Header.Get("RateLimit") != "", len(body))
	}
}
` + bookshelfFunc

// servedTarget is issue 12's size target (go build, no flags), asserted for
// servedApp: under 20 MB.
const servedTarget = 20_000_000

// servedApp is smallApp as a user's app runs: served by app.Run, without
// the HTTP client smallApp checks itself with. Its size is logged only.
const servedApp = `package main

import (
	"log"
	"net/http"
	"os"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/sqlite"
	"github.com/covetgo/covet/plugins/ratelimit"
)

func main() {
	app := bookshelf()
	if err := app.Run(os.Getenv("ADDR")); err != nil {
		log.Fatal(err)
	}
}
` + bookshelfFunc

// TestSmallSQLiteApp builds the SQLite-only app (orm + openapi + in-memory
// ratelimit) outside the workspace from the local module proxy, as a user
// would, and checks that it links no other database driver and no Redis
// client (pgx, go-sql-driver/mysql, go-redis, dockertest), and serves. It
// logs where the bytes go (sections, symbols per package group; the same
// table as `go run ./tools/release size BIN`).
//
// Size (go build, linux/amd64, MB = 10^6 bytes): 36.6 MB (36 modules
// linked, pgx, the MySQL driver and go-redis among them) before the drivers
// and the Redis backend moved to their own packages; 30.6 MB (21 modules)
// after; 28.4 MB (19.7 MB with -ldflags="-s -w") once openapi embeds its
// Swagger UI and ReDoc bundles gzip-compressed (0.8 MB instead of 3.0 MB);
// 23.2 MB (16.1 MB stripped) once neither core's development error page nor
// openapi's docs pages use html/template (text/template's reflection on
// method names made the linker keep every exported method of every linked
// type; the test fails if a reachable function is marked <ReflectMethod>
// in go build -ldflags=-dumpdep again).
//
// 20.11 MB (14.01 MB stripped; the served app 19.52 MB) once core's default
// codec is encoding/json and goccy/go-json moved to the optional package
// core/gojson (typed bodies decoded by core's plan-driven decoder,
// responses by core/internal/jsonenc; 2026-12-07).
//
// Issue 12's target of 20 MB is met by the served app (19.52 MB) but not by
// this test's build, which adds the HTTP client. Before goccy left, of 23.2 MB,
// 5.5 MB is the function table (.gopclntab) and 5.8 MB DWARF and symbol
// tables, both in proportion to the code; by removal (the same app built
// without the part): modernc.org/sqlite (the SQLite C library transpiled to
// Go) about 6.6 MB, core's goccy/go-json 3.2 MB (all four of its encoder
// VMs are linked by its init whatever an app calls), openapi's compressed
// docs bundles 0.8 MB, and this test's own HTTP client in the app
// (httptest + http.Get: net/http's Transport, HTTP/2 and TLS client) 0.6 MB
// (the same app served with app.Run, without the client, is logged as
// "served app"). maxSize is the size measured + 2 %: linking a dropped
// driver again, a template engine, or the uncompressed bundles crosses it.
func TestSmallSQLiteApp(t *testing.T) {
	repo, vers := repository(t)
	p := proxy(t)
	dir := t.TempDir()
	if strings.HasPrefix(dir, repo.Root) {
		t.Fatalf("app directory %s is inside the repository", dir)
	}
	files := map[string]string{
		"go.mod":         "module example.com/bookshelf\n\ngo 1.25.0\n",
		"go.sum":         p.GoSum() + thirdPartySums(t, repo),
		"main.go":        smallApp,
		"served/main.go": servedApp,
	}
	if err := os.Mkdir(filepath.Join(dir, "served"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := p.Env(os.Environ())
	args := []string{"get"}
	for _, d := range []string{"core", "plugins/orm", "plugins/openapi", "plugins/ratelimit"} {
		args = append(args, release.RepoModulePath+"/"+d+"@"+release.EntryFor(vers, d).Version)
	}
	if out, err := goCmd(t, dir, env, args...); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, tail(out, 40))
	}
	if out, err := goCmd(t, dir, env, "build", "-o", "bookshelf", "."); err != nil {
		t.Fatalf("go build: %v\n%s", err, tail(out, 40))
	}
	bin := filepath.Join(dir, "bookshelf")
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	const maxSize = 20_520_000 // 20,109,898 bytes measured + 2 %
	t.Logf("binary: %d bytes, %.2f MB (guard %.2f MB; issue 12's target 20 MB)", st.Size(), float64(st.Size())/1e6, float64(maxSize)/1e6)
	if st.Size() >= maxSize {
		t.Errorf("binary is %d bytes, want < %d", st.Size(), maxSize)
	}
	if bs, err := release.MeasureBinary(bin); err != nil {
		t.Errorf("measuring the binary: %v", err)
	} else {
		var b strings.Builder
		release.WriteBinarySize(&b, bs, 30)
		t.Logf("where the bytes go:\n%s", b.String())
	}
	// No reachable function may look methods up by a run-time name: one such
	// function makes the linker keep every exported method of every linked
	// type (html/template did, 5 MB in this app before it went).
	if out, err := goCmd(t, dir, env, "build", "-ldflags=-dumpdep", "-o", "bookshelf-dumpdep", "."); err != nil {
		t.Errorf("go build -ldflags=-dumpdep: %v\n%s", err, tail(out, 20))
	} else if callers, err := release.ReflectMethodCallers(strings.NewReader(out)); err != nil {
		t.Errorf("reading the dependency dump: %v", err)
	} else if len(callers) > 0 {
		t.Errorf("the app links functions marked <ReflectMethod> (reflect method lookups by run-time name keep every exported method alive): %v", callers)
	}
	if out, err := goCmd(t, dir, env, "build", "-o", "bookshelf-served", "./served"); err == nil {
		if st, err := os.Stat(filepath.Join(dir, "bookshelf-served")); err == nil {
			t.Logf("served app (app.Run, no HTTP client): %d bytes, %.2f MB", st.Size(), float64(st.Size())/1e6)
			// Issue 12's target, for the app as its user builds and runs it.
			if st.Size() >= servedTarget {
				t.Errorf("the served app is %.2f MB, issue 12's target is under %.0f MB", float64(st.Size())/1e6, float64(servedTarget)/1e6)
			}
		} else {
			t.Errorf("the served app: %v", err)
		}
	} else {
		t.Errorf("building the served app: %v\n%s", err, tail(out, 20))
	}
	if out, err := goCmd(t, dir, env, "build", "-ldflags=-s -w", "-o", "bookshelf-stripped", "."); err == nil {
		if st, err := os.Stat(filepath.Join(dir, "bookshelf-stripped")); err == nil {
			t.Logf("stripped binary (-ldflags=\"-s -w\"): %d bytes, %.2f MB", st.Size(), float64(st.Size())/1e6)
		}
	} else {
		t.Logf("stripped build: %v\n%s", err, tail(out, 10))
	}
	mods, err := goCmd(t, dir, env, "version", "-m", bin)
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, mods)
	}
	deps := 0
	for _, line := range strings.Split(mods, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || (f[0] != "dep" && f[0] != "=>") {
			continue
		}
		deps++
		for _, banned := range []string{"github.com/jackc/pgx", "github.com/go-sql-driver/mysql", "github.com/redis/go-redis", "github.com/uptrace/bun/driver/pgdriver", "github.com/ory/dockertest"} {
			if strings.HasPrefix(f[1], banned) {
				t.Errorf("the SQLite-only app links %s", f[1])
			}
		}
	}
	t.Logf("modules linked: %d", deps)
	cmd := exec.Command(bin)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("running the app: %v\n%s", err, tail(string(out), 40))
	}
	for _, want := range []string{"/books/count: 200 ratelimit=true", "/openapi.json: 200"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("app output lacks %q:\n%s", want, out)
		}
	}
}
