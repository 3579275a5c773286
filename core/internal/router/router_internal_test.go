package router

import "testing"

// TestClosureLayoutRead guards router.go's unsafe read of a handle's node
// from its closure (closureLayoutOK). It saves about 32 instructions per
// lookup (GitHubAll: 294,737 against 301,261 instructions per 203 lookups
// calling the handle instead, scripts/instr-per-op.sh ./core
// 'Router/table=GitHubAll/router=covet$' 2000). If a Go release lays
// closures out differently, nodeOf silently falls back to the slower call:
// this test fails instead, so the read is re-checked or removed.
func TestClosureLayoutRead(t *testing.T) {
	if !closureLayoutOK {
		t.Fatal("closure layout changed: the unsafe read in router.go (nodeOf) no longer finds the node; " +
			"lookups fall back to calling the handle. Re-measure and fix or remove the read.")
	}
	var p Probe
	for i := 0; i < 3; i++ {
		n := &node{}
		h := n.handle()
		if got := p.nodeOf(h); got != n {
			t.Fatalf("nodeOf read %p, want %p", got, n)
		}
		h(&p, nil, nil) // the fallback agrees
		if p.n != n {
			t.Fatalf("calling the handle gave %p, want %p", p.n, n)
		}
	}
}
