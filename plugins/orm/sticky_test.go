package orm_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/uptrace/bun"
)

// testClock is a clock the test moves by hand.
type testClock struct{ ms atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ms.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli())
	return c
}

func (c *testClock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *testClock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }
func (c *testClock) at(d time.Duration) string {
	return strconv.FormatInt(c.ms.Load()+d.Milliseconds(), 10)
}

const stickyCookie = "orm_sticky_primary"

// stickyApp is an app whose primary database has a replica that never gets
// the rows written through the app (a second database standing in for a
// replica that lags forever), with WithStickyWrites(window) and the clock.
// POST /write?email= inserts a user, GET /read?email= reads one back (404
// when the replica answered); routes, if not nil, adds more before the app
// starts.
func stickyApp(t *testing.T, db *ormtest.DB, clock *testClock, window time.Duration, routes func(*covet.App)) *covet.App {
	t.Helper()
	replica := ormtest.New(t, db.Dialect)
	migrated(t, replica)
	app, _, _ := newApp(t, db, orm.WithReplicas(replica.DSN), orm.WithStickyWrites(window), orm.WithClock(clock.now))
	app.POST("/write", func(c *covet.Context) error {
		_, err := mustDB(c).NewInsert().Model(&User{Email: c.Query("email"), Name: "w"}).Exec(c.Context())
		if err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	app.GET("/read", func(c *covet.Context) error {
		var u User
		if err := mustDB(c).NewSelect().Model(&u).Where("email = ?", c.Query("email")).Scan(c.Context()); err != nil {
			return err
		}
		return c.Text(http.StatusOK, u.Email)
	})
	if routes != nil {
		routes(app)
	}
	start(t, app)
	return app
}

// setCookie returns the response's Set-Cookie of name, or nil.
func setCookie(res *http.Response, name string) *http.Cookie {
	for _, ck := range res.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// TestStickyWritesAcrossRequests: with WithStickyWrites, a request that
// wrote answers with a cookie that keeps the client's next requests on the
// primary for the window, so they read the write a lagging replica does not
// have; clients without it, after the window, or with a forged value read
// the replica; a request that only read sets no cookie.
func TestStickyWritesAcrossRequests(t *testing.T) {
	const window = 2 * time.Second
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		clock := newTestClock()
		app := stickyApp(t, db, clock, window, nil)
		writer := covettest.New(t, app)

		res := writer.Post("/write?email=sticky@x").Do().ExpectStatus(http.StatusNoContent)
		ck := setCookie(res.Response, stickyCookie)
		if ck == nil {
			t.Fatalf("the write set no %s cookie: %v", stickyCookie, res.Header["Set-Cookie"])
		}
		if ck.Value != clock.at(window) || ck.MaxAge != 2 || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
			t.Errorf("cookie %+v, want value %s, Max-Age 2, HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP", ck, clock.at(window))
		}

		// The writer's next request reads the primary: it sees its row.
		clock.advance(window / 2)
		res = writer.Get("/read?email=sticky@x").Do().ExpectStatus(http.StatusOK).ExpectBody("sticky@x")
		if setCookie(res.Response, stickyCookie) != nil {
			t.Errorf("a request that only read set the cookie again: %v", res.Header["Set-Cookie"])
		}

		// Another client reads the replica, which does not have it.
		other := covettest.New(t, app)
		other.Get("/read?email=sticky@x").Do().ExpectStatus(http.StatusNotFound)

		// After the window the writer reads the replica again (the
		// cookie's own Max-Age is real time: the jar still sends it).
		clock.advance(window/2 + time.Millisecond)
		writer.Get("/read?email=sticky@x").Do().ExpectStatus(http.StatusNotFound)

		// Forged or broken values are ignored, without an error.
		for name, v := range map[string]string{
			"far-future":          clock.at(time.Hour),
			"just-past-window":    clock.at(window + time.Millisecond),
			"past":                clock.at(-time.Millisecond),
			"not-a-number":        "soon",
			"empty":               "",
			"negative":            "-1",
			"float":               clock.at(window/2) + ".5",
			"overflow":            "99999999999999999999999",
			"hex":                 "0x7fffffffffffffff",
			"number-then-garbage": clock.at(window/2) + "x",
		} {
			t.Run(name, func(t *testing.T) {
				res := covettest.New(t, app).Get("/read?email=sticky@x").Cookie(stickyCookie, v).Do().ExpectStatus(http.StatusNotFound)
				if setCookie(res.Response, stickyCookie) != nil {
					t.Errorf("set a cookie: %v", res.Header["Set-Cookie"])
				}
			})
		}
		// A value within the window is honoured, whoever sent it (it only
		// moves the client's own reads to the primary for one window).
		covettest.New(t, app).Get("/read?email=sticky@x").Cookie(stickyCookie, clock.at(window)).Do().ExpectStatus(http.StatusOK)

		// A request that only read sets no cookie, even on a 404.
		res = covettest.New(t, app).Get("/read?email=nobody@x").Do().ExpectStatus(http.StatusNotFound)
		if len(res.Header["Set-Cookie"]) != 0 {
			t.Errorf("a read-only request set cookies: %v", res.Header["Set-Cookie"])
		}
	})
}

