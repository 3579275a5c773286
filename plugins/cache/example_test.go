package cache_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/cache"
)

type Task struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
}

// GetOrLoad runs the loader once, then answers from the cache until a write
// invalidates the entry's tags.
func ExampleGetOrLoad() {
	c, err := cache.New() // add cache.WithRedis(rdb) for a shared L2 and invalidation across instances
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	loads := 0
	load := func(ctx context.Context) (Task, error) {
		loads++ // a database query
		return Task{ID: 42, Title: "write docs"}, nil
	}
	for range 3 {
		t, _ := cache.GetOrLoad(ctx, c, "task:42", time.Minute, load, cache.Tags("task:42", "board:7"))
		fmt.Println(t.Title)
	}
	c.InvalidateTags(ctx, "board:7") // after a write to board 7
	_, _ = cache.GetOrLoad(ctx, c, "task:42", time.Minute, load, cache.Tags("task:42", "board:7"))
	fmt.Println("loads:", loads)

	// A missing row is remembered (negative caching).
	_, err = cache.GetOrLoad(ctx, c, "task:404", time.Minute, func(ctx context.Context) (Task, error) {
		return Task{}, cache.ErrNotFound
	})
	fmt.Println(errors.Is(err, cache.ErrNotFound))
	// Output:
	// write docs
	// write docs
	// write docs
	// loads: 2
	// true
}

// The response cache answers repeated GETs from memory with Age and ETag,
// and 304 to a matching If-None-Match.
func ExampleNewHTTP() {
	c, _ := cache.New()
	app := covet.New()
	if err := app.Install(cache.NewHTTP(c)); err != nil {
		panic(err)
	}
	calls := 0
	app.GET("/boards/{id:int}", func(ctx *covet.Context) error {
		calls++
		return ctx.JSON(200, map[string]any{"board": ctx.Param("id")})
	}).With(cache.Route(cache.For(time.Minute), cache.TagsFrom(func(ctx *covet.Context) []string {
		return []string{"board:" + ctx.Param("id")}
	})))

	get := func(hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/boards/7", nil)
		if len(hdr) == 2 {
			r.Header.Set(hdr[0], hdr[1])
		}
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r)
		return w
	}
	first := get()
	hit := get()
	fmt.Println(first.Code, first.Header().Get("Cache-Control"), first.Header().Get("Surrogate-Key"))
	fmt.Println(hit.Code, hit.Header().Get("Age"), hit.Body.String() == first.Body.String())
	fmt.Println(get("If-None-Match", hit.Header().Get("Etag")).Code)
	c.InvalidateTags(context.Background(), "board:7")
	get()
	fmt.Println("handler calls:", calls)
	// Output:
	// 200 public, max-age=0, s-maxage=60 board:7
	// 200 0 true
	// 304
	// handler calls: 2
}
