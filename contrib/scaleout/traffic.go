package scaleout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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
	client                 *http.Client
}

// clientFrom returns an HTTP client whose connections come from the
// loopback address src.
func clientFrom(src string, conns int) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     30 * time.Second,
	}}
}

// traffic is the load generator of a run.
type traffic struct {
	lb    string
	run   string // the run's id, in every title
	users []*user

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
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		u := &user{email: fmt.Sprintf("%s-u%d@scaleout.test", tr.run, i), password: "scaleout-password-" + tr.run,
			client: clientFrom(fmt.Sprintf("127.0.0.%d", 10+i%200), 16)}
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
	form := url.Values{"grant_type": {"password"}, "username": {u.email}, "password": {u.password}}
	st, b, err := tr.do(ctx, u.client, http.MethodPost, "/api/v1/auth/token", "application/x-www-form-urlencoded", []byte(form.Encode()), "")
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
	return nil
}

// do sends one request through the load balancer and reads the whole answer.
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
	// A client claiming another address: the instances must ignore it
	// (only the proxy is trusted), so rate limits key on the real source.
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
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

// one sends one request of a kind drawn from mix and records it.
func (tr *traffic) one(ctx context.Context, mix Mix) {
	u := tr.users[rand.IntN(len(tr.users))]
	p := rand.IntN(100)
	rec := Record{Start: time.Now()}
	var st int
	var b []byte
	var err error
	switch {
	case p < mix.Create:
		rec.Kind = KindCreate
		rec.Title = tr.run + "-" + strconv.FormatInt(tr.seq.Add(1), 10)
		body, _ := json.Marshal(map[string]any{"title": rec.Title, "priority": 1 + rand.IntN(5), "tags": []string{"scaleout"}})
		st, b, err = tr.do(ctx, u.client, http.MethodPost, "/api/v1/tasks", "application/json", body, u.token)
		if err == nil && st == http.StatusCreated {
			var t struct {
				ID int64 `json:"id"`
			}
			if json.Unmarshal(b, &t) == nil && t.ID > 0 {
				tr.idsMu.Lock()
				tr.ids = append(tr.ids, t.ID)
				tr.idsMu.Unlock()
			}
		}
	case p < mix.Create+mix.Get:
		rec.Kind = KindGet
		tr.idsMu.Lock()
		var id int64 = 1
		if len(tr.ids) > 0 {
			id = tr.ids[rand.IntN(len(tr.ids))]
		}
		tr.idsMu.Unlock()
		st, b, err = tr.do(ctx, u.client, http.MethodGet, "/api/v1/tasks/"+strconv.FormatInt(id, 10), "", nil, "")
	case p < mix.Create+mix.Get+mix.Login:
		rec.Kind = KindLogin
		form := url.Values{"grant_type": {"password"}, "username": {u.email}, "password": {u.password}}
		st, b, err = tr.do(ctx, u.client, http.MethodPost, "/api/v1/auth/token", "application/x-www-form-urlencoded", []byte(form.Encode()), "")
	default:
		rec.Kind = KindList
		st, b, err = tr.do(ctx, u.client, http.MethodGet, mix.listPath(), "", nil, "")
	}
	rec.Took = time.Since(rec.Start)
	rec.Status = st
	if err != nil {
		rec.Err = err.Error()
	} else if st >= 500 {
		// Who answered: HAProxy's pages are HTML, the instances' problems JSON.
		rec.Err = strings.Join(strings.Fields(string(b[:min(len(b), 120)])), " ")
	}
	tr.recMu.Lock()
	tr.records = append(tr.records, rec)
	tr.recMu.Unlock()
}

// drive sends requests at rate per second (open loop: a slow answer does
// not slow the sending, up to maxInFlight outstanding) until ctx ends.
func (tr *traffic) drive(ctx context.Context, rate float64, mix Mix, maxInFlight int) (dropped int64) {
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for n := int64(0); ; n++ {
		next := start.Add(time.Duration(n) * interval)
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return dropped
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			wg.Wait()
			return dropped
		}
		select {
		case sem <- struct{}{}:
		default:
			dropped++ // the generator could not keep up: counted, not hidden
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			// A request on its way when the run ends gets its answer.
			tr.one(context.WithoutCancel(ctx), mix)
		}()
	}
}
