package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/cache"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
)

// patient sends the request mk builds until it is answered with something
// other than 503 (the database did not answer in time: the shared test
// machine is often that loaded), for at most a minute.
func patient(mk func() *covettest.Request) *covettest.Response {
	deadline := time.Now().Add(time.Minute)
	for {
		r := mk().Do()
		if r.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return r
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// patientSignUp is signUp, patient with a loaded database.
func patientSignUp(t *testing.T, cl *covettest.Client, name, email string) string {
	t.Helper()
	patient(func() *covettest.Request {
		return cl.Post("/api/v1/users").JSON(map[string]any{"name": name, "email": email, "password": "password-of-" + name})
	}).ExpectStatus(http.StatusCreated)
	var tok tokenAnswer
	patient(func() *covettest.Request {
		return cl.Post("/api/v1/auth/token").Form(url.Values{"grant_type": {"password"}, "username": {email}, "password": {"password-of-" + name}})
	}).ExpectStatus(http.StatusOK).Decode(&tok)
	return "Bearer " + tok.AccessToken
}

// responseStats returns the app's response-cache counters.
func responseStats(t *testing.T, app *covet.App) cache.HTTPStats {
	t.Helper()
	h, ok := app.Plugin("cache-http").(*cache.HTTPCache)
	if !ok {
		t.Fatal("no response cache installed")
	}
	return h.Stats()
}

// readTask is GET /api/v1/tasks/{id} (anonymous, so cacheable).
func readTask(t *testing.T, cl *covettest.Client, id int64) Task {
	t.Helper()
	var got Task
	cl.Get("/api/v1/tasks/" + itoa(id)).Do().ExpectStatus(http.StatusOK).Decode(&got)
	return got
}

// listTitle returns the title of task id in the anonymous list.
func listTitle(t *testing.T, cl *covettest.Client, id int64) (string, bool) {
	t.Helper()
	var page orm.Page[Task]
	patient(func() *covettest.Request { return cl.Get("/api/v1/tasks?limit=100") }).ExpectStatus(http.StatusOK).Decode(&page)
	for _, it := range page.Items {
		if it.ID == id {
			return it.Title, true
		}
	}
	return "", false
}

// TestResponseCacheNoStaleRead: the list and detail are answered from the
// cache, and after every write (API PATCH, create, delete) the next read
// shows it, while other readers keep filling the cache concurrently.
func TestResponseCacheNoStaleRead(t *testing.T) {
	app, cl := startApp(t, ormtest.SQLite(t).DSN)
	_, bearer := signUp(t, cl, "Ada", "ada@example.com")
	var task Task
	cl.Post("/api/v1/tasks").Header("Authorization", bearer).JSON(map[string]any{"title": "v0"}).Do().
		ExpectStatus(http.StatusCreated).Decode(&task)

	res := cl.Get("/api/v1/tasks/" + itoa(task.ID)).Do().ExpectStatus(http.StatusOK)
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=0, s-maxage=60" {
		t.Fatalf("Cache-Control %q", cc)
	}
	if res.Header.Get("Surrogate-Key") != taskTag(task.ID) {
		t.Fatalf("Surrogate-Key %q", res.Header.Get("Surrogate-Key"))
	}
	// The detail is stored on its second read (cache.AdmitRepeats: the
	// first one above only marked it), served from the third on.
	readTask(t, cl, task.ID)
	before := responseStats(t, app).Hits
	readTask(t, cl, task.ID)
	listTitle(t, cl, task.ID)
	listTitle(t, cl, task.ID)
	if hits := responseStats(t, app).Hits - before; hits < 2 {
		t.Fatalf("%d hits for repeated reads, want ≥ 2", hits)
	}
	// A signed-in reader bypasses the cache.
	before = responseStats(t, app).Bypasses
	cl.Get("/api/v1/tasks/"+itoa(task.ID)).Header("Authorization", bearer).Do().ExpectStatus(http.StatusOK)
	if responseStats(t, app).Bypasses == before {
		t.Fatal("a request with Authorization used the cache")
	}

	// Readers keep the entries hot (and race their fills against the writes).
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			rd := covettest.New(t, app)
			for ctx.Err() == nil {
				rd.Get("/api/v1/tasks/" + itoa(task.ID)).Do()
				rd.Get("/api/v1/tasks?limit=100").Do()
			}
		})
	}
	for i := 1; i <= 30; i++ {
		title := "v" + itoa(int64(i))
		cl.Patch("/api/v1/tasks/"+itoa(task.ID)).Header("Authorization", bearer).JSON(map[string]any{"title": title}).Do().
			ExpectStatus(http.StatusOK)
		if got := readTask(t, cl, task.ID).Title; got != title {
			cancel()
			wg.Wait()
			t.Fatalf("after PATCH to %q the detail says %q", title, got)
		}
		if got, _ := listTitle(t, cl, task.ID); got != title {
			cancel()
			wg.Wait()
			t.Fatalf("after PATCH to %q the list says %q", title, got)
		}
	}
	cancel()
	wg.Wait()

	var other Task
	cl.Post("/api/v1/tasks").Header("Authorization", bearer).JSON(map[string]any{"title": "new"}).Do().
		ExpectStatus(http.StatusCreated).Decode(&other)
	if _, ok := listTitle(t, cl, other.ID); !ok {
		t.Fatal("a created task is missing from the list")
	}
	cl.Delete("/api/v1/tasks/"+itoa(other.ID)).Header("Authorization", bearer).Do().ExpectStatus(http.StatusNoContent)
	if _, ok := listTitle(t, cl, other.ID); ok {
		t.Fatal("a deleted task is still in the list")
	}
	cl.Get("/api/v1/tasks/" + itoa(other.ID)).Do().ExpectStatus(http.StatusNotFound)
}

