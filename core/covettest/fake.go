package covettest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// Fake is a fake external API (a payment provider, GitHub, a webhook
// receiver) on a real loopback server, for tests of the code that calls it,
// as respx and responses are for FastAPI apps. Its routes are declared on
// the embedded *covet.App with typed handlers, so the fake itself validates
// what the code under test sends (a missing field or header is a 422 the
// test sees). Every request is recorded; latency, errors, hangs and dropped
// connections can be injected per route.
//
//	fake := covettest.FakeService(t)
//	covet.Post(fake, "/v1/charges", func(c *covet.Context, in *ChargeIn) (*Charge, error) {
//		return &Charge{ID: "ch_1", Amount: in.Body.Amount}, nil
//	})
//	client := &http.Client{}
//	fake.Intercept(client, "api.payments.example") // or call fake.URL() directly
//	... code under test ...
//	fake.ExpectCalls("POST /v1/charges", 1)
type Fake struct {
	*covet.App
	t   testing.TB
	srv *httptest.Server

	done   chan struct{} // closed when the test ends: hung requests return
	mu     sync.Mutex
	calls  []Call
	faults []*fault
}

// Call is one request the fake received.
type Call struct {
	// Route is "METHOD /pattern" of the route that matched ("POST
	// /users/{id}"), or "METHOD /path" when none did.
	Route  string
	Method string
	// Path and Query are as received.
	Path   string
	Query  url.Values
	Header http.Header
	// Host is the request's Host (the intercepted host for Intercept).
	Host string
	Body []byte
	// Status is the status the fake answered (0 when the connection was
	// dropped or the client gave up first).
	Status int
	// At is when the request arrived.
	At time.Time
}

// JSON decodes the call's body into v, failing the test when it is not
// valid JSON.
func (c Call) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(c.Body, v); err != nil {
		t.Fatalf("covettest: body of %s is not JSON for %T: %v (%s)", c.Route, v, err, clip(c.Body))
	}
}

type faultKind uint8

const (
	faultLatency faultKind = iota
	faultStatus
	faultHang
	faultDrop
)

type fault struct {
	route  string // "" for every route
	kind   faultKind
	delay  time.Duration
	status int
	times  int // remaining; -1 for always
}

// FakeService starts an empty fake API on a loopback listener, closed when
// the test ends. Declare its routes before the first request reaches it
// (the route table freezes then, as any App's). opts configure the App
// (covet.WithDisallowUnknownFields(true) makes the fake refuse JSON fields
// the real API would not know).
func FakeService(t testing.TB, opts ...covet.Option) *Fake {
	t.Helper()
	f := &Fake{t: t, done: make(chan struct{})}
	f.App = covet.New(append([]covet.Option{covet.WithLogger(discardLogger)}, opts...)...)
	f.App.Use(f.applyFaults)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.done) }) // runs first: hung handlers return before Close waits for them
	return f
}

// URL is the fake's base URL (http://127.0.0.1:port), to configure the code
// under test with.
func (f *Fake) URL() string { return f.srv.URL }

// Client returns an http.Client for the fake.
func (f *Fake) Client() *http.Client { return f.srv.Client() }

// Transport returns an http.RoundTripper that sends every request to the
// fake, whatever its URL's scheme and host (the Host header keeps the
// original host, so the fake records it).
func (f *Fake) Transport() http.RoundTripper {
	return &interceptor{fake: f, base: f.srv.Client().Transport}
}

// Intercept makes client send its requests for the given hosts ("api.github.com",
// "login.example.com:8443") to the fake; requests for other hosts go
// through the client's previous transport. Nothing else about the client
// changes; the transport is restored when the test ends. With no hosts,
// every request goes to the fake.
func (f *Fake) Intercept(client *http.Client, hosts ...string) {
	prev := client.Transport
	next := prev
	if next == nil {
		next = http.DefaultTransport
	}
	client.Transport = &interceptor{fake: f, base: f.srv.Client().Transport, hosts: hosts, next: next}
	f.t.Cleanup(func() { client.Transport = prev })
}

type interceptor struct {
	fake  *Fake
	base  http.RoundTripper // to the fake
	hosts []string
	next  http.RoundTripper // other hosts
}

func (i *interceptor) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(i.hosts) > 0 && !i.matches(r.URL) {
		return i.next.RoundTrip(r)
	}
	u, _ := url.Parse(i.fake.srv.URL)
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host = u.Scheme, u.Host
	if r2.Host == "" {
		r2.Host = r.URL.Host
	}
	return i.base.RoundTrip(r2)
}

func (i *interceptor) matches(u *url.URL) bool {
	for _, h := range i.hosts {
		if strings.EqualFold(h, u.Host) || strings.EqualFold(h, u.Hostname()) && !strings.Contains(h, ":") {
			return true
		}
	}
	return false
}

type callKey struct{}

// serve records a request, then lets the App answer it through a writer
// that records the status as it is sent.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	idx := len(f.calls)
	f.calls = append(f.calls, Call{Route: r.Method + " " + r.URL.Path, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
		Header: r.Header.Clone(), Host: r.Host, Body: body, At: time.Now()})
	f.mu.Unlock()
	rec := &statusWriter{ResponseWriter: w, f: f, idx: idx}
	f.App.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), callKey{}, idx)))
}

