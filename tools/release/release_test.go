package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/covetgo/covet/tools/release/internal/release"
)

// nestedEnv is set when this module's own tests run inside TestModulesAlone:
// the repository-wide tests then skip (they would recurse, and a copy of the
// module alone has no repository around it).
const nestedEnv = "COVET_RELEASE_NESTED"

var (
	shared struct {
		once  sync.Once
		err   error
		root  string
		repo  *release.Repo
		vers  *release.Versions
		work  string
		proxy *release.Proxy
		lease *release.CacheLease
	}
	proxyOnce sync.Once
	proxyErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	shared.lease.Release()
	if shared.work != "" {
		os.RemoveAll(shared.work)
	}
	os.Exit(code)
}

// repository returns the repository this test runs in, its modules and its
// versions file, loaded once.
func repository(t *testing.T) (*release.Repo, *release.Versions) {
	t.Helper()
	if os.Getenv(nestedEnv) == "1" {
		t.Skip("repository-wide check: skipped inside TestModulesAlone")
	}
	shared.once.Do(func() {
		wd, _ := os.Getwd()
		if shared.root, shared.err = release.FindRoot(wd); shared.err != nil {
			return
		}
		if shared.repo, shared.err = release.Discover(shared.root); shared.err != nil {
			return
		}
		if shared.vers, shared.err = release.LoadVersions(shared.root); shared.err != nil {
			return
		}
		shared.work, shared.err = os.MkdirTemp("", "covet-release-test-")
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.repo, shared.vers
}

// proxy returns the local module proxy built from the repository, once per
// test binary, holding a lease on the module cache for the binary's life so
// that a concurrent run over other contents cannot swap our modules' copies.
func proxy(t *testing.T) *release.Proxy {
	t.Helper()
	repo, vers := repository(t)
	proxyOnce.Do(func() {
		dir := filepath.Join(shared.work, "proxy")
		if proxyErr = os.MkdirAll(dir, 0o755); proxyErr != nil {
			return
		}
		if shared.proxy, proxyErr = release.BuildProxy(repo, vers, dir); proxyErr != nil {
			return
		}
		shared.lease, proxyErr = shared.proxy.LeaseCache(func(msg string) { t.Log(msg) })
	})
	if proxyErr != nil {
		t.Fatal(proxyErr)
	}
	return shared.proxy
}

func report(t *testing.T, problems []release.Problem) {
	t.Helper()
	for _, p := range problems {
		t.Errorf("%s", p)
	}
}

func TestVersionsFileComplete(t *testing.T) {
	repo, vers := repository(t)
	report(t, release.CheckCompleteness(repo, vers))
}

func TestModuleHygiene(t *testing.T) {
	repo, vers := repository(t)
	report(t, release.CheckHygiene(repo, vers))
}

func TestReleasedVersionsUnchanged(t *testing.T) {
	repo, vers := repository(t)
	problems, err := release.CheckReleasedUnchanged(repo, vers)
	if err != nil {
		t.Fatal(err)
	}
	report(t, problems)
}

func TestAPIGuard(t *testing.T) {
	repo, vers := repository(t)
	g := &release.Guard{Root: repo.Root, Work: release.SharedWorkDir("trees")}
	checked := 0
	for _, m := range repo.Modules {
		t.Run(m.Dir, func(t *testing.T) {
			c, err := g.Check(m, release.EntryFor(vers, m.Dir))
			if err != nil {
				t.Fatal(err)
			}
			if c == nil {
				t.Skipf("nothing released yet at %s", release.EntryFor(vers, m.Dir).Version)
			}
			checked++
			t.Logf("%s -> %s: %d incompatible, %d compatible changes", c.Base, c.Version, len(c.Incompatible), len(c.Compatible))
			if p := c.Problem(); p != nil {
				t.Errorf("%s", p)
			}
		})
	}
	if checked == 0 {
		t.Error("no module has a recorded release: the API guard compared nothing")
	}
}

func TestTagsOnRepository(t *testing.T) {
	repo, vers := repository(t)
	cmds, problems := release.TagCommands(repo, vers)
	report(t, problems)
	joined := strings.Join(cmds, "\n")
	for _, dir := range vers.Dirs() {
		e := vers.Modules[dir]
		for _, rv := range e.ReleasedVersions() {
			tag := release.TagName(dir, rv)
			if _, tagged := release.TagCommit(repo.Root, tag); !tagged && !strings.Contains(joined, "git tag -a "+tag+" "+e.Released[rv]) {
				t.Errorf("no tag command for %s at %s in:\n%s", tag, e.Released[rv], joined)
			}
		}
	}
}

// goCmd runs the go command in dir with env and returns its combined output.
func goCmd(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// thirdPartySums returns the go.sum lines of every module of the
// repository, so that a consumer outside the workspace verifies third-party
// modules without asking the checksum database.
func thirdPartySums(t *testing.T, repo *release.Repo) string {
	t.Helper()
	seen := map[string]bool{}
	var b strings.Builder
	for _, m := range repo.Modules {
		data, err := os.ReadFile(filepath.Join(repo.Root, filepath.FromSlash(m.Dir), "go.sum"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line != "" && !seen[line] {
				seen[line] = true
				fmt.Fprintln(&b, line)
			}
		}
	}
	return b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