// TestStickyWritesCookieSecureOverHTTPS: the cookie is Secure when the
// client used HTTPS, as covet.Context.Scheme tells: over TLS, or through a
// trusted proxy that says so; a client's own X-Forwarded-Proto is not
// believed.
func TestStickyWritesCookieSecureOverHTTPS(t *testing.T) {
	db := ormtest.New(t, orm.SQLite)
	migrated(t, db)
	replica := ormtest.New(t, orm.SQLite)
	migrated(t, replica)
	apps := map[string]*covet.App{}
	for _, name := range []string{"trusting", "plain"} {
		var opts []covet.Option
		if name == "trusting" {
			opts = append(opts, covet.WithTrustedProxies("192.0.2.0/24"))
		}
		app := covet.New(append(opts, covet.WithLogger((&logBuffer{}).Logger()))...)
		must(t, app.Install(orm.New(orm.WithDriver(db.Driver), orm.WithDSN(db.DSN),
			orm.WithReplicas(replica.DSN), orm.WithStickyWrites(1500*time.Millisecond))))
		app.POST("/write", func(c *covet.Context) error {
			_, err := mustDB(c).NewInsert().Model(&User{Email: c.Query("email"), Name: "w"}).Exec(c.Context())
			if err != nil {
				return err
			}
			return c.NoContent(http.StatusNoContent)
		})
		start(t, app)
		apps[name] = app
	}
	for _, tc := range []struct {
		name, app, url, proto, remote string
		secure                        bool
	}{
		{"tls", "plain", "https://example.com", "", "", true},
		{"plain-http", "plain", "http://example.com", "", "", false},
		{"trusted-proxy-https", "trusting", "http://example.com", "https", "192.0.2.1:1234", true},
		{"trusted-proxy-http", "trusting", "http://example.com", "http", "192.0.2.1:1234", false},
		{"untrusted-forwarded-https", "plain", "http://example.com", "https", "192.0.2.1:1234", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, tc.url+"/write?email="+tc.name+"@x", nil)
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.remote != "" {
				req.RemoteAddr = tc.remote
			}
			rec := httptest.NewRecorder()
			apps[tc.app].ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			ck := setCookie(rec.Result(), stickyCookie)
			if ck == nil || ck.Secure != tc.secure || !ck.HttpOnly || ck.MaxAge != 2 {
				t.Fatalf("cookie %+v, want Secure %t, HttpOnly, Max-Age 2 (1.5s rounded up)", ck, tc.secure)
			}
		})
	}
}

