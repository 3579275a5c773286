// Package ordering checks that an app answers the same whatever the order
// its middleware and plugins are added in (issue 12: "a newcomer's app
// registered in any order answers the same statuses").
package ordering

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
	"github.com/covetgo/covet/plugins/cors"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/uptrace/bun"
)

type user struct {
	bun.BaseModel `bun:"table:users"`
	ID            int64  `bun:",pk,autoincrement" json:"id"`
	Email         string `bun:",notnull,unique" json:"email"`
}

type logSink struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logSink) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestAnyOrder installs AccessLog, orm, ratelimit and cors in all 24 orders
// and expects the same answers: a unique violation stays a 409 (and is
// logged as 409), a missing row a 404, a refused request a 429 with
// Retry-After and CORS headers, logged as 429 (middleware phases: CORS at
// the edge, AccessLog at the app's phase, the limiter at the guard phase,
// the orm innermost, whatever the install order).
func TestAnyOrder(t *testing.T) {
	steps := []string{"accesslog", "orm", "ratelimit", "cors"}
	for _, order := range permutations(steps) {
		t.Run(strings.Join(order, ","), func(t *testing.T) {
			db := ormtest.SQLite(t)
			if _, err := db.NewCreateTable().Model((*user)(nil)).Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			logs := &logSink{}
			app := covet.New(covet.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
			for _, s := range order {
				switch s {
				case "accesslog":
					app.Use(middleware.AccessLog())
				case "orm":
					if err := app.Install(orm.New(db.Options()...)); err != nil {
						t.Fatal(err)
					}
				case "ratelimit":
					if err := app.Install(ratelimit.New()); err != nil {
						t.Fatal(err)
					}
				case "cors":
					if err := app.Install(cors.New(cors.WithOrigins("https://app.example.com"), cors.WithExposedHeaders("Retry-After"))); err != nil {
						t.Fatal(err)
					}
				}
			}
			app.POST("/users", func(c *covet.Context) error {
				u := &user{Email: c.Query("email")}
				db, err := orm.DB(c)
				if err != nil {
					return err
				}
				if _, err := db.NewInsert().Model(u).Exec(c.Context()); err != nil {
					return err
				}
				return c.JSON(http.StatusCreated, u)
			}).With(ratelimit.Apply(ratelimit.NewPolicy("writes", ratelimit.WithLimits(ratelimit.PerHour(3)))))
			app.GET("/users/{id:int}", func(c *covet.Context) error {
				var u user
				db, err := orm.DB(c)
				if err != nil {
					return err
				}
				if err := db.NewSelect().Model(&u).Where("id = ?", c.Param("id")).Scan(c.Context()); err != nil {
					return err
				}
				return c.JSON(http.StatusOK, u)
			})
			covettest.Start(t, app)
			cl := covettest.New(t, app)
			cl.Post("/users").Query("email", "a@example.com").Do().ExpectStatus(http.StatusCreated)
			cl.Post("/users").Query("email", "a@example.com").Do().ExpectStatus(http.StatusConflict).
				ExpectHeader("Content-Type", "application/problem+json")
			cl.Get("/users/99").Do().ExpectStatus(http.StatusNotFound)
			cl.Post("/users").Query("email", "b@example.com").Do().ExpectStatus(http.StatusCreated)
			r := cl.Post("/users").Query("email", "c@example.com").Header("Origin", "https://app.example.com").Do().
				ExpectStatus(http.StatusTooManyRequests).ExpectHeader("Access-Control-Allow-Origin", "https://app.example.com")
			if r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			logged := []string{`"status":201`, `"status":409`, `"status":404`, `"status":429`}
			for _, want := range logged {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("access log lacks %s:\n%s", want, logs.String())
				}
			}
		})
	}
}

func permutations(s []string) [][]string {
	if len(s) <= 1 {
		return [][]string{append([]string(nil), s...)}
	}
	var out [][]string
	for i := range s {
		rest := append(append([]string(nil), s[:i]...), s[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]string{s[i]}, p...))
		}
	}
	return out
}
