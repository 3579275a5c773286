package routing_test

import (
	"net/http"
	"testing"

	"github.com/covetgo/covet/tools/bench/routing"
)

// TestEveryRouteHits proves that every router sends every lookup of every
// table to the handler of its own route, with no 404 or 405.
func TestEveryRouteHits(t *testing.T) {
	for _, tb := range routing.Tables() {
		for _, rc := range routing.Routers {
			t.Run(tb.Name+"/"+rc.Name, func(t *testing.T) {
				rt := rc.New(tb.Routes)
				w := &routing.NopWriter{H: http.Header{}}
				r := routing.NewRequest()
				for _, l := range tb.Lookups {
					rt.Hit()
					w.Status = 0
					routing.Serve(rt.Handler, w, r, l)
					if got := rt.Hit(); got != l.Route {
						t.Fatalf("%s %s: handler of route %d ran (status %d), want route %d %s",
							l.Method, l.Path, got, w.Status, l.Route, tb.Routes[l.Route].Path)
					}
					if w.Status >= 300 {
						t.Fatalf("%s %s: status %d", l.Method, l.Path, w.Status)
					}
				}
			})
		}
	}
}

func benchTable(b *testing.B, tb routing.Table) {
	for _, rc := range routing.Routers {
		b.Run("router="+rc.Name, func(b *testing.B) {
			rt := rc.New(tb.Routes)
			w := &routing.NopWriter{H: http.Header{}}
			r := routing.NewRequest()
			b.ReportAllocs()
			for b.Loop() {
				for _, l := range tb.Lookups {
					routing.Serve(rt.Handler, w, r, l)
				}
			}
		})
	}
}

// BenchmarkGitHubAll looks up all 203 GitHub API routes per op.
func BenchmarkGitHubAll(b *testing.B) { benchTable(b, routing.GitHubAll()) }

// BenchmarkSynthetic1000All looks up all 1000 synthetic routes per op.
func BenchmarkSynthetic1000All(b *testing.B) { benchTable(b, routing.Synthetic1000All()) }

// BenchmarkStatic looks up GET /user/repos.
func BenchmarkStatic(b *testing.B) { benchTable(b, routing.Static()) }

// BenchmarkParam1 looks up GET /users/:user.
func BenchmarkParam1(b *testing.B) { benchTable(b, routing.Param1()) }

// BenchmarkCatchAll looks up GET /static/*filepath.
func BenchmarkCatchAll(b *testing.B) { benchTable(b, routing.CatchAll()) }

// TestGitHubTableIsCores: the table is read from core's
// testdata/github_routes.txt (one copy for core and the bench): 203 routes.
func TestGitHubTableIsCores(t *testing.T) {
	if len(routing.GitHubAPI) != 203 {
		t.Fatalf("GitHubAPI has %d routes, want the 203 of go-http-routing-benchmark", len(routing.GitHubAPI))
	}
	if r := routing.GitHubAPI[0]; r.Method != "GET" || r.Path != "/authorizations" {
		t.Errorf("first route = %+v", r)
	}
}
