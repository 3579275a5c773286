package scaleout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Kinds of requests the harness sends.
const (
	KindList   = "list"   // GET /api/v1/tasks?limit=20 (Mix.KeysetList: &cursor=)
	KindGet    = "get"    // GET /api/v1/tasks/{id} of a task created earlier
	KindCreate = "create" // POST /api/v1/tasks, title carrying an idempotency id
	KindLogin  = "login"  // POST /api/v1/auth/token (password grant)
)

// Record is one request and its answer.
type Record struct {
	Kind  string
	Start time.Time
	// Took is the time to the whole answer.
	Took time.Duration
	// Status is the HTTP status, 0 when no answer came (Err says why).
	Status int
	Err    string
	// Title is the created task's title (KindCreate): the idempotency id.
	Title string
}

// Failed reports whether the request failed on the server's or network's
// side: no answer, or a 5xx.
func (r Record) Failed() bool { return r.Status == 0 || r.Status >= 500 }

// user is a signed-in client of the harness, with its own source address
// (127.0.0.x: the instances see it through X-Forwarded-For).
type user struct {
	email, password, token string
	// client (net/http) serves the set-up, the cross-instance checks and
	// the subscribers; fast (fasthttp) the generated traffic, from the same
	// source address.
	client *http.Client
	fast   *fasthttp.HostClient
	// bearer is "Bearer " + token; loginForm the password grant's body.
	bearer    string
	loginForm []byte
}

// clientFrom returns an HTTP client whose connections come from the
// loopback address src.
func clientFrom(src string, conns int) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return &http.Client{Timeout: requestTimeout, Transport: &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     30 * time.Second,
	}}
}

// requestTimeout bounds each request, from sending to the whole answer.
const requestTimeout = 30 * time.Second

// fastClientFrom returns the generator's client of the load balancer at
// addr (host:port), its connections from the loopback address src, kept
// alive between requests.
func fastClientFrom(addr, src string) *fasthttp.HostClient {
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return &fasthttp.HostClient{
		Addr: addr,
		Name: "scaleout-harness",
		Dial: func(addr string) (net.Conn, error) { return d.Dial("tcp", addr) },
		// No bound of its own (net/http's has none): drive's maxInFlight
		// bounds the requests outstanding.
		MaxConns: math.MaxInt32,
		// The most recently used connection first; the others idle and
		// are closed before HAProxy's 10 s keep-alive timeout would close
		// them under a request.
		ConnPoolStrategy:    fasthttp.LIFO,
		MaxIdleConnDuration: 5 * time.Second,
		// A read (list, task) is sent again once after a network error
		// (as net/http does on a reused connection); a write never: its
		// failure is recorded, so no write can be stored twice.
		MaxIdemponentCallAttempts: 2,
		DisablePathNormalizing:    true,
	}
}

// traffic is the load generator of a run.
type traffic struct {
	lb   string
	host string // the load balancer's host:port (lb without its scheme)
	// timeout bounds each generated request (0: requestTimeout).
	timeout time.Duration
	run     string // the run's id, in every title
	users   []*user

	seq     atomic.Int64
	idsMu   sync.Mutex
	ids     []int64
	recMu   sync.Mutex
	records []Record
}