// statusWriter records the status of a call when it is sent, before the
// client can see the response.
type statusWriter struct {
	http.ResponseWriter
	f    *Fake
	idx  int
	sent bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.sent && code >= 200 {
		s.sent = true
		s.f.mu.Lock()
		s.f.calls[s.idx].Status = code
		s.f.mu.Unlock()
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.sent {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Flush() { _ = http.NewResponseController(s.ResponseWriter).Flush() }

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// faults is the fake's middleware: it names the call's route and applies
// the injected faults.
func (f *Fake) applyFaults(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		r := c.Request()
		route := r.Method + " " + r.URL.Path
		f.mu.Lock()
		if ri := c.Route(); ri != nil {
			route = ri.Method + " " + ri.Pattern
			if idx, ok := r.Context().Value(callKey{}).(int); ok {
				f.calls[idx].Route = route
			}
		}
		faults := f.take(route, r.URL.Path)
		f.mu.Unlock()
		for _, ft := range faults {
			switch ft.kind {
			case faultLatency:
				tm := time.NewTimer(ft.delay)
				select {
				case <-tm.C:
				case <-r.Context().Done():
					tm.Stop()
					return nil // the client gave up: the call's Status stays 0
				case <-f.done:
					tm.Stop()
					return nil
				}
			case faultHang:
				select {
				case <-r.Context().Done():
				case <-f.done:
				}
				return nil
			case faultDrop:
				if conn, _, err := http.NewResponseController(c.Response()).Hijack(); err == nil {
					_ = conn.Close()
				}
				return nil
			case faultStatus:
				return c.JSON(ft.status, map[string]any{"error": http.StatusText(ft.status), "status": ft.status, "injected": true})
			}
		}
		return next(c)
	}
}

// take returns the faults that apply to this request, counting them down.
func (f *Fake) take(route, path string) []*fault {
	var out []*fault
	for _, ft := range f.faults {
		if ft.times == 0 || ft.route != "" && ft.route != route && !strings.HasSuffix(ft.route, " "+path) {
			continue
		}
		if ft.times > 0 {
			ft.times--
		}
		out = append(out, ft)
	}
	return out
}

func (f *Fake) addFault(ft *fault) *Fake {
	f.mu.Lock()
	f.faults = append(f.faults, ft)
	f.mu.Unlock()
	return f
}

// Latency delays every answer of route ("POST /v1/charges", the pattern or
// the path; "" for every route) by d. A client that gives up first gets
// nothing (its call records status 0).
func (f *Fake) Latency(route string, d time.Duration) *Fake {
	return f.addFault(&fault{route: route, kind: faultLatency, delay: d, times: -1})
}

// FailNext answers the next times requests for route with status and a
// small JSON error body, before the handler runs; later requests reach the
// handler again (retry tests: FailNext(route, 503, 2) then success).
func (f *Fake) FailNext(route string, status, times int) *Fake {
	return f.addFault(&fault{route: route, kind: faultStatus, status: status, times: times})
}

// Hang makes route never answer: the request waits until the client gives
// up (a timeout test). It ends when the test's server closes.
func (f *Fake) Hang(route string) *Fake {
	return f.addFault(&fault{route: route, kind: faultHang, times: -1})
}

// Drop closes the connection of the next times requests for route without
// an answer (the client sees a network error, such as io.EOF).
func (f *Fake) Drop(route string, times int) *Fake {
	return f.addFault(&fault{route: route, kind: faultDrop, times: times})
}

// Calls returns the recorded calls, oldest first; with a route ("POST
// /v1/charges", pattern or path), only its calls.
func (f *Fake) Calls(route ...string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if len(route) == 0 || matchRoute(route[0], c) {
			out = append(out, c)
		}
	}
	return out
}

func matchRoute(route string, c Call) bool {
	return route == c.Route || route == c.Method+" "+c.Path
}

// LastCall returns the last call of route, failing the test when there is none.
func (f *Fake) LastCall(route string) Call {
	f.t.Helper()
	cs := f.Calls(route)
	if len(cs) == 0 {
		f.t.Fatalf("covettest: no call of %s; calls: %s", route, f.summary())
		return Call{}
	}
	return cs[len(cs)-1]
}

// ExpectCalls fails the test unless route was called exactly n times.
func (f *Fake) ExpectCalls(route string, n int) *Fake {
	f.t.Helper()
	if got := len(f.Calls(route)); got != n {
		f.t.Errorf("covettest: %s called %d times, want %d; calls: %s", route, got, n, f.summary())
	}
	return f
}

// ExpectNoCalls fails the test if the fake received any request.
func (f *Fake) ExpectNoCalls() *Fake {
	f.t.Helper()
	if cs := f.Calls(); len(cs) > 0 {
		f.t.Errorf("covettest: want no calls; got %s", f.summary())
	}
	return f
}

// Reset forgets the recorded calls (faults stay).
func (f *Fake) Reset() {
	f.mu.Lock()
	f.calls = nil
	f.mu.Unlock()
}

func (f *Fake) summary() string {
	cs := f.Calls()
	if len(cs) == 0 {
		return "none"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s → %d", c.Route, c.Status)
	}
	return strings.Join(parts, ", ")
}

var discardLogger = slog.New(slog.DiscardHandler)