// TestStickyWritesPerDatabase: each database with WithStickyWrites has its
// own cookie; a write to one keeps only that one's reads on its primary.
// Without the option, a database's writes set no cookie.
func TestStickyWritesPerDatabase(t *testing.T) {
	d := orm.SQLite
	primary, primaryReplica := ormtest.New(t, d), ormtest.New(t, d)
	other, otherReplica := ormtest.New(t, d), ormtest.New(t, d)
	plain, plainReplica := ormtest.New(t, d), ormtest.New(t, d)
	for _, db := range []*ormtest.DB{primaryReplica, other, otherReplica, plain, plainReplica} {
		migrated(t, db)
	}
	clock := newTestClock()
	app, _, _ := newApp(t, primary,
		orm.WithReplicas(primaryReplica.DSN), orm.WithStickyWrites(time.Second), orm.WithClock(clock.now),
		orm.WithDatabase("other", other.DSN, orm.WithReplicas(otherReplica.DSN), orm.WithStickyWrites(3*time.Second)),
		orm.WithDatabase("plain", plain.DSN, orm.WithReplicas(plainReplica.DSN)))
	app.POST("/write/{db}", func(c *covet.Context) error {
		_, err := mustNamed(c, c.Param("db")).NewInsert().Model(&User{Email: c.Query("email"), Name: "w"}).Exec(c.Context())
		if err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	app.GET("/read/{db}", func(c *covet.Context) error {
		var us []User
		if err := mustNamed(c, c.Param("db")).NewSelect().Model(&us).Where("email = ?", c.Query("email")).Scan(c.Context()); err != nil {
			return err
		}
		return c.Text(http.StatusOK, strconv.Itoa(len(us)))
	})
	start(t, app)

	cl := covettest.New(t, app)
	res := cl.Post("/write/other?email=o@x").Do().ExpectStatus(http.StatusNoContent)
	ck := setCookie(res.Response, "orm_sticky_other")
	if ck == nil || ck.Value != clock.at(3*time.Second) || ck.MaxAge != 3 {
		t.Fatalf("cookie of other: %+v (Set-Cookie %v)", ck, res.Header["Set-Cookie"])
	}
	if setCookie(res.Response, stickyCookie) != nil {
		t.Errorf("a write to other set the primary's cookie")
	}
	cl.Get("/read/other?email=o@x").Do().ExpectStatus(http.StatusOK).ExpectBody("1")

	// The primary database's reads still go to its replica.
	_, err := primary.NewInsert().Model(&User{Email: "p@x", Name: "p"}).Exec(context.Background())
	must(t, err)
	cl.Get("/read/primary?email=p@x").Do().ExpectStatus(http.StatusOK).ExpectBody("0")

	// A database without the option sets no cookie.
	res = cl.Post("/write/plain?email=q@x").Do().ExpectStatus(http.StatusNoContent)
	if len(res.Header["Set-Cookie"]) != 0 {
		t.Errorf("a write to a database without WithStickyWrites set %v", res.Header["Set-Cookie"])
	}
	cl.Get("/read/plain?email=q@x").Do().ExpectStatus(http.StatusOK).ExpectBody("0")
}

// TestStickyWritesInTransactionalRoutes: a write inside the Transactional
// middleware (whose response is held back until the commit) sets the
// cookie on the response the client gets.
func TestStickyWritesInTransactionalRoutes(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		clock := newTestClock()
		app := stickyApp(t, db, clock, time.Second, func(app *covet.App) {
			app.POST("/tx-write", func(c *covet.Context) error {
				_, err := mustDB(c).NewInsert().Model(&User{Email: c.Query("email"), Name: "w"}).Exec(c.Context())
				if err != nil {
					return err
				}
				return c.Text(http.StatusCreated, "ok")
			}, orm.Transactional())
		})
		cl := covettest.New(t, app)
		res := cl.Post("/tx-write?email=tx@x").Do().ExpectStatus(http.StatusCreated)
		if ck := setCookie(res.Response, stickyCookie); ck == nil || ck.Value != clock.at(time.Second) {
			t.Fatalf("cookie %+v (Set-Cookie %v)", ck, res.Header["Set-Cookie"])
		}
		cl.Get("/read?email=tx@x").Do().ExpectStatus(http.StatusOK)
	})
}

// TestStickyWritesBadDatabaseName: a database whose name cannot be part of
// a cookie's name fails Install when it has WithStickyWrites.
func TestStickyWritesBadDatabaseName(t *testing.T) {
	app := covet.New()
	p := orm.New(allDrivers, orm.WithDSN("sqlite://:memory:"),
		orm.WithDatabase("bad name", "sqlite://:memory:", orm.WithReplicas("sqlite://:memory:"), orm.WithStickyWrites(time.Second)))
	if err := app.Install(p); err == nil {
		t.Fatal("Install accepted a database name with a space for WithStickyWrites")
	}
}

// TestCountsAndExistsAreReads: bun's Count, Exists, ScanAndCount and
// Paginate (whose queries bun hands its hooks wrapped) are reads: they go to
// the replica, and a request that only ran them sets no sticky cookie and
// keeps reading the replica.
func TestCountsAndExistsAreReads(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		clock := newTestClock()
		app := stickyApp(t, db, clock, time.Second, func(app *covet.App) {
			app.GET("/count", func(c *covet.Context) error {
				ctx := c.Context()
				q := func() *bun.SelectQuery {
					return mustDB(c).NewSelect().Model((*User)(nil)).Where("email = ?", c.Query("email"))
				}
				n, err := q().Count(ctx)
				if err != nil {
					return err
				}
				ok, err := q().Exists(ctx)
				if err != nil {
					return err
				}
				var us []User
				m, err := q().ScanAndCount(ctx, &us)
				if err != nil {
					return err
				}
				page, err := orm.Paginate[User](ctx, q(), 10, 0)
				if err != nil {
					return err
				}
				// A read after them: the replica still, if they were reads.
				var after []User
				if err := q().Scan(ctx, &after); err != nil {
					return err
				}
				return c.Text(http.StatusOK, fmt.Sprintf("count=%d exists=%t scan-and-count=%d/%d page=%d/%d after=%d",
					n, ok, len(us), m, len(page.Items), page.Total, len(after)))
			})
		})
		_, err := db.NewInsert().Model(&User{Email: "primary-only@x", Name: "p"}).Exec(context.Background())
		must(t, err)
		res := covettest.New(t, app).Get("/count?email=primary-only@x").Do().ExpectStatus(http.StatusOK).
			ExpectBody("count=0 exists=false scan-and-count=0/0 page=0/0 after=0")
		if len(res.Header["Set-Cookie"]) != 0 {
			t.Errorf("a request that only counted set %v", res.Header["Set-Cookie"])
		}
	})
}
