package authsql_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authsql"
	"github.com/covetgo/covet/plugins/auth/authtest"
)

// TestContracts runs the auth store contracts (the ones the memory and
// Redis stores pass) on each dialect.
func TestContracts(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			s, _ := newStore(t, d.open)
			t.Run("revocation", func(t *testing.T) { authtest.RevocationStoreContract(t, s.Revocation()) })
			t.Run("refresh", func(t *testing.T) { authtest.RefreshStoreContract(t, s.Refresh()) })
			t.Run("sessions", func(t *testing.T) { authtest.SessionStoreContract(t, s.Sessions()) })
		})
	}
}

// TestDetectDialect: the driver names its dialect.
func TestDetectDialect(t *testing.T) {
	want := map[string]authsql.Dialect{"postgres": authsql.Postgres, "mysql": authsql.MySQL, "mysql-foundrows": authsql.MySQL, "sqlite": authsql.SQLite}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			s, _ := newStore(t, d.open)
			if s.Dialect() != want[d.name] {
				t.Fatalf("dialect %v, want %v", s.Dialect(), want[d.name])
			}
		})
	}
}

// TestConcurrentConsume: of concurrent Consumes of one token exactly one
// returns the record; every other sees reuse (or the family it revoked)
// and the family ends revoked.
func TestConcurrentConsume(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			s, _ := newStore(t, d.open)
			r := s.Refresh()
			ctx := context.Background()
			for round := 0; round < 5; round++ {
				fam := "fam" + string(rune('a'+round))
				rec := auth.RefreshRecord{Family: fam, Subject: "carol", Scopes: []string{"a"}, Expires: time.Now().Add(time.Hour)}
				if err := r.Create(ctx, "h-"+fam, rec); err != nil {
					t.Fatal(err)
				}
				const n = 8
				var wg sync.WaitGroup
				errs := make([]error, n)
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, errs[i] = r.Consume(ctx, fam, "h-"+fam)
					}()
				}
				wg.Wait()
				wins, reused := 0, 0
				for _, err := range errs {
					switch {
					case err == nil:
						wins++
					case errors.Is(err, auth.ErrRefreshReused):
						reused++
					case errors.Is(err, auth.ErrRefreshRevoked):
					default:
						t.Fatalf("consume: %v", err)
					}
				}
				if wins != 1 || reused == 0 {
					t.Fatalf("round %d: %d wins, %d reuses; want exactly 1 win and some reuse", round, wins, reused)
				}
				if err := r.Create(ctx, "h2-"+fam, rec); !errors.Is(err, auth.ErrRefreshRevoked) {
					t.Fatalf("create in a family revoked by reuse: %v", err)
				}
			}
		})
	}
}

// TestExpiryAndSweep: expired rows are invisible, then deleted by Sweep.
func TestExpiryAndSweep(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			now := time.Now()
			clock := func() time.Time { return now }
			s, _ := newStore(t, d.open, authsql.WithClock(clock), authsql.WithRetention(time.Hour))
			ctx := context.Background()
			ref, rev, ses := s.Refresh(), s.Revocation(), s.Sessions()
			if err := ref.Create(ctx, "h1", auth.RefreshRecord{Family: "f1", Subject: "al", Expires: now.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			if err := rev.RevokeToken(ctx, "al", "j1", now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := rev.RevokeSubject(ctx, "bo", now); err != nil {
				t.Fatal(err)
			}
			if err := ses.Save(ctx, "s1", auth.SessionRecord{UserID: "al"}, time.Minute); err != nil {
				t.Fatal(err)
			}
			if n, err := s.Sweep(ctx); err != nil || n != 0 {
				t.Fatalf("sweep of live rows: %d %v", n, err)
			}
			now = now.Add(2 * time.Hour)
			if _, err := ref.Consume(ctx, "f1", "h1"); !errors.Is(err, auth.ErrRefreshInvalid) {
				t.Fatalf("expired refresh token: %v", err)
			}
			if got, err := rev.Revoked(ctx, "j1", "al", now.Add(-3*time.Hour)); err != nil || got {
				t.Fatalf("expired revocation still counts: %v %v", got, err)
			}
			if got, err := rev.Revoked(ctx, "x", "bo", now.Add(-3*time.Hour)); err != nil || got {
				t.Fatalf("cut-off past its retention still counts: %v %v", got, err)
			}
			if _, err := ses.Load(ctx, "s1"); !errors.Is(err, auth.ErrNotFound) {
				t.Fatalf("expired session: %v", err)
			}
			n, err := s.Sweep(ctx)
			if err != nil || n != 5 {
				t.Fatalf("sweep: %d rows, %v; want 5 (family, token, jti, cut-off, session)", n, err)
			}
		})
	}
}

