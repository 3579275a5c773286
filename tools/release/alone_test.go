package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/covetgo/covet/tools/release/internal/release"
)

// TestModulesAlone runs every module's tests the way they run for a user of
// the module: in a copy of the module outside the repository, with GOWORK=off
// and its replace directives dropped, so that this repository's modules come
// from the local proxy at the versions the module requires. A module that
// silently depends on an unreleased change of core (or of any sibling) fails
// here. Tests run with -short (see below). Modules run two at a time (or GOMAXPROCS at a time, if less);
// COVET_RELEASE_PARALLEL=N changes that.
func TestModulesAlone(t *testing.T) {
	repo, _ := repository(t)
	p := proxy(t)
	n := max(1, min(2, runtime.GOMAXPROCS(0)))
	if v, err := strconv.Atoi(os.Getenv(parallelEnv)); err == nil && v > 0 {
		n = v
	}
	slots := make(chan struct{}, n)
	start := time.Now()
	t.Cleanup(func() { t.Logf("all modules alone: %s", time.Since(start).Round(time.Second)) })
	for _, m := range repo.Modules {
		t.Run(m.Dir, func(t *testing.T) {
			t.Parallel()
			slots <- struct{}{}
			defer func() { <-slots }()
			// A fixed directory (under the cache lease, so only runs over the
			// same contents share it) keeps compiled packages cached between runs.
			dir := filepath.Join(release.SharedWorkDir("alone"), filepath.FromSlash(m.Dir))
			files, err := release.WorktreeFiles(repo.Root, m.Dir)
			if err != nil {
				t.Fatal(err)
			}
			var ours []string
			hasSum := false
			for _, f := range files {
				switch f.Name {
				case "go.mod":
					mf, err := modfile.Parse("go.mod", f.Data, nil)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range mf.Replace {
						if err := mf.DropReplace(r.Old.Path, r.Old.Version); err != nil {
							t.Fatal(err)
						}
					}
					for _, r := range mf.Require {
						if strings.HasPrefix(r.Mod.Path, release.RepoModulePath+"/") {
							ours = append(ours, r.Mod.Path+" "+r.Mod.Version)
						}
					}
					mf.Cleanup()
					if f.Data, err = mf.Format(); err != nil {
						t.Fatal(err)
					}
				case "go.sum":
					hasSum = true
					f.Data = append(append([]byte{}, f.Data...), p.GoSum()...)
				}
			}
			if !hasSum {
				files = append(files, &release.File{Name: "go.sum", Data: []byte(p.GoSum()), Mode: 0o644})
			}
			if err := release.SyncDir(dir, files); err != nil {
				t.Fatal(err)
			}
			env := append(p.Env(os.Environ()), nestedEnv+"=1")
			// -short: this pass checks that each module builds and passes
			// against the versions it requires; the long end-to-end tests
			// (real browsers, generated apps built, HTTP/2 floods, scale-out)
			// already ran on the same code in the main run and skip here.
			args := []string{"test", "-count=1", "-short"}
			if deadline, ok := t.Deadline(); ok {
				// Give the module what is left of this binary's time, less a
				// margin, so that running out names the module instead of
				// panicking in the middle of the whole test.
				left := time.Until(deadline) - 30*time.Second
				if left < time.Minute {
					t.Fatalf("%s not run: this test binary's -timeout is nearly used up; run tools/release's tests with a longer -timeout", m.Dir)
				}
				args = append(args, "-timeout", left.Round(time.Second).String())
			}
			began := time.Now()
			out, err := goCmd(t, dir, env, append(args, "./...")...)
			t.Logf("go test ./... alone: %s", time.Since(began).Round(100*time.Millisecond))
			if err != nil {
				hint := ""
				if strings.Contains(out, "[build failed]") || strings.Contains(out, "[setup failed]") {
					hint = fmt.Sprintf("\nIt does not build against the versions it requires. If it uses API that those versions lack, "+
						"raise the require to the version that has it (the current version in %s, e.g. `require %s/core %s`); "+
						"if a dependency is missing, run go mod tidy in the module.", release.VersionsFile, release.RepoModulePath, currentCore())
				}
				t.Errorf("%s: tests fail with GOWORK=off and replace directives dropped (this repository's modules from the local proxy; it requires %s): %v\n%s%s",
					m.Dir, strings.Join(ours, ", "), err, tail(out, 60), hint)
			}
		})
	}
}

// parallelEnv sets how many modules TestModulesAlone tests at once.
const parallelEnv = "COVET_RELEASE_PARALLEL"

func currentCore() string {
	if shared.vers == nil {
		return "vX.Y.Z"
	}
	return release.EntryFor(shared.vers, "core").Version
}
