package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

func TestTimeoutFastHandler(t *testing.T) {
	app, _ := newApp()
	app.GET("/", func(c *covet.Context) error {
		deadline, ok := c.Context().Deadline()
		if !ok || time.Until(deadline) > time.Minute {
			return fmt.Errorf("context deadline %v, %v", deadline, ok)
		}
		// The request (copied only when asked for) carries the same context.
		if c.Request().Context() != c.Context() {
			return fmt.Errorf("the request's context is not c.Context()")
		}
		if d, ok := c.Request().Context().Deadline(); !ok || !d.Equal(deadline) {
			return fmt.Errorf("request context deadline %v, %v; want %v", d, ok, deadline)
		}
		c.SetHeader("X-Handler", "yes")
		return c.Text(http.StatusAccepted, "done")
	}, middleware.Timeout(time.Minute))
	app.GET("/headers-only", func(c *covet.Context) error {
		c.SetHeader("X-Handler", "set without writing")
		return nil
	}, middleware.Timeout(time.Minute))
	cl := covettest.New(t, app)
	cl.Get("/").Do().ExpectStatus(http.StatusAccepted).ExpectHeader("X-Handler", "yes").ExpectBody("done")
	cl.Get("/headers-only").Do().ExpectStatus(200).ExpectHeader("X-Handler", "set without writing")
}

// The client gets the timeout answer while the handler still runs.
func TestTimeoutAnswersAtOnce(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			app, logs := newApp()
			release := make(chan struct{})
			var releaseOnce sync.Once
			// Never hang: after a while the handler goes on (and the test fails).
			stop := time.AfterFunc(10*time.Second, func() { releaseOnce.Do(func() { close(release) }) })
			defer stop.Stop()
			writeErr := make(chan error, 1)
			var opts []middleware.TimeoutOption
			if status != http.StatusServiceUnavailable {
				opts = append(opts, middleware.WithTimeoutStatus(status))
			}
			app.Use(middleware.RequestID(), middleware.AccessLog())
			app.GET("/slow", func(c *covet.Context) error {
				c.SetHeader("X-Handler", "must not leak into the timeout answer")
				<-c.Context().Done() // the deadline cancels the request's context
				<-release            // and the answer is out before the handler returns
				_, err := c.Response().Write([]byte("too late"))
				writeErr <- err
				return nil
			}, middleware.Timeout(20*time.Millisecond, opts...))

			srv := httptest.NewServer(app)
			defer srv.Close()
			res := covettest.NewRemote(t, srv.URL).Get("/slow").Header("X-Request-ID", "slow-1").Do()
			releaseOnce.Do(func() { close(release) })
			res.ExpectStatus(status).ExpectNoHeader("X-Handler").ExpectHeader("X-Request-ID", "slow-1")
			p := res.Problem()
			if p.Status != status || p.Instance != "/slow" || p.RequestID != "slow-1" || !strings.Contains(p.Detail, "20ms") {
				t.Errorf("problem = %+v", p)
			}
			if err := <-writeErr; !errors.Is(err, http.ErrHandlerTimeout) {
				t.Errorf("late write returned %v, want http.ErrHandlerTimeout", err)
			}
			srv.Close() // waits for the handler, so the access record is written
			recs := logs.Find(t, "request")
			if len(recs) != 1 || recs[0]["status"] != float64(status) {
				t.Errorf("access log = %v, want status %d", recs, status)
			}
		})
	}
}

// answeredRecorder is a ResponseRecorder that tells when the status was
// written, so a handler can wait for the timer's answer.
type answeredRecorder struct {
	*httptest.ResponseRecorder
	once     sync.Once
	answered chan struct{}
}

func newAnsweredRecorder() *answeredRecorder {
	return &answeredRecorder{ResponseRecorder: httptest.NewRecorder(), answered: make(chan struct{})}
}

func (r *answeredRecorder) WriteHeader(code int) {
	r.ResponseRecorder.WriteHeader(code)
	r.once.Do(func() { close(r.answered) })
}

// wait blocks until the status was written (or fails the test after a while).
func (r *answeredRecorder) wait(t *testing.T) {
	select {
	case <-r.answered:
	case <-time.After(10 * time.Second):
		t.Error("the timeout answer was not written")
	}
}

