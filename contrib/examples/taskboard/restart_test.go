package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
	"github.com/covetgo/covet/tools/browsertest"
)

// restartable is a taskboard instance on a fixed address that a test can
// stop and start again there, as an orchestrator restarts a process.
type restartable struct {
	t    *testing.T
	cfg  Config
	addr string

	mu   sync.Mutex
	app  *covet.App
	srv  *http.Server
	done chan struct{}
}

// startRestartable starts an instance of cfg on a free port.
func startRestartable(t *testing.T, cfg Config) *restartable {
	t.Helper()
	r := &restartable{t: t, cfg: cfg, addr: "127.0.0.1:0"}
	r.start()
	t.Cleanup(r.stop)
	return r
}

// URL is the instance's base URL.
func (r *restartable) URL() string { return "http://" + r.addr }

// App is the running app.
func (r *restartable) App() *covet.App {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.app
}

// start builds and starts a new app and serves it on the address (the
// previous one's port, once the test ran stop).
func (r *restartable) start() {
	t := r.t
	t.Helper()
	app, err := NewApp(r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitBroker(t, app)
	var ln net.Listener
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listen again on %s: %v", r.addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 30 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	}()
	r.mu.Lock()
	r.app, r.srv, r.done, r.addr = app, srv, done, ln.Addr().String()
	r.mu.Unlock()
}

// stop stops the app (the hub closes WebSockets with 1001 and ends the
// event streams) and the server; again is a no-op.
func (r *restartable) stop() {
	r.mu.Lock()
	app, srv, done := r.app, r.srv, r.done
	r.app, r.srv = nil, nil
	r.mu.Unlock()
	if app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Stop(ctx); err != nil {
		r.t.Errorf("stop: %v", err)
	}
	_ = srv.Close()
	<-done
}

// TestBrowserLiveRestart: a board page on instance B holds an EventSource
// and a WebSocket (web/assets/app.js) and gets a task created through
// instance A; B is then stopped, two tasks are created through A while it
// is down, and B is started again on its address. The page reconnects by
// itself (the EventSource, and the WebSocket with backoff), the stream
// resumes from its Last-Event-ID out of the Redis replay stream (the new B
// never saw those events), and a fourth task made after the restart
// arrives on both channels: the page got every event exactly once, in
// order. In Chromium, Firefox ESR and WebKitGTK (COVET_BROWSERS limits
// them).
func TestBrowserLiveRestart(t *testing.T) {
	browsertest.Run(t, func(t *testing.T, b browsertest.Browser) {
		cfg := clusterConfig(t)
		appA, err := NewApp(cfg)
		if err != nil {
			t.Fatal(err)
		}
		wstest.NewServer(t, appA) // runs the migrations
		waitBroker(t, appA)
		clA := covettest.New(t, appA)
		bb := startRestartable(t, cfg)
		_, bearer := signUp(t, clA, "Ada", "ada@example.com")

		must(t, "open", b.Open(bb.URL()+"/login"))
		waitFor(t, b, "sign-in page", `!!document.querySelector("#sign-in")`)
		must(t, "email", b.Fill("#email", "ada@example.com"))
		must(t, "password", b.Fill("#password", "password-of-Ada"))
		must(t, "sign in", b.Click("#sign-in"))
		waitFor(t, b, "board", `location.pathname === "/board" && !!document.querySelector("#task-form") && typeof htmx === "object"`)
		waitFor(t, b, "stream and socket open", `window.taskboardLive && taskboardLive.streamOpens >= 1 && taskboardLive.socketOpens >= 1`)
		waitMembersOf(t, bb.App(), 2) // the page's stream and socket, on B's hub

		create := func(title string) int64 {
			t.Helper()
			var task Task
			clA.Post("/api/v1/tasks").Header("Authorization", bearer).JSON(map[string]any{"title": title}).Do().
				ExpectStatus(http.StatusCreated).Decode(&task)
			return task.ID
		}
		// streamTasks is the JS list of the task ids of "created" stream events.
		const streamTasks = `taskboardLive.stream.filter(e => e.split(" ")[1] === "created").map(e => Number(e.split(" ")[2]))`
		ids := []int64{create("Before the restart")}
		waitFor(t, b, "first event on both channels", fmt.Sprintf(`JSON.stringify(%s) === %q && taskboardLive.socket >= 1`, streamTasks, jsonIDs(ids)))
		waitFor(t, b, "first task listed", `document.querySelector("#tasks").textContent.includes("Before the restart")`)

		bb.stop()
		ids = append(ids, create("While B was down"), create("Also while B was down"))
		bb.start()
		waitFor(t, b, "stream and socket reopened", `taskboardLive.streamOpens >= 2 && taskboardLive.socketOpens >= 2`)
		waitMembersOf(t, bb.App(), 2)
		ids = append(ids, create("After the restart"))

		waitFor(t, b, "every event once, in order", fmt.Sprintf(`JSON.stringify(%s) === %q`, streamTasks, jsonIDs(ids)))
		waitFor(t, b, "the last event over the new socket", `taskboardLive.socket >= 2`)
		waitFor(t, b, "all four listed", `["Before the restart", "While B was down", "Also while B was down", "After the restart"].every(s => document.querySelector("#tasks").textContent.includes(s))`)
		var sseIDs []string
		must(t, "ids", b.Eval(`taskboardLive.stream.map(e => e.split(" ")[0])`, &sseIDs))
		for i := 1; i < len(sseIDs); i++ {
			if len(sseIDs[i]) < len(sseIDs[i-1]) || (len(sseIDs[i]) == len(sseIDs[i-1]) && sseIDs[i] <= sseIDs[i-1]) {
				t.Fatalf("event ids not increasing: %v", sseIDs)
			}
		}
	}, browsertest.WithTimeout(3*time.Minute))
}

// waitMembersOf waits until app's board room has n members.
func waitMembersOf(t *testing.T, app *covet.App, n int) {
	t.Helper()
	hub := app.Plugin("ws").(*ws.Hub)
	deadline := time.Now().Add(60 * time.Second)
	for hub.Members(boardRoom) != n {
		if time.Now().After(deadline) {
			t.Fatalf("the board room has %d members, want %d", hub.Members(boardRoom), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// jsonIDs is ids as JSON.stringify writes them.
func jsonIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return "[" + strings.Join(s, ",") + "]"
}
