package cache

import (
	"testing"

	covet "github.com/covetgo/covet/core"
)

// TestHTTPWriteEvictsTheWritersKeyByEntry: a successful write evicts the
// stored response of its URL; on a KeyBy route (a per-user page) that is
// the writer's own entry, which was kept, so a user who changed their
// profile read the old one back until it expired.
func TestHTTPWriteEvictsTheWritersKeyByEntry(t *testing.T) {
	t.Run("memory", func(t *testing.T) { testWriteEvictsKeyBy(t, nil) })
	t.Run("redis", func(t *testing.T) {
		rdb := realRedis(t)
		testWriteEvictsKeyBy(t, []Option{WithRedis(rdb), WithPrefix(testPrefix(t, rdb))})
	})
}

func testWriteEvictsKeyBy(t *testing.T, opts []Option) {
	ta := newTestApp(t, opts)
	profile := map[string]string{"alice": "v1", "bob": "v1"}
	user := func(c *covet.Context) string { return c.Request().Header.Get("Authorization") }
	ta.app.GET("/profile", func(c *covet.Context) error {
		ta.calls.Add(1)
		return c.Text(200, user(c)+" "+profile[user(c)])
	}).With(Route(For(60e9), KeyBy(user)))
	ta.app.PUT("/profile", func(c *covet.Context) error {
		profile[user(c)] = "v2"
		return c.NoContent(204)
	})
	ta.do("GET", "/profile", "Authorization", "alice")
	ta.do("GET", "/profile", "Authorization", "bob")
	if w := ta.do("PUT", "/profile", "Authorization", "alice"); w.Code != 204 {
		t.Fatalf("PUT %d", w.Code)
	}
	if w := ta.do("GET", "/profile", "Authorization", "alice"); w.Body.String() != "alice v2" {
		t.Fatalf("the writer read %q after its write", w.Body)
	}
	// Another user's entry is theirs: still stored.
	if n := ta.callsFor(func() { ta.do("GET", "/profile", "Authorization", "bob") }); n != 0 {
		t.Fatalf("bob's entry was evicted by alice's write (%d calls)", n)
	}
}
