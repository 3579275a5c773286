package orm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
)

func TestPagination(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		migrated(t, db)
		ctx := context.Background()
		users := make([]User, 25)
		for i := range users {
			users[i] = User{Email: fmt.Sprintf("u%02d@x", i), Name: "n"}
		}
		_, err := db.NewInsert().Model(&users).Exec(ctx)
		must(t, err)

		t.Run("offset", func(t *testing.T) {
			p, err := orm.Paginate[User](ctx, db.NewSelect().Model((*User)(nil)).Order("id"), 10, 20)
			must(t, err)
			if p.Total != 25 || len(p.Items) != 5 || p.HasMore || p.Items[0].Email != "u20@x" {
				t.Errorf("page = total %d, %d items, more %v, first %q", p.Total, len(p.Items), p.HasMore, p.Items[0].Email)
			}
			if _, err := orm.Paginate[User](ctx, db.NewSelect().Model((*User)(nil)), 0, 0); err == nil {
				t.Error("limit 0 accepted")
			}
		})
		t.Run("keyset", func(t *testing.T) {
			for _, desc := range []bool{false, true} {
				var seen []string
				cursor := ""
				for pages := 0; ; pages++ {
					if pages > 5 {
						t.Fatal("keyset pagination does not end")
					}
					p, err := orm.PaginateKeyset[User](ctx, db.NewSelect().Model((*User)(nil)), orm.Keyset{Columns: []string{"created_at", "id"}, Desc: desc}, cursor, 10)
					must(t, err)
					for _, u := range p.Items {
						seen = append(seen, u.Email)
					}
					if !p.HasMore {
						if p.NextCursor != "" {
							t.Error("last page has a cursor")
						}
						break
					}
					cursor = p.NextCursor
				}
				if len(seen) != 25 {
					t.Fatalf("desc=%v: saw %d rows, want 25", desc, len(seen))
				}
				first, last := "u00@x", "u24@x"
				if desc {
					first, last = last, first
				}
				if seen[0] != first || seen[24] != last {
					t.Errorf("desc=%v: order %s..%s", desc, seen[0], seen[24])
				}
			}
			_, err := orm.PaginateKeyset[User](ctx, db.NewSelect().Model((*User)(nil)), orm.Keyset{Columns: []string{"id"}}, "'; DROP TABLE users; --", 10)
			var he *covet.Error
			if !errorsAs(err, &he) || he.Status != http.StatusBadRequest {
				t.Errorf("bad cursor: %v, want a 400", err)
			}
		})
	})
}

func TestHealthReportsPoolsAndLatency(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		app, _, _ := newApp(t, db)
		start(t, app)
		var res covet.HealthResponse
		covettest.New(t, app).Get("/readyz").Do().ExpectStatus(200).Decode(&res)
		raw, _ := json.Marshal(res.Plugins["orm"].Details["primary"])
		var h orm.DatabaseHealth
		must(t, json.Unmarshal(raw, &h))
		if h.Status != covet.HealthOK || h.Dialect != db.Dialect || h.LatencyMS <= 0 || h.Pool.MaxOpen != 10 || h.Pool.Open < 1 {
			t.Errorf("readiness of primary = %+v", h)
		}
	})
}

func TestUnreachableDatabase(t *testing.T) {
	for _, dsn := range []string{
		"postgres://postgres:secretpw@127.0.0.1:1/app?sslmode=disable&connect_timeout=1",
		"mysql://root:secretpw@127.0.0.1:1/app?timeout=1s",
	} {
		t.Run(strings.SplitN(dsn, ":", 2)[0], func(t *testing.T) {
			t.Parallel()
			app := covet.New(covet.WithHealth(), covet.WithLogger(slog.New(slog.DiscardHandler)))
			must(t, app.Install(orm.New(allDrivers, orm.WithDSN(dsn), orm.WithConnectRetry(400*time.Millisecond, 50*time.Millisecond, 100*time.Millisecond))))
			began := time.Now()
			err := app.Start(context.Background())
			if err == nil {
				t.Fatal("start succeeded against a closed port")
			}
			msg := err.Error()
			for _, want := range []string{`database "primary"`, "127.0.0.1:1", "gave up after"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, "secretpw") {
				t.Errorf("error leaks the password: %s", msg)
			}
			if d := time.Since(began); d > 5*time.Second {
				t.Errorf("start took %v with a 400ms connect window", d)
			}
			// Readiness says down, with the reason.
			covettest.New(t, app).Get("/readyz").Do().ExpectStatus(503).ExpectBodyContains(`"status":"down"`)
		})
	}
	t.Run("bad dsn", func(t *testing.T) {
		app := covet.New()
		err := app.Install(orm.New(orm.WithDSN("oracle://x")))
		if err == nil || !strings.Contains(err.Error(), "postgres://, mysql:// or sqlite://") {
			t.Errorf("install error = %v", err)
		}
		if err := covet.New().Install(orm.New()); err == nil {
			t.Error("install without a DSN succeeded")
		}
	})
}

