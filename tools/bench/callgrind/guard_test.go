package callgrind_test

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/covetgo/covet/tools/bench/callgrind"
	"github.com/covetgo/covet/tools/bench/suite"
)

//go:embed limits.txt
var limitsFile string

type limit struct {
	endpoint, ref string
	max           float64
}

func parseLimits(t *testing.T) []limit {
	var out []limit
	sc := bufio.NewScanner(strings.NewReader(limitsFile))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			t.Fatalf("limits.txt: bad line %q", sc.Text())
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			t.Fatalf("limits.txt: %q: %v", sc.Text(), err)
		}
		out = append(out, limit{f[0], f[1], v})
	}
	return out
}

// quickScale halves every endpoint's request count: the quick mode CI runs.
const quickScale = 0.5

// TestInstructionsPerRequest is the regression guard: it counts Covet's
// instructions per request under callgrind, and those of the reference
// servers in limits.txt in the same run, and fails when a ratio exceeds its
// committed limit. It takes about a minute (two or three servers under
// valgrind at once); -short skips it.
func TestInstructionsPerRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the callgrind guard takes about a minute")
	}
	needValgrind(t)
	// A machine where valgrind cannot run Go binaries at all fails here with
	// valgrind's own words, never with a client's "unexpected EOF".
	if err := callgrind.Probe(context.Background(), callgrind.GODEBUG); err != nil {
		t.Fatal(err)
	}
	limits := parseLimits(t)
	need := map[string][]string{} // server → endpoints
	add := func(server, ep string) {
		for _, e := range need[server] {
			if e == ep {
				return
			}
		}
		need[server] = append(need[server], ep)
	}
	for _, l := range limits {
		add("covet", l.endpoint)
		add(l.ref, l.endpoint)
	}
	dir, err := suite.ModuleDir()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	bin := filepath.Join(out, "bin")
	var names []string
	for s := range need {
		names = append(names, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if err := suite.Build(ctx, dir, bin, names...); err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		results = map[string]map[string]float64{}
		wg      sync.WaitGroup
		errs    []error
	)
	for server, epNames := range need {
		var eps []callgrind.Endpoint
		for _, n := range callgrind.Endpoints() {
			for _, want := range epNames {
				if n.Name == want {
					n.N = max(1, int(float64(n.N)*quickScale))
					eps = append(eps, n)
				}
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, err := callgrind.Measure(ctx, server, eps, callgrind.Options{BinDir: bin, OutDir: filepath.Join(out, server)})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			results[server] = map[string]float64{}
			for _, r := range rs {
				results[server][r.Endpoint] = r.PerRequest
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) > 0 {
		return
	}
	var report strings.Builder
	for _, l := range limits {
		c, r := results["covet"][l.endpoint], results[l.ref][l.endpoint]
		ratio := c / r
		fmt.Fprintf(&report, "%-10s covet %8.0f  %-10s %8.0f  ratio %.3f (limit %.2f)\n", l.endpoint, c, l.ref, r, ratio, l.max)
		if ratio > l.max {
			t.Errorf("%s: Covet executes %.0f instructions per request, %.3f× %s's %.0f: over the committed limit %.2f (limits.txt)",
				l.endpoint, c, ratio, l.ref, r, l.max)
		}
	}
	t.Logf("instructions per request (callgrind, all threads but sysmon):\n%s", report.String())
}