// TestPluginOnSQL: the auth plugin issues, verifies, revokes and refreshes
// with every store in SQL.
func TestPluginOnSQL(t *testing.T) {
	s, _ := newStore(t, openSQLite)
	ctx := context.Background()
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", []byte("0123456789abcdef0123456789abcdef"))),
		auth.WithRevocation(s.Revocation()), auth.WithRefresh(s.Refresh(), time.Hour))
	p, err := a.IssuePair(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, p.AccessToken); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeAll(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, p.AccessToken); err == nil {
		t.Fatal("token verified after log out everywhere")
	}
	if _, err := a.Refresh(ctx, p.RefreshToken); !errors.Is(err, auth.ErrRefreshRevoked) {
		t.Fatalf("refresh after log out everywhere: %v", err)
	}
}

func TestNewRefusals(t *testing.T) {
	if _, err := authsql.New(nil); err == nil {
		t.Fatal("nil db accepted")
	}
	db := openSQLite(t)
	if _, err := authsql.New(db, authsql.WithTablePrefix("x; DROP TABLE y")); err == nil {
		t.Fatal("unsafe prefix accepted")
	}
}

// TestTablePrefix: stores with different prefixes on one database do not
// see each other's rows.
func TestTablePrefix(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	var revs []*authsql.Revocation
	for _, p := range []string{"a_", "b_"} {
		s, err := authsql.New(db, authsql.WithTablePrefix(p))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		revs = append(revs, s.Revocation())
	}
	if err := revs[0].RevokeToken(ctx, "al", "j1", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := revs[1].Revoked(ctx, "j1", "al", time.Now()); got {
		t.Fatal("a revocation leaked across table prefixes")
	}
	if got, _ := revs[0].Revoked(ctx, "j1", "al", time.Now()); !got {
		t.Fatal("revocation lost")
	}
}

// TestDatabaseDown: a store whose database cannot answer returns errors
// (never "not revoked"), and the plugin fails closed on them by default.
func TestDatabaseDown(t *testing.T) {
	s, db := newStore(t, openSQLite)
	ctx := context.Background()
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", []byte("0123456789abcdef0123456789abcdef"))),
		auth.WithRevocation(s.Revocation()), auth.WithRefresh(s.Refresh(), time.Hour))
	p, err := a.IssuePair(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := s.Revocation().Revoked(ctx, "j", "alice", time.Now()); err == nil {
		t.Fatal("Revoked on a closed database answered")
	}
	if _, err := a.Verify(ctx, p.AccessToken); err == nil {
		t.Fatal("token verified with the revocation store down (fail closed is the default)")
	}
	if _, err := a.Refresh(ctx, p.RefreshToken); err == nil {
		t.Fatal("refresh succeeded with the store down")
	}
	if _, err := s.Sessions().Load(ctx, "x"); err == nil || errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("session load on a closed database: %v, want an error other than ErrNotFound", err)
	}
}

