package requestsize_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"

	"github.com/covetgo/covet/contrib/plugins/requestsize"
)

func TestBodyLimits(t *testing.T) {
	app := covet.New()
	read := func(c *covet.Context) error {
		b, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		limit, _ := requestsize.Limit(c)
		return c.JSON(http.StatusOK, map[string]int64{"read": int64(len(b)), "limit": limit})
	}
	app.POST("/default", read)
	app.POST("/small", read).With(requestsize.MaxBody(10))
	app.POST("/unlimited", read).With(requestsize.MaxBody(0))
	app.POST("/swallow", func(c *covet.Context) error {
		_, _ = io.ReadAll(c.Request().Body) // ignores the error
		return nil
	}).With(requestsize.MaxBody(10))
	p := requestsize.New(requestsize.WithMaxBody(100))
	if err := app.Install(p); err != nil {
		t.Fatal(err)
	}
	client := covettest.New(t, app)

	tests := []struct {
		name    string
		path    string
		body    string
		chunked bool
		status  int
		read    int64
		limit   int64
	}{
		{"under the plugin-wide limit", "/default", strings.Repeat("a", 100), false, http.StatusOK, 100, 100},
		{"over it, announced", "/default", strings.Repeat("a", 101), false, http.StatusRequestEntityTooLarge, 0, 0},
		{"over it, streamed", "/default", strings.Repeat("a", 101), true, http.StatusRequestEntityTooLarge, 0, 0},
		{"route limit, exactly at it", "/small", strings.Repeat("b", 10), true, http.StatusOK, 10, 10},
		{"route limit, over it", "/small", strings.Repeat("b", 11), true, http.StatusRequestEntityTooLarge, 0, 0},
		{"route lifts the limit", "/unlimited", strings.Repeat("c", 1000), false, http.StatusOK, 1000, 0},
		{"handler ignores the error", "/swallow", strings.Repeat("d", 50), true, http.StatusRequestEntityTooLarge, 0, 0},
		{"no route: 404, not 413", "/nowhere", strings.Repeat("e", 500), false, http.StatusNotFound, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: no Content-Length
			}
			res := client.Post(tt.path).Body("text/plain", body).Do().ExpectStatus(tt.status)
			if tt.status == http.StatusNotFound {
				return
			}
			if tt.status != http.StatusOK {
				if p := res.Problem(); p.Status != http.StatusRequestEntityTooLarge || !strings.Contains(p.Detail, "exceeds the limit") {
					t.Errorf("problem %+v", p)
				}
				return
			}
			var got map[string]int64
			res.Decode(&got)
			if got["read"] != tt.read || got["limit"] != tt.limit {
				t.Errorf("read %d with limit %d, want %d and %d", got["read"], got["limit"], tt.read, tt.limit)
			}
		})
	}

	s := p.Snapshot()
	rejected := map[string]int64{}
	limits := map[string]int64{}
	for _, r := range s.Routes {
		rejected[r.Route], limits[r.Route] = r.Rejected, r.Limit
	}
	if rejected["POST /default"] != 2 || rejected["POST /small"] != 1 || rejected["POST /swallow"] != 1 {
		t.Errorf("rejected per route: %v", rejected)
	}
	if limits["POST /default"] != 100 || limits["POST /small"] != 10 || limits["POST /unlimited"] != 0 {
		t.Errorf("limits per route: %v", limits)
	}
}

func TestLimitInRouteMetadata(t *testing.T) {
	app := covet.New()
	app.POST("/upload", func(c *covet.Context) error { return nil }).With(requestsize.MaxBody(1 << 20))
	for _, ri := range app.Routes() {
		if ri.Pattern != "/upload" {
			continue
		}
		if n, ok := requestsize.MaxBodyKey.Get(&ri); !ok || n != 1<<20 {
			t.Errorf("MaxBodyKey on /upload = %d, %v; want %d", n, ok, 1<<20)
		}
		return
	}
	t.Fatal("no /upload route")
}

func TestInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  requestsize.Option
	}{
		{"negative body limit", requestsize.WithMaxBody(-1)},
		{"negative log interval", requestsize.WithLogEvery(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := covet.New()
			if err := app.Install(requestsize.New(tt.opt)); err == nil || !strings.Contains(err.Error(), "requestsize:") {
				t.Errorf("Install = %v, want a requestsize error", err)
			}
			if len(app.Routes()) != 0 {
				t.Errorf("a refused install left routes: %v", app.Routes())
			}
		})
	}
}

func TestPluginContract(t *testing.T) {
	covettest.PluginContract(t, func() covet.Plugin {
		return requestsize.New(requestsize.WithMaxBody(1<<20), requestsize.WithLogEvery(time.Hour))
	})
}
