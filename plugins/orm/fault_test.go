package orm_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/uptrace/bun"
)

// Entry is one half of a transfer: every committed transfer has two.
type Entry struct {
	bun.BaseModel `bun:"table:entries"`
	ID            int64 `bun:",pk,autoincrement"`
	Transfer      string
	Amount        int
}

func ledgerApp(t *testing.T, db *ormtest.DB, opts ...orm.Option) *covet.App {
	t.Helper()
	_, err := db.NewCreateTable().Model((*Entry)(nil)).Exec(context.Background())
	must(t, err)
	app, _, _ := newApp(t, db, opts...)
	// A transfer writes two entries with a pause between, so connections
	// die while transactions are half done.
	app.POST("/transfer/{id}", func(c *covet.Context) error {
		id := c.Param("id")
		ctx := c.Context()
		if _, err := mustDB(c).NewInsert().Model(&Entry{Transfer: id, Amount: -10}).Exec(ctx); err != nil {
			return err
		}
		if _, err := mustDB(c).NewRaw("SELECT pg_sleep(0.02)").Exec(ctx); err != nil {
			return err
		}
		if _, err := mustDB(c).NewInsert().Model(&Entry{Transfer: id, Amount: 10}).Exec(ctx); err != nil {
			return err
		}
		return c.Text(http.StatusCreated, id)
	}, orm.Transactional())
	return app
}

type outcome struct {
	id     string
	status int
	ctype  string
}