// setupUsers signs up n users through the load balancer and signs each
// in, all at once.
func (tr *traffic) setupUsers(ctx context.Context, n int) error {
	tr.users = make([]*user, n)
	tr.host = strings.TrimPrefix(tr.lb, "http://")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		src := fmt.Sprintf("127.0.0.%d", 10+i%200)
		u := &user{email: fmt.Sprintf("%s-u%d@scaleout.test", tr.run, i), password: "scaleout-password-" + tr.run,
			client: clientFrom(src, 16), fast: fastClientFrom(tr.host, src)}
		u.loginForm = []byte(url.Values{"grant_type": {"password"}, "username": {u.email}, "password": {u.password}}.Encode())
		tr.users[i] = u
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(map[string]string{"name": fmt.Sprintf("user %d", i), "email": u.email, "password": u.password})
			errs[i] = retry(ctx, func() error {
				st, b, err := tr.do(ctx, u.client, http.MethodPost, "/api/v1/users", "application/json", body, "")
				if err == nil && st != http.StatusCreated && st != http.StatusConflict {
					err = fmt.Errorf("sign-up: %d %s", st, b)
				}
				return err
			})
			if errs[i] == nil {
				errs[i] = retry(ctx, func() error { return tr.login(ctx, u) })
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// closeIdle closes the generator's idle keep-alive connections (after
// the traffic; the next step of a comparison starts a fresh generator).
func (tr *traffic) closeIdle() {
	for _, u := range tr.users {
		u.fast.CloseIdleConnections()
	}
}

// retry calls f until it succeeds, for at most 60 s (set-up on a loaded machine).
func retry(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (tr *traffic) login(ctx context.Context, u *user) error {
	st, b, err := tr.do(ctx, u.client, http.MethodPost, "/api/v1/auth/token", "application/x-www-form-urlencoded", u.loginForm, "")
	if err != nil {
		return err
	}
	if st != http.StatusOK {
		return fmt.Errorf("login: %d %s", st, b)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
		return fmt.Errorf("login: no access token in %s", b)
	}
	u.token = tok.AccessToken
	u.bearer = "Bearer " + tok.AccessToken
	return nil
}

// do sends one request through the load balancer with net/http and reads
// the whole answer (the set-up and the cross-instance checks; the generated
// traffic goes through one).
func (tr *traffic) do(ctx context.Context, c *http.Client, method, path, ctype string, body []byte, token string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, tr.lb+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("X-Forwarded-For", spoofedXFF)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// Mix is the share of each kind of request, in percent (the rest: lists).
type Mix struct {
	Get, Create, Login int
	// KeysetList asks each list for the first keyset page
	// (/api/v1/tasks?limit=20&cursor=: the 20 first tasks, no total) instead
	// of an offset page, whose total counts every task. The peers' list is
	// the former (20 rows, no count); the fault runs keep the latter, the
	// taskboard's default page.
	KeysetList bool
}

// listPath is the list's request URI under mix.
func (mix Mix) listPath() string {
	if mix.KeysetList {
		return "/api/v1/tasks?limit=20&cursor="
	}
	return "/api/v1/tasks?limit=20"
}

// sender is one worker's request, response and scratch buffer, reused
// request after request (fasthttp's objects, acquired once per worker).
type sender struct {
	req  *fasthttp.Request
	resp *fasthttp.Response
	buf  []byte
}

func newSender() *sender {
	return &sender{req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse(), buf: make([]byte, 0, 256)}
}

func (s *sender) release() {
	fasthttp.ReleaseRequest(s.req)
	fasthttp.ReleaseResponse(s.resp)
}

// spoofedXFF is the X-Forwarded-For every generated request carries: a
// client claiming another address, which the instances must ignore (only
// the proxy is trusted), so rate limits key on the real source.
const spoofedXFF = "203.0.113.7"

// one sends one request of a kind drawn from mix with s's objects and
// records it. It neither allocates a request nor starts a goroutine: the
// request's timeout is a deadline on the connection.
func (tr *traffic) one(s *sender, mix Mix) {
	u := tr.users[rand.IntN(len(tr.users))]
	p := rand.IntN(100)
	req, resp := s.req, s.resp
	req.Reset()
	req.Header.SetHost(tr.host)
	req.Header.Set("X-Forwarded-For", spoofedXFF)
	rec := Record{Start: time.Now()}
	switch {
	case p < mix.Create:
		rec.Kind = KindCreate
		rec.Title = tr.run + "-" + strconv.FormatInt(tr.seq.Add(1), 10)
		req.Header.SetMethod(fasthttp.MethodPost)
		req.SetRequestURI("/api/v1/tasks")
		req.Header.SetContentType("application/json")
		req.Header.Set("Authorization", u.bearer)
		// The title is the run's id (hex) and a number: nothing to escape.
		b := append(s.buf[:0], `{"title":"`...)
		b = append(b, rec.Title...)
		b = append(b, `","priority":`...)
		b = strconv.AppendInt(b, int64(1+rand.IntN(5)), 10)
		b = append(b, `,"tags":["scaleout"]}`...)
		s.buf = b
		req.SetBodyRaw(b)
	case p < mix.Create+mix.Get:
		rec.Kind = KindGet
		tr.idsMu.Lock()
		var id int64 = 1
		if len(tr.ids) > 0 {
			id = tr.ids[rand.IntN(len(tr.ids))]
		}
		tr.idsMu.Unlock()
		s.buf = strconv.AppendInt(append(s.buf[:0], "/api/v1/tasks/"...), id, 10)
		req.SetRequestURIBytes(s.buf)
	case p < mix.Create+mix.Get+mix.Login:
		rec.Kind = KindLogin
		req.Header.SetMethod(fasthttp.MethodPost)
		req.SetRequestURI("/api/v1/auth/token")
		req.Header.SetContentType("application/x-www-form-urlencoded")
		req.SetBodyRaw(u.loginForm)
	default:
		rec.Kind = KindList
		req.SetRequestURI(mix.listPath())
	}
	timeout := tr.timeout
	if timeout == 0 {
		timeout = requestTimeout
	}
	err := u.fast.DoTimeout(req, resp, timeout)
	rec.Took = time.Since(rec.Start)
	if err != nil {
		// No answer (refused, reset, closed, timed out): a failure with its reason.
		rec.Err = err.Error()
	} else {
		rec.Status = resp.StatusCode()
		b := resp.Body()
		if rec.Kind == KindCreate && rec.Status == http.StatusCreated {
			if id := createdID(b); id > 0 {
				tr.idsMu.Lock()
				tr.ids = append(tr.ids, id)
				tr.idsMu.Unlock()
			}
		}
		if rec.Status >= 500 {
			// Who answered: HAProxy's pages are HTML, the instances' problems JSON.
			rec.Err = strings.Join(strings.Fields(string(b[:min(len(b), 120)])), " ")
		}
	}
	tr.recMu.Lock()
	tr.records = append(tr.records, rec)
	tr.recMu.Unlock()
}

// createdID returns the number in the top-level "id" member of the JSON
// object b (a created task), 0 when it has none. It scans instead of
// decoding: the harness's CPU is taken from the apps it measures.
func createdID(b []byte) int64 {
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			// A key is the only string followed by a colon.
			if depth == 1 && bytes.HasPrefix(b[i:], []byte(`"id"`)) {
				j := i + 4
				for j < len(b) && isSpace(b[j]) {
					j++
				}
				if j < len(b) && b[j] == ':' {
					j++
					for j < len(b) && isSpace(b[j]) {
						j++
					}
					var n int64
					k := j
					for ; k < len(b) && b[k] >= '0' && b[k] <= '9' && k-j < 18; k++ {
						n = n*10 + int64(b[k]-'0')
					}
					if k == j || (k < len(b) && (b[k] == '.' || b[k] == 'e' || b[k] == 'E' || (b[k] >= '0' && b[k] <= '9'))) {
						return 0
					}
					return n
				}
			}
			inString = true
		}
	}
	return 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// drive sends requests at rate per second (open loop: a slow answer does
// not slow the sending, up to maxInFlight outstanding) until ctx ends, and
// returns how many it could not send (maxInFlight outstanding). The
// requests are sent by workers that live as long as the run, each with its
// own reusable request and response: a request due finds an idle worker,
// or a new one is started while fewer than maxInFlight exist. A request on
// its way when the run ends gets its answer.
func (tr *traffic) drive(ctx context.Context, rate float64, mix Mix, maxInFlight int) (dropped int64) {
	work := make(chan struct{}) // unbuffered: a send succeeds only to an idle worker
	var wg sync.WaitGroup
	workers := 0
	defer func() {
		close(work)
		wg.Wait()
	}()
	interval := time.Duration(float64(time.Second) / rate)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	start := time.Now()
	for n := int64(0); ; n++ {
		next := start.Add(time.Duration(n) * interval)
		if d := time.Until(next); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return dropped
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			return dropped
		}
		select {
		case work <- struct{}{}:
			continue
		default:
		}
		if workers == maxInFlight {
			dropped++ // the generator could not keep up: counted, not hidden
			continue
		}
		workers++
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newSender()
			defer s.release()
			tr.one(s, mix)
			for range work {
				tr.one(s, mix)
			}
		}()
	}
}