// TestResponseCacheOff: NoResponseCache installs no cache.
func TestResponseCacheOff(t *testing.T) {
	app, err := NewApp(Config{DatabaseURL: ormtest.SQLite(t).DSN, Logger: slog.New(slog.DiscardHandler), NoResponseCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if app.Plugin("cache-http") != nil || app.Plugin("cache") != nil {
		t.Fatal("the response cache is installed although turned off")
	}
}

// TestResponseCacheAcrossInstances: two taskboards on one PostgreSQL
// database and one Redis. Both serve a task from their caches; after a
// write on A, B serves the new value once the invalidation reached it
// (pub/sub; polled), and neither ever serves the old one again.
func TestResponseCacheAcrossInstances(t *testing.T) {
	cfg := clusterConfig(t)
	type inst struct {
		app *covet.App
		cl  *covettest.Client
	}
	var in []inst
	for range 2 {
		app, err := NewApp(cfg)
		if err != nil {
			t.Fatal(err)
		}
		covettest.Start(t, app)
		c, _ := app.Plugin("cache").(*cache.Cache)
		for deadline := time.Now().Add(30 * time.Second); !c.Subscribed(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the cache did not subscribe to its invalidation channel")
			}
		}
		in = append(in, inst{app, covettest.New(t, app)})
	}
	a, b := in[0], in[1]
	bearer := patientSignUp(t, a.cl, "Ada", "ada@example.com")
	var task Task
	patient(func() *covettest.Request {
		return a.cl.Post("/api/v1/tasks").Header("Authorization", bearer).JSON(map[string]any{"title": "v0"})
	}).ExpectStatus(http.StatusCreated).Decode(&task)

	for i := 1; i <= 5; i++ {
		// Both instances hold the current value.
		old := "v" + itoa(int64(i-1))
		for _, x := range in {
			for range 2 {
				if got := readTask(t, x.cl, task.ID).Title; got != old {
					t.Fatalf("round %d: detail %q, want %q", i, got, old)
				}
				if got, _ := listTitle(t, x.cl, task.ID); got != old {
					t.Fatalf("round %d: list %q, want %q", i, got, old)
				}
			}
		}
		title := "v" + itoa(int64(i))
		patient(func() *covettest.Request {
			return a.cl.Patch("/api/v1/tasks/"+itoa(task.ID)).Header("Authorization", bearer).JSON(map[string]any{"title": title})
		}).ExpectStatus(http.StatusOK)
		// The writer's instance is current at once.
		if got := readTask(t, a.cl, task.ID).Title; got != title {
			t.Fatalf("A after its own write: %q, want %q", got, title)
		}
		// B: current once the invalidation arrived (it went to Redis
		// before A answered, and L2 was purged, so this is quick).
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			d := readTask(t, b.cl, task.ID).Title
			l, _ := listTitle(t, b.cl, task.ID)
			if d == title && l == title {
				break
			}
			if time.Now().After(deadline) {
				ca, _ := a.app.Plugin("cache").(*cache.Cache)
				cb, _ := b.app.Plugin("cache").(*cache.Cache)
				t.Fatalf("B still serves detail %q, list %q 30 s after the write of %q (A: %+v; B: %+v, subscribed %v)",
					d, l, title, ca.Stats(), cb.Stats(), cb.Subscribed())
			}
		}
		for _, x := range in {
			if got := readTask(t, x.cl, task.ID).Title; got != title {
				t.Fatalf("an instance went back to %q after serving %q", got, title)
			}
		}
	}
	for _, x := range in {
		if st := responseStats(t, x.app); st.Hits == 0 {
			t.Fatalf("no hits on an instance: %+v", st)
		}
	}
}

// TestResponseCacheKeysetBypass: keyset pages (cursor=) bypass the response
// cache and show a new task at once; offset pages are stored and served.
func TestResponseCacheKeysetBypass(t *testing.T) {
	app, cl := startApp(t, ormtest.SQLite(t).DSN)
	_, bearer := signUp(t, cl, "Ada", "ada@example.com")
	before := responseStats(t, app)
	for range 2 {
		cl.Get("/api/v1/tasks?limit=20&cursor=").Do().ExpectStatus(http.StatusOK)
	}
	st := responseStats(t, app)
	if st.Bypasses-before.Bypasses != 2 || st.Stores != before.Stores || st.Misses != before.Misses {
		t.Fatalf("keyset pages: stats %+v before %+v, want 2 bypasses, no store", st, before)
	}
	var task Task
	cl.Post("/api/v1/tasks").Header("Authorization", bearer).JSON(map[string]any{"title": "new"}).Do().
		ExpectStatus(http.StatusCreated).Decode(&task)
	var page orm.Page[Task]
	cl.Get("/api/v1/tasks?limit=20&cursor=").Do().ExpectStatus(http.StatusOK).Decode(&page)
	if len(page.Items) != 1 || page.Items[0].ID != task.ID {
		t.Fatalf("keyset page after a create: %+v", page.Items)
	}
	// Offset pages are still cached.
	hits := responseStats(t, app).Hits
	listTitle(t, cl, task.ID)
	listTitle(t, cl, task.ID)
	if responseStats(t, app).Hits == hits {
		t.Fatal("an offset page read twice was not served from the cache")
	}
}