func post(hc *http.Client, url string) (int, string, error) {
	res, err := hc.Post(url, "text/plain", nil)
	if err != nil {
		return 0, "", err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Content-Type"), nil
}

// TestKillBackendsMidLoad terminates the app's PostgreSQL backends while
// transfers run: requests in flight fail cleanly with 503, later ones
// succeed without a restart, no committed transfer is lost and none is
// half there.
func TestKillBackendsMidLoad(t *testing.T) {
	db := ormtest.Postgres(t)
	app := ledgerApp(t, db, orm.WithMaxOpenConns(8))
	start(t, app)
	srv := httptest.NewServer(app)
	defer srv.Close()
	hc := srv.Client()

	var mu sync.Mutex
	var outcomes []outcome
	var seq atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("t%d", seq.Add(1))
				status, ctype, err := post(hc, srv.URL+"/transfer/"+id)
				if err != nil {
					t.Errorf("transport error: %v", err)
					return
				}
				mu.Lock()
				outcomes = append(outcomes, outcome{id, status, ctype})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	var killed int
	admin, err := orm.Open(context.Background(), strings.Replace(db.DSN, "/"+db.Name, "/postgres", 1), db.Driver)
	must(t, err)
	defer admin.Close()
	for i := 0; i < 3; i++ { // a few rounds, to catch backends mid-transaction
		var n int
		must(t, admin.NewRaw("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()", db.Name).Scan(context.Background(), &n))
		killed += n
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if killed == 0 {
		t.Fatal("no backend was terminated")
	}

	// Later requests succeed, without restarting the app.
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("after%d", i)
		status, _, err := post(hc, srv.URL+"/transfer/"+id)
		must(t, err)
		if status != http.StatusCreated {
			t.Fatalf("request %d after the kill: status %d", i, status)
		}
		outcomes = append(outcomes, outcome{id, status, ""})
	}

	var ok, unavailable int
	committed := map[string]bool{}
	for _, o := range outcomes {
		switch {
		case o.status == http.StatusCreated:
			ok++
			committed[o.id] = true
		case o.status == http.StatusServiceUnavailable && o.ctype == "application/problem+json":
			unavailable++
		default:
			t.Errorf("transfer %s: status %d (%s), want 201 or a 503 problem", o.id, o.status, o.ctype)
		}
	}
	if unavailable == 0 {
		t.Errorf("killing %d backends failed no request in flight (%d ok): the test did not test", killed, ok)
	}
	var rows []struct {
		Transfer string
		N        int
		Sum      int
	}
	must(t, db.NewRaw("SELECT transfer, count(*) AS n, sum(amount) AS sum FROM entries GROUP BY transfer").Scan(context.Background(), &rows))
	inDB := map[string]bool{}
	for _, r := range rows {
		inDB[r.Transfer] = true
		if r.N != 2 || r.Sum != 0 {
			t.Errorf("transfer %s is partial: %d entries, sum %d", r.Transfer, r.N, r.Sum)
		}
	}
	for id := range committed {
		if !inDB[id] {
			t.Errorf("transfer %s answered 201 but is not in the database", id)
		}
	}
	t.Logf("killed %d backends; %d transfers committed, %d failed with 503", killed, ok, unavailable)
}

// TestPoolExhaustion holds every connection: a transactional request waits
// the pool timeout and gets a 503, a plain query its statement timeout, and
// nothing hangs; once the holders finish, requests succeed again.
func TestPoolExhaustion(t *testing.T) {
	db := ormtest.Postgres(t)
	app, p, _ := newApp(t, db, orm.WithMaxOpenConns(2), orm.WithPoolTimeout(300*time.Millisecond))
	// The holders keep their connection until the test releases them (a
	// lock another session holds), so the exhaustion lasts as long as the
	// test needs on a machine of any speed; a request that waited for a
	// holder instead of giving up at the pool timeout would hang until the
	// release and be answered 204, not 503.
	lockKey := time.Now().UnixNano()
	app.POST("/hold", func(c *covet.Context) error {
		_, err := mustDB(c).NewRaw("SELECT pg_advisory_lock_shared(?), pg_advisory_unlock_shared(?)", lockKey, lockKey).Exec(c.Context())
		if err != nil {
			return err
		}
		return c.NoContent(204)
	}, orm.Transactional())
	app.POST("/tx", func(c *covet.Context) error { return c.NoContent(204) }, orm.Transactional())
	app.GET("/plain", func(c *covet.Context) error {
		var n int
		if err := mustDB(c).NewRaw("SELECT 1").Scan(c.Context(), &n); err != nil {
			return err
		}
		return c.NoContent(204)
	}, orm.StatementTimeout(300*time.Millisecond))
	start(t, app)
	srv := httptest.NewServer(app)
	defer srv.Close()
	hc := srv.Client()
	hc.Timeout = 2 * time.Minute // a hang fails the test instead of blocking it

	// Another session holds the lock exclusively until released.
	locker, err := orm.Open(context.Background(), db.DSN, db.Driver)
	must(t, err)
	defer locker.Close()
	lockConn, err := locker.DB.Conn(context.Background())
	must(t, err)
	defer lockConn.Close()
	_, err = lockConn.ExecContext(context.Background(), "SELECT pg_advisory_lock($1)", lockKey)
	must(t, err)
	released := false
	release := func() {
		if !released {
			released = true
			_, err := lockConn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", lockKey)
			must(t, err)
		}
	}
	defer release()

	// Open both pool connections before the holders need them: on a loaded
	// machine dialing PostgreSQL can take longer than the 300ms pool
	// timeout the holders are under too.
	var warm sync.WaitGroup
	for i := 0; i < 2; i++ {
		warm.Add(1)
		go func() {
			defer warm.Done()
			_, _ = p.DB().ExecContext(context.Background(), "SELECT pg_sleep(0.2)")
		}()
	}
	warm.Wait()

	var holders sync.WaitGroup
	for i := 0; i < 2; i++ {
		holders.Add(1)
		go func() {
			defer holders.Done()
			if status, _, err := post(hc, srv.URL+"/hold"); err != nil || status != 204 {
				t.Errorf("holder: %d %v", status, err)
			}
		}()
	}
	// Both holders have their connection when the pool reports two in use.
	deadline := time.Now().Add(time.Minute)
	for p.DB().Stats().InUse < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the holders never took both connections: %+v", p.DB().Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}

	began := time.Now()
	status, ctype, err := post(hc, srv.URL+"/tx")
	must(t, err)
	if status != 503 || ctype != "application/problem+json" {
		t.Errorf("transaction with the pool exhausted: %d %s, want a 503 problem", status, ctype)
	}
	if d := time.Since(began); d < 250*time.Millisecond {
		t.Errorf("gave up after %v, before the 300ms pool timeout", d)
	}
	res, err := hc.Get(srv.URL + "/plain")
	must(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 503 || !bytes.Contains(body, []byte(`"status":503`)) {
		t.Errorf("plain query with the pool exhausted: %d %s", res.StatusCode, body)
	}
	release()
	holders.Wait()
	if status, _, err := post(hc, srv.URL+"/tx"); err != nil || status != 204 {
		t.Errorf("after the holders finished: %d %v", status, err)
	}
}

// TestThousandConcurrentRequests sends 1000 requests at once, reads and
// transactional writes, against a pool of 50 connections.
func TestThousandConcurrentRequests(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		app, _, _ := newApp(t, db, orm.WithMaxOpenConns(50), orm.WithMaxIdleConns(50), orm.WithPoolTimeout(20*time.Second))
		userRoutes(app)
		app.POST("/tx/users", func(c *covet.Context) error {
			u := User{Email: c.Query("email"), Name: "c"}
			if _, err := mustDB(c).NewInsert().Model(&u).Exec(c.Context()); err != nil {
				return err
			}
			return c.NoContent(201)
		}, orm.Transactional())
		start(t, app)
		ctx := context.Background()
		seed := &User{Email: "seed@x", Name: "s"}
		_, err := db.NewInsert().Model(seed).Exec(ctx)
		must(t, err)

		const n = 1000
		var wg sync.WaitGroup
		var failed atomic.Int32
		done := make(chan struct{})
		release := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var req *http.Request
				if i%2 == 0 {
					req = httptest.NewRequest("GET", fmt.Sprintf("/users/%d", seed.ID), nil)
				} else {
					req = httptest.NewRequest("POST", fmt.Sprintf("/tx/users?email=c%d@x", i), nil)
				}
				<-release
				rec := httptest.NewRecorder()
				app.ServeHTTP(rec, req)
				if rec.Code >= 300 {
					if failed.Add(1) <= 3 {
						t.Errorf("request %d: %d %s", i, rec.Code, rec.Body.String())
					}
				}
			}()
		}
		close(release)
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(45 * time.Second):
			t.Fatal("1000 concurrent requests did not complete within 45s: deadlock?")
		}
		if f := failed.Load(); f > 0 {
			t.Fatalf("%d of %d requests failed", f, n)
		}
		if got := countRows(t, db.DB, "users"); got != 1+n/2 {
			t.Errorf("users = %d, want %d", got, 1+n/2)
		}
	})
}