func TestSlowQueryLogCarriesRequestID(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		app, _, logs := newApp(t, db, orm.WithSlowQueryThreshold(time.Nanosecond))
		app.Use(middleware.RequestID())
		app.GET("/n", func(c *covet.Context) error {
			n, err := mustDB(c).NewSelect().Model((*User)(nil)).Count(c.Context())
			if err != nil {
				return err
			}
			return c.JSON(200, n)
		})
		start(t, app)
		covettest.New(t, app).Get("/n").Header("X-Request-ID", "req-slow-42").Do().ExpectStatus(200)
		var found bool
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"msg":"orm: slow query"`) && strings.Contains(line, `"request_id":"req-slow-42"`) &&
				strings.Contains(line, `"operation":"SELECT"`) && strings.Contains(line, `"database":"primary"`) {
				found = true
			}
		}
		if !found {
			t.Errorf("no slow-query record with the request id:\n%s", logs.String())
		}
	})
}

func TestReplicas(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		// The "replica" is another database holding different rows, so a
		// read shows where it went.
		replica := ormtest.New(t, db.Dialect)
		migrated(t, replica)
		ctx := context.Background()
		_, err := replica.NewInsert().Model(&User{Email: "on-replica@x", Name: "r"}).Exec(ctx)
		must(t, err)
		down := map[orm.Dialect]string{
			orm.Postgres: "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=1",
			orm.MySQL:    "mysql://root@127.0.0.1:1/x?timeout=1s",
			orm.SQLite:   "sqlite://" + t.TempDir() + "/missing/dir/x.db",
		}[db.Dialect]
		for _, tc := range []struct {
			name        string
			replicas    []string
			wantEmail   string
			wantDegrade bool
		}{
			{"reads go to the replica", []string{replica.DSN}, "on-replica@x", false},
			{"reads fall back to the primary", []string{down}, "on-primary@x", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				app, _, _ := newApp(t, db, orm.WithReplicas(tc.replicas...))
				app.GET("/first", func(c *covet.Context) error {
					var u User
					if err := mustDB(c).NewSelect().Model(&u).Order("id").Limit(1).Scan(c.Context()); err != nil {
						return err
					}
					return c.Text(200, u.Email)
				})
				app.POST("/write", func(c *covet.Context) error {
					_, err := mustDB(c).NewInsert().Model(&User{Email: fmt.Sprintf("w%d@x", time.Now().UnixNano()), Name: "w"}).Exec(c.Context())
					return err
				})
				start(t, app)
				if tc.name == "reads go to the replica" {
					_, err := db.NewInsert().Model(&User{Email: "on-primary@x", Name: "p"}).Exec(ctx)
					must(t, err)
				}
				cl := covettest.New(t, app)
				cl.Get("/first").Do().ExpectStatus(200).ExpectBody(tc.wantEmail)
				before := countRows(t, db.DB, "users")
				cl.Post("/write").Do().ExpectStatus(200)
				if countRows(t, db.DB, "users") != before+1 {
					t.Error("write did not go to the primary")
				}
				r := cl.Get("/readyz").Do().ExpectStatus(200)
				if got := strings.Contains(r.Text(), `"status":"degraded"`); got != tc.wantDegrade {
					t.Errorf("readiness degraded=%v, want %v: %s", got, tc.wantDegrade, r.Text())
				}
			})
		}
	})
}

func TestStatementTimeout(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		app, _, _ := newApp(t, db)
		sleep := map[orm.Dialect]string{
			orm.Postgres: "SELECT pg_sleep(5)",
			orm.MySQL:    "SELECT SLEEP(5)",
			// SQLite has no sleep: a long count, interrupted by the timeout.
			orm.SQLite: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 2000000000) SELECT max(x) FROM c",
		}[db.Dialect]
		app.GET("/slow", func(c *covet.Context) error {
			_, err := mustDB(c).NewRaw(sleep).Exec(c.Context())
			if err != nil {
				return err
			}
			return c.Text(200, "finished")
		}, orm.StatementTimeout(200*time.Millisecond))
		app.GET("/fast", func(c *covet.Context) error {
			var n int
			if err := mustDB(c).NewRaw("SELECT 1").Scan(c.Context(), &n); err != nil {
				return err
			}
			return c.Text(200, "ok")
		})
		start(t, app)
		cl := covettest.New(t, app)
		began := time.Now()
		cl.Get("/slow").Do().ExpectStatus(503).ExpectHeader("Content-Type", "application/problem+json")
		if d := time.Since(began); d > 3*time.Second {
			t.Errorf("the 200ms statement timeout took %v", d)
		}
		cl.Get("/fast").Do().ExpectStatus(200)
	})
}
