package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	start := time.Now()
	times := loadAloneTimes()
	t.Cleanup(func() {
		t.Logf("all modules alone: %s", time.Since(start).Round(time.Second))
		times.save()
	})
	// Give each module what is left of this binary's time, less a margin,
	// so that running out names the module instead of panicking in the
	// middle of the whole test.
	deadline, hasDeadline := t.Deadline()
	// The modules run in n workers, longest first: started last,
	// contrib/examples (over half of the whole) ran alone for minutes while
	// the other worker sat idle. The subtests (those -run selects) only
	// wait for their module's result and report it.
	order := aloneOrder(repo.Modules, times)
	results := make([]*aloneResult, len(order))
	var selected []int
	for i, m := range order {
		results[i] = &aloneResult{done: make(chan struct{})}
		t.Run(m.Dir, func(t *testing.T) {
			selected = append(selected, i)
			t.Parallel()
			r := results[i]
			<-r.done
			if r.err != nil {
				t.Fatal(r.err)
			}
			t.Logf("go test ./... alone: %s", r.took.Round(100*time.Millisecond))
			if r.testErr != nil {
				hint := ""
				if strings.Contains(r.out, "[build failed]") || strings.Contains(r.out, "[setup failed]") {
					hint = fmt.Sprintf("\nIt does not build against the versions it requires. If it uses API that those versions lack, "+
						"raise the require to the version that has it (the current version in %s, e.g. `require %s/core %s`); "+
						"if a dependency is missing, run go mod tidy in the module.", release.VersionsFile, release.RepoModulePath, currentCore())
				}
				t.Errorf("%s: tests fail with GOWORK=off and replace directives dropped (this repository's modules from the local proxy; it requires %s): %v\n%s%s",
					m.Dir, strings.Join(r.ours, ", "), r.testErr, tail(r.out, 60), hint)
			}
		})
	}
	next := make(chan int, len(selected))
	for _, i := range selected {
		next <- i
	}
	close(next)
	for range n {
		go func() {
			for i := range next {
				m, r := order[i], results[i]
				r.run(repo, p, m, deadline, hasDeadline)
				if r.err == nil {
					times.record(m.Dir, r.took)
				}
				close(r.done)
			}
		}()
	}
}

// aloneResult is one module's run alone.
type aloneResult struct {
	done    chan struct{}
	ours    []string      // this repository's modules it requires, "path version"
	out     string        // go test's output
	took    time.Duration // go test's run time
	testErr error         // go test failed
	err     error         // the run could not be set up
}

// run copies module m out of the repository with its replace directives
// dropped and runs its tests with GOWORK=off against the proxy p.
func (r *aloneResult) run(repo *release.Repo, p *release.Proxy, m *release.Module, deadline time.Time, hasDeadline bool) {
	// A fixed directory (under the cache lease, so only runs over the
	// same contents share it) keeps compiled packages cached between runs.
	dir := filepath.Join(release.SharedWorkDir("alone"), filepath.FromSlash(m.Dir))
	files, err := release.WorktreeFiles(repo.Root, m.Dir)
	if err != nil {
		r.err = err
		return
	}
	hasSum := false
	for _, f := range files {
		switch f.Name {
		case "go.mod":
			mf, err := modfile.Parse("go.mod", f.Data, nil)
			if err != nil {
				r.err = err
				return
			}
			for _, rp := range mf.Replace {
				if err := mf.DropReplace(rp.Old.Path, rp.Old.Version); err != nil {
					r.err = err
					return
				}
			}
			for _, rq := range mf.Require {
				if strings.HasPrefix(rq.Mod.Path, release.RepoModulePath+"/") {
					r.ours = append(r.ours, rq.Mod.Path+" "+rq.Mod.Version)
				}
			}
			mf.Cleanup()
			if f.Data, err = mf.Format(); err != nil {
				r.err = err
				return
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
		r.err = err
		return
	}
	env := append(p.Env(os.Environ()), nestedEnv+"=1")
	// -short: this pass checks that each module builds and passes
	// against the versions it requires; the long end-to-end tests
	// (real browsers, generated apps built, HTTP/2 floods, scale-out)
	// already ran on the same code in the main run and skip here.
	args := []string{"test", "-count=1", "-short"}
	if hasDeadline {
		left := time.Until(deadline) - 30*time.Second
		if left < time.Minute {
			r.err = fmt.Errorf("%s not run: this test binary's -timeout is nearly used up; run tools/release's tests with a longer -timeout", m.Dir)
			return
		}
		args = append(args, "-timeout", left.Round(time.Second).String())
	}
	began := time.Now()
	cmd := exec.Command("go", append(args, "./...")...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	r.took, r.out, r.testErr = time.Since(began), string(out), err
}

// parallelEnv sets how many modules TestModulesAlone tests at once.
const parallelEnv = "COVET_RELEASE_PARALLEL"

func currentCore() string {
	if shared.vers == nil {
		return "vX.Y.Z"
	}
	return release.EntryFor(shared.vers, "core").Version
}

// aloneTimes remembers how long each module's tests took alone, in the
// shared work directory (kept between runs on one machine), to start the
// longest first next time.
type aloneTimes struct {
	mu   sync.Mutex
	path string
	took map[string]time.Duration
}

func loadAloneTimes() *aloneTimes {
	a := &aloneTimes{path: filepath.Join(release.SharedWorkDir("alone"), "durations.json"), took: map[string]time.Duration{}}
	if b, err := os.ReadFile(a.path); err == nil {
		_ = json.Unmarshal(b, &a.took) // unreadable: the order falls back to the estimate
	}
	return a
}

func (a *aloneTimes) record(dir string, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.took[dir] = d
}

func (a *aloneTimes) save() {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, err := json.Marshal(a.took)
	if err != nil {
		return
	}
	_ = os.MkdirAll(filepath.Dir(a.path), 0o755)
	_ = os.WriteFile(a.path, b, 0o644) // #nosec G306 -- a timing hint in the test's own work directory
}

// aloneOrder sorts the modules longest first: by the time each took alone
// in an earlier run if every one of them was measured, else (a fresh
// machine, a new module) by how many of this repository's modules each
// requires, which it builds from the proxy's copies (contrib/examples
// requires every plugin).
func aloneOrder(mods []*release.Module, times *aloneTimes) []*release.Module {
	measured := true
	for _, m := range mods {
		if _, ok := times.took[m.Dir]; !ok {
			measured = false
		}
	}
	ours := func(m *release.Module) int {
		n := 0
		for _, r := range m.GoMod.Require {
			if strings.HasPrefix(r.Mod.Path, release.RepoModulePath+"/") {
				n++
			}
		}
		return n
	}
	out := append([]*release.Module(nil), mods...)
	sort.SliceStable(out, func(i, j int) bool {
		if measured {
			return times.took[out[i].Dir] > times.took[out[j].Dir]
		}
		return ours(out[i]) > ours(out[j])
	})
	return out
}