// TestKeysExact: keys compare byte for byte on every dialect (a MySQL
// _bin collation would make "alice" equal "alice ").
func TestKeysExact(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			s, _ := newStore(t, d.open)
			ctx := context.Background()
			now := time.Now()
			if err := s.Revocation().RevokeSubject(ctx, "alice ", now); err != nil {
				t.Fatal(err)
			}
			if err := s.Revocation().RevokeToken(ctx, "Bob", "J1", now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ jti, sub string }{{"x", "alice"}, {"J1", "bob"}, {"j1", "Bob"}} {
				if got, err := s.Revocation().Revoked(ctx, c.jti, c.sub, now.Add(-time.Hour)); err != nil || got {
					t.Errorf("Revoked(%q, %q) = %v, %v; want false", c.jti, c.sub, got, err)
				}
			}
			if err := s.Sessions().Save(ctx, "k", auth.SessionRecord{UserID: "carol"}, time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := s.Sessions().DeleteUser(ctx, "carol "); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Sessions().Load(ctx, "k"); err != nil {
				t.Fatalf("DeleteUser of another user removed the session: %v", err)
			}
			if _, err := s.Sessions().Load(ctx, "K"); !errors.Is(err, auth.ErrNotFound) {
				t.Fatalf("session key is case-insensitive: %v", err)
			}
		})
	}
}

// TestUseOnce: of concurrent UseOnce calls for one key exactly one wins,
// on every dialect and driver setting (MySQL with clientFoundRows too); a
// record past its expiry is taken over by exactly one of concurrent calls.
func TestUseOnce(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			var now atomic.Int64
			now.Store(time.Now().UnixNano())
			s, _ := newStore(t, d.open, authsql.WithClock(func() time.Time { return time.Unix(0, now.Load()) }))
			ctx := context.Background()
			// race runs n concurrent UseOnce of key and returns how many won.
			race := func(key string, until time.Time) int32 {
				const n = 8
				var wins atomic.Int32
				var wg sync.WaitGroup
				for range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						ok, err := s.Sessions().UseOnce(ctx, key, until)
						if err != nil {
							t.Error(err)
						}
						if ok {
							wins.Add(1)
						}
					}()
				}
				wg.Wait()
				return wins.Load()
			}
			until := time.Unix(0, now.Load()).Add(10 * time.Minute)
			if w := race("login:fake:abc", until); w != 1 {
				t.Fatalf("%d concurrent UseOnce of a new key won, want 1", w)
			}
			if ok, err := s.Revocation().UseOnce(ctx, "login:fake:abc", until); ok || err != nil {
				t.Fatalf("again: %v, %v", ok, err)
			}
			if ok, err := s.Refresh().UseOnce(ctx, "login:fake:other", until); !ok || err != nil {
				t.Fatalf("another key: %v, %v", ok, err)
			}
			now.Add(int64(11 * time.Minute))
			if w := race("login:fake:abc", until.Add(time.Hour)); w != 1 {
				t.Fatalf("%d concurrent UseOnce of an expired key won, want 1", w)
			}
			if ok, err := s.UseOnce(ctx, "login:fake:abc", until.Add(time.Hour)); ok || err != nil {
				t.Fatalf("again after the take-over: %v, %v", ok, err)
			}
			// An expiry already past is recorded for a second (as authredis
			// does), not taken for "never recorded".
			past := time.Unix(0, now.Load()).Add(-time.Minute)
			if w := race("login:fake:past", past); w != 1 {
				t.Fatalf("%d concurrent UseOnce with an expiry in the past won, want 1", w)
			}
			if ok, err := s.UseOnce(ctx, "login:fake:past", past); ok || err != nil {
				t.Fatalf("a past expiry, again at once: %v, %v", ok, err)
			}
			now.Add(int64(2 * time.Second))
			if ok, err := s.UseOnce(ctx, "login:fake:past", past); !ok || err != nil {
				t.Fatalf("a past expiry, again after a second: %v, %v", ok, err)
			}
		})
	}
}