// TestTimeoutHandlerErrors: the cases that must time out wait for the
// deadline (their outcome does not depend on when it comes); those that
// must not get a minute, so a slow machine cannot make them time out.
func TestTimeoutHandlerErrors(t *testing.T) {
	var rec *answeredRecorder
	tests := []struct {
		name   string
		d      time.Duration
		h      covet.HandlerFunc
		status int
	}{
		{"returns the context's error", 10 * time.Millisecond, func(c *covet.Context) error {
			<-c.Context().Done()
			return fmt.Errorf("query: %w", c.Context().Err())
		}, http.StatusServiceUnavailable},
		{"returns the write error", 10 * time.Millisecond, func(c *covet.Context) error {
			rec.wait(t)
			return c.Text(200, "late")
		}, http.StatusServiceUnavailable},
		{"its own deadline error, before ours", time.Minute, func(c *covet.Context) error {
			return context.DeadlineExceeded
		}, http.StatusInternalServerError},
		{"ordinary error", time.Minute, func(c *covet.Context) error {
			return covet.NewError(http.StatusNotFound, "no such task")
		}, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handled := 0
			app, _ := newApp(covet.WithErrorHandler(func(c *covet.Context, err error) {
				handled++
				covet.DefaultErrorHandler(c, err)
			}))
			probe := &statusProbe{}
			app.Use(probe.mw)
			app.GET("/", tt.h, middleware.Timeout(tt.d))
			rec = newAnsweredRecorder()
			app.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if rec.Code != tt.status || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("status %d, content type %q; want a %d problem", rec.Code, rec.Header().Get("Content-Type"), tt.status)
			}
			if probe.err != nil || probe.status != tt.status {
				t.Errorf("outside Timeout: error %v, status %d; want nil, %d", probe.err, probe.status, tt.status)
			}
			if handled != 1 {
				t.Errorf("error handler ran %d times, want 1", handled)
			}
		})
	}
}

// A response the handler started before the deadline is left to finish.
// The test expires the request itself once the first part is out, so a
// slow machine cannot let the deadline pass before the handler writes.
func TestTimeoutStartedResponseFinishes(t *testing.T) {
	app, _ := newApp()
	timeout, expire := middleware.TimeoutWithTrigger(time.Hour)
	var errAfter error
	app.GET("/", func(c *covet.Context) error {
		c.Response().WriteHeader(200)
		_, _ = c.Response().Write([]byte("first "))
		c.Response().Flush()
		expire()
		errAfter = c.Context().Err()
		_, err := c.Response().Write([]byte("second"))
		return err
	}, timeout)
	srv := httptest.NewServer(app)
	defer srv.Close()
	covettest.NewRemote(t, srv.URL).Get("/").Do().ExpectStatus(200).ExpectBody("first second")
	if !errors.Is(errAfter, context.DeadlineExceeded) {
		t.Errorf("context error after the deadline: %v, want context.DeadlineExceeded", errAfter)
	}
}

func TestTimeoutRestoresTheRequest(t *testing.T) {
	app, _ := newApp()
	var outerErr error
	var outerDeadline bool
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			err := next(c)
			outerErr = c.Context().Err()
			_, outerDeadline = c.Context().Deadline()
			return err
		}
	})
	app.GET("/", func(c *covet.Context) error { return c.NoContent(204) }, middleware.Timeout(time.Minute))
	covettest.New(t, app).Get("/").Do().ExpectStatus(204)
	if outerErr != nil || outerDeadline {
		t.Errorf("outside Timeout the request's context has error %v, deadline %v; want its own", outerErr, outerDeadline)
	}
}

func TestTimeoutHEAD(t *testing.T) {
	app, _ := newApp()
	rec := newAnsweredRecorder()
	app.HEAD("/", func(c *covet.Context) error {
		rec.wait(t)
		return nil
	}, middleware.Timeout(5*time.Millisecond))
	app.ServeHTTP(rec, httptest.NewRequest("HEAD", "/", nil))
	if rec.Code != 503 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, body %q", rec.Code, rec.Body)
	}
}

func TestTimeoutPanicBelow(t *testing.T) {
	app, _ := newApp()
	app.Use(middleware.AccessLog(), middleware.Recover())
	app.GET("/", func(c *covet.Context) error { panic("in a timed handler") }, middleware.Timeout(time.Minute))
	covettest.New(t, app).Get("/").Do().ExpectStatus(500).Problem()
}

func TestTimeoutBadConfigurationPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"zero duration": func() { middleware.Timeout(0) },
		"2xx status":    func() { middleware.Timeout(time.Second, middleware.WithTimeoutStatus(200)) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

// Handlers that finish around the deadline, in parallel, over the network:
// every answer is either the handler's, whole, or the timeout problem. Run
// with -race to check the timer and the handler never touch the response
// (or the pooled Context) at the same time.
func TestTimeoutRace(t *testing.T) {
	app, _ := newApp()
	app.Use(middleware.RequestID(), middleware.Timing(), middleware.AccessLog(), middleware.Recover(), middleware.SecureHeaders())
	app.GET("/", func(c *covet.Context) error {
		c.SetHeader("X-Handler", "1")
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
		for i := range 4 {
			if _, err := fmt.Fprintf(c.Response(), "part%d;", i); err != nil {
				return err
			}
		}
		return nil
	}, middleware.Timeout(time.Millisecond))
	// c.Text starts the response before it sets Content-Type (StartResponse):
	// the real header map, raced against the timer.
	app.GET("/text", func(c *covet.Context) error {
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
		return c.Text(http.StatusOK, "part0;part1;part2;part3;")
	}, middleware.Timeout(time.Millisecond))
	srv := httptest.NewServer(app)
	defer srv.Close()

	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path, handlerHeader := "/", "1"
			if g%2 == 1 {
				path, handlerHeader = "/text", ""
			}
			for range 25 {
				res, err := http.Get(srv.URL + path)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				switch {
				case res.StatusCode == 200 && string(b) == "part0;part1;part2;part3;" && res.Header.Get("X-Handler") == handlerHeader:
				case res.StatusCode == 503 && strings.Contains(string(b), `"status":503`) && res.Header.Get("X-Handler") == "" &&
					res.Header.Get("Content-Type") == "application/problem+json":
				default:
					t.Errorf("status %d, headers %v, body %q", res.StatusCode, res.Header, b)
				}
				mu.Lock()
				counts[res.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("answers by status: %v", counts)
}

// A route's shorter timeout inside a group's longer one answers first; the
// outer one then has nothing left to do.
func TestTimeoutNested(t *testing.T) {
	app, logs := newApp()
	app.Use(middleware.AccessLog())
	g := app.Group("/api", middleware.Timeout(time.Minute, middleware.WithTimeoutStatus(http.StatusGatewayTimeout)))
	rec := newAnsweredRecorder()
	g.GET("/slow", func(c *covet.Context) error {
		rec.wait(t)
		return c.Context().Err()
	}, middleware.Timeout(10*time.Millisecond))
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/api/slow", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "10ms") {
		t.Errorf("status %d, body %s; want the inner 503", rec.Code, rec.Body)
	}
	if recs := logs.Find(t, "request"); len(recs) != 1 || recs[0]["status"] != float64(503) {
		t.Errorf("access log = %v", recs)
	}
}

// TestTimeoutAnswerClosesConnection (issue 13 #9): the timeout answer says
// Connection: close, so a keep-alive client's next request does not queue
// on the connection behind the handler that is still running.
func TestTimeoutAnswerClosesConnection(t *testing.T) {
	app, _ := newApp()
	release := make(chan struct{})
	app.GET("/stuck", func(c *covet.Context) error {
		<-release // stuck well past the deadline, ignoring its context
		return nil
	}, middleware.Timeout(20*time.Millisecond))
	app.GET("/fast", func(c *covet.Context) error { return c.Text(200, "fast") })
	srv := httptest.NewServer(app)
	defer srv.Close()
	defer close(release) // runs before srv.Close: the handler ends first
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	// With one connection allowed, the next request can only be answered if
	// the stuck one's connection was given up.
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	res, err := client.Get(srv.URL + "/stuck")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !res.Close {
		t.Fatalf("timeout answer: status %d, Connection %q; want 503 with Connection: close", res.StatusCode, res.Header.Get("Connection"))
	}
	res, err = client.Get(srv.URL + "/fast")
	if err != nil {
		t.Fatalf("next request on the keep-alive client: %v (queued behind the stuck handler)", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "fast" {
		t.Fatalf("next request answered %q", b)
	}
}

// TestTimeoutContext: the request's context under Timeout behaves as a
// context.WithTimeout would: contexts derived from it end with
// context.DeadlineExceeded at the deadline, values pass through, and once
// the handler returned it is canceled.
func TestTimeoutContext(t *testing.T) {
	type key struct{}
	app, _ := newApp()
	var after context.Context
	app.GET("/", func(c *covet.Context) error {
		ctx := context.WithValue(c.Context(), key{}, "v")
		derived, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		select {
		case <-derived.Done():
		case <-time.After(30 * time.Second):
			return errors.New("the derived context was not canceled at the deadline")
		}
		if err := derived.Err(); !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("derived context error %v, want context.DeadlineExceeded", err)
		}
		if derived.Value(key{}) != "v" {
			return errors.New("value lost")
		}
		after = c.Context()
		return c.Context().Err()
	}, middleware.Timeout(10*time.Millisecond))
	app.GET("/fast", func(c *covet.Context) error {
		after = c.Context()
		if err := after.Err(); err != nil {
			return err
		}
		return c.NoContent(204)
	}, middleware.Timeout(time.Minute))
	cl := covettest.New(t, app)
	cl.Get("/").Do().ExpectStatus(503)
	if !errors.Is(after.Err(), context.DeadlineExceeded) {
		t.Errorf("after the deadline: %v", after.Err())
	}
	cl.Get("/fast").Do().ExpectStatus(204)
	if !errors.Is(after.Err(), context.Canceled) {
		t.Errorf("after the handler returned: %v, want context.Canceled", after.Err())
	}
	select {
	case <-after.Done():
	default:
		t.Error("Done not closed after the handler returned")
	}
}

// TestTimeoutTrigger: several requests wait under one Timeout; expiring
// them answers each with the timeout problem, and a request that finished
// before is not touched.
func TestTimeoutTrigger(t *testing.T) {
	app, _ := newApp()
	timeout, expire := middleware.TimeoutWithTrigger(time.Hour)
	started := make(chan struct{}, 3)
	release := make(chan struct{})
	app.GET("/wait", func(c *covet.Context) error {
		started <- struct{}{}
		<-release
		return nil
	}, timeout)
	app.GET("/fast", func(c *covet.Context) error { return c.Text(200, "fast") }, timeout)
	srv := httptest.NewServer(app)
	defer srv.Close()
	defer close(release)
	remote := covettest.NewRemote(t, srv.URL)
	remote.Get("/fast").Do().ExpectStatus(200).ExpectBody("fast")
	results := make(chan int, 3)
	for range 3 {
		go func() {
			res, err := http.Get(srv.URL + "/wait")
			if err != nil {
				results <- 0
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			results <- res.StatusCode
		}()
	}
	for range 3 {
		<-started
	}
	expire()
	for range 3 {
		if code := <-results; code != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503", code)
		}
	}
}

// TestTimeoutAllocations: Timeout adds no allocation per request.
func TestTimeoutAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count")
	}
	count := func(mw ...covet.Middleware) float64 { return allocsPerRequest(200, mw...) }
	bare, timed := count(), count(middleware.Timeout(time.Minute))
	t.Logf("allocations per request: %.1f bare, %.1f with Timeout", bare, timed)
	// The entry comes from a slab of 16 (less than one allocation per
	// request, which AllocsPerRun's whole count rounds away), c.Text starts
	// the response before it sets a header (no map of the handlers' own;
	// one would come from the queue's spares), and the request is not
	// copied unless asked for.
	if timed != bare {
		t.Errorf("Timeout adds %.1f allocations per request (%.1f vs %.1f), want none", timed-bare, timed, bare)
	}
	// A handler that sets a header before it starts the response gets a map
	// of its own: a finished request's, emptied.
	setFirst := func(c *covet.Context) error {
		c.SetHeader("X-Handler", "yes")
		return c.Text(200, "hello")
	}
	bare, timed = allocsPerRequestOf(200, setFirst), allocsPerRequestOf(200, setFirst, middleware.Timeout(time.Minute))
	if timed != bare {
		t.Errorf("setting a header first, Timeout adds %.1f allocations per request (%.1f vs %.1f), want none", timed-bare, timed, bare)
	}
}

// TestTimeoutTrailers: a trailer the handler sets after writing the body
// reaches the client (once the response started, the handler's header map
// is the real one), and the declared headers go out as before.
func TestTimeoutTrailers(t *testing.T) {
	app, _ := newApp()
	app.GET("/t", func(c *covet.Context) error {
		h := c.Response().Header()
		h.Set("Trailer", "X-Checksum")
		h.Set("X-Before", "yes")
		c.Response().WriteHeader(http.StatusOK)
		_, _ = c.Response().Write([]byte("body"))
		c.Response().Header().Set("X-Checksum", "abc")
		return nil
	}, middleware.Timeout(time.Minute))
	srv := httptest.NewServer(app)
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/t")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, err := io.ReadAll(res.Body); err != nil {
		t.Fatal(err)
	}
	if got := res.Header.Get("X-Before"); got != "yes" {
		t.Errorf("X-Before = %q, want yes", got)
	}
	if got := res.Trailer.Get("X-Checksum"); got != "abc" {
		t.Errorf("trailer X-Checksum = %q, want abc", got)
	}
}
