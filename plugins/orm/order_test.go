package orm_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
)

// TestErrorMappingIndependentOfOrder is issue 12's defect: AccessLog used
// after the plugin rendered the database error before the plugin's mapping
// saw it (500 instead of 409). The plugin now registers a translator with
// core, so every order answers 409 and the access log records 409.
func TestErrorMappingIndependentOfOrder(t *testing.T) {
	for _, order := range []string{"accesslog-first", "orm-first"} {
		t.Run(order, func(t *testing.T) {
			db := ormtest.SQLite(t)
			migrated(t, db)
			logs := &logBuffer{}
			app := covet.New(covet.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
			p := orm.New(orm.WithDriver(db.Driver), orm.WithDSN(db.DSN))
			if order == "accesslog-first" {
				app.Use(middleware.AccessLog())
				must(t, app.Install(p))
			} else {
				must(t, app.Install(p))
				app.Use(middleware.AccessLog())
			}
			userRoutes(app)
			start(t, app)
			cl := covettest.New(t, app)
			cl.Post("/users").JSON(map[string]string{"email": "a@example.com", "name": "A"}).Do().ExpectStatus(201)
			cl.Post("/users").JSON(map[string]string{"email": "a@example.com", "name": "B"}).Do().ExpectStatus(http.StatusConflict)
			cl.Get("/users/999").Do().ExpectStatus(http.StatusNotFound)
			if !containsAll(logs.String(), `"status":201`, `"status":409`, `"status":404`) {
				t.Errorf("access log does not record the mapped statuses:\n%s", logs.String())
			}
		})
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestHijackBehindTransactional checks that a connection can be taken over
// (a WebSocket upgrade) on a transactional route, and that the transaction
// then commits.
func TestHijackBehindTransactional(t *testing.T) {
	db := ormtest.SQLite(t)
	app, _, _ := newApp(t, db)
	app.Group("", orm.Transactional()).GET("/upgrade", func(c *covet.Context) error {
		u := &User{Email: "ws@example.com", Name: "WS"}
		if _, err := mustDB(c).NewInsert().Model(u).Exec(c.Context()); err != nil {
			return err
		}
		conn, rw, err := http.NewResponseController(c.Response()).Hijack()
		if err != nil {
			return err
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello\n")
		return rw.Flush()
	})
	start(t, app)
	ts := httptest.NewServer(app)
	defer ts.Close()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	must(t, err)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(conn, "GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	must(t, err)
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", res.StatusCode)
	}
	if line, _ := br.ReadString('\n'); line != "hello\n" {
		t.Errorf("hijacked connection sent %q", line)
	}
	conn.Close()
	// The handler returns after the client read; wait for the commit.
	deadline := time.Now().Add(10 * time.Second)
	for countRows(t, db.DB, (*User)(nil)) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the transaction of the hijacked request did not commit")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
