package scaleout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CrossReport is the outcome of CrossCheck: what each check did and saw
// (Lines) and the invariants that did not hold (Problems).
type CrossReport struct {
	Lines    []string
	Problems []string
}

func (r *CrossReport) linef(format string, a ...any) {
	r.Lines = append(r.Lines, fmt.Sprintf(format, a...))
}
func (r *CrossReport) problemf(format string, a ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
}

// cacheStaleBound is how long another instance may serve a cached task
// after a write's answer: the taskboard's TASKBOARD_CACHE_MAX_STALE (the
// instances inherit the harness's environment). 0, the default: none (the
// cache plugin checks Redis's invalidation epoch on every in-memory hit);
// positive: that long; negative (pub/sub alone evicts other instances' L1
// entries, asynchronously: p99 400 µs on a quiet machine, a loaded one
// holds the subscriber goroutine for up to seconds): 5 s.
func cacheStaleBound() time.Duration {
	d, err := time.ParseDuration(os.Getenv("TASKBOARD_CACHE_MAX_STALE"))
	switch {
	case err != nil:
		return 0
	case d < 0:
		return 5 * time.Second
	}
	return d
}

// Write limit of the taskboard's API per signed-in user (its default:
// ratelimit.PerSecond(10).Burst(20)).
const (
	writeBurst = 20
	writeRate  = 10.0
)

// CrossCheck talks to the instances one by one (not through the load
// balancer) and checks that they act as one application:
//
//   - rate limit: creates of one user sent to every instance at once are
//     accepted at most burst + rate × elapsed times in all, not that many
//     per instance;
//   - logout: a browser session signed in on instance 1 is accepted on
//     instance 2; after the logout on instance 1, the same session cookie
//     is refused on instances 2 and 3 at once (sessions live in Redis);
//   - refresh tokens: a token rotated on instance 1 and presented again on
//     instance 2 is refused there, and the family it revoked is refused on
//     instance 3 (the reuse detection and the revocation are shared);
//   - revocation: two access tokens of one user, each accepted on
//     instances 2 and 3 (so any per-instance cache of them is warm); one
//     revoked on instance 1 (POST /api/v1/auth/revoke) is refused on 2 and
//     3 by the next request while the other still works; every token of
//     the user revoked on instance 2 (?all=true) is refused on 1 and 3;
//   - response cache: a task read (and cached) on instances 2 and 3, then
//     changed on instance 1, reads changed on 2 and 3 at once with the
//     taskboard's default (every in-memory hit checked against Redis), or
//     within the bound TASKBOARD_CACHE_MAX_STALE sets (cacheStaleBound;
//     Lines count the stale reads and the longest);
//   - live updates: SSE subscribers connected to instances 2 and 3 get the
//     "created" events of tasks created on instance 1;
//   - jobs: every task created with an assignee enqueues one notification
//     job in its transaction (on whichever instance), and each ran exactly
//     once (river_job: completed after one attempt; one log line in all the
//     instances' logs).
//
// It needs at least three instances and a healthy topology (run it before
// or after the traffic, not during faults).
func CrossCheck(ctx context.Context, t *Topology) (*CrossReport, error) {
	if t.Instances < 3 {
		return nil, fmt.Errorf("scaleout: CrossCheck needs 3 instances, the topology has %d", t.Instances)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	run := "cx" + hex.EncodeToString(b)
	inst := func(i int) string { return fmt.Sprintf("http://127.0.0.1:%d", t.InstancePorts[i-1]) }
	tr := &traffic{lb: t.LB, run: run}
	if err := tr.setupUsers(ctx, 4); err != nil {
		return nil, fmt.Errorf("scaleout: cross-check set-up: %w", err)
	}
	limited, writer, sub, revoker := tr.users[0], tr.users[1], tr.users[2], tr.users[3]
	r := &CrossReport{}
	// do sends to a full URL (tr.do prefixes the load balancer's).
	direct := &traffic{}
	do := func(c *http.Client, method, u, ctype string, body []byte, token string) (int, []byte, error) {
		return direct.do(ctx, c, method, u, ctype, body, token)
	}

	// Rate limit shared by the instances.
	{
		const n = 90
		var mu sync.Mutex
		statuses := map[int]int{}
		var errs []string
		var wg sync.WaitGroup
		began := time.Now()
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body, _ := json.Marshal(map[string]any{"title": fmt.Sprintf("%s-rl-%d", run, i), "priority": 1})
				st, _, err := do(limited.client, http.MethodPost, inst(1+i%3)+"/api/v1/tasks", "application/json", body, limited.token)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err.Error())
					return
				}
				statuses[st]++
			}()
		}
		wg.Wait()
		elapsed := time.Since(began)
		accepted, refused := statuses[http.StatusCreated], statuses[http.StatusTooManyRequests]
		bound := writeBurst + int(math.Ceil(writeRate*elapsed.Seconds()))
		r.linef("rate limit: %d creates of one user over 3 instances in %s: %d accepted, %d refused 429 (shared bound %d; per-instance limits would allow %d); statuses %v",
			n, elapsed.Round(time.Millisecond), accepted, refused, bound, min(n, 3*bound), statuses)
		if accepted > bound {
			r.problemf("rate limit: %d of one user's creates accepted over 3 instances, more than the shared limit allows (%d in %s)", accepted, bound, elapsed.Round(time.Millisecond))
		}
		if accepted+refused != n {
			r.problemf("rate limit: %d of %d creates answered neither 201 nor 429: %v %v", n-accepted-refused, n, statuses, errs)
		}
	}

	// Refresh token reuse detected on one instance holds on the others.
	{
		tokens := func(b []byte) (string, string) {
			var tok struct {
				AccessToken  string `json:"access_token"`
				RefreshToken string `json:"refresh_token"`
			}
			_ = json.Unmarshal(b, &tok)
			return tok.AccessToken, tok.RefreshToken
		}
		grant := func(i int, form url.Values) (int, []byte, error) {
			return do(writer.client, http.MethodPost, inst(i)+"/api/v1/auth/token", "application/x-www-form-urlencoded", []byte(form.Encode()), "")
		}
		st, body, err := grant(1, url.Values{"grant_type": {"password"}, "username": {writer.email}, "password": {writer.password}})
		_, r1 := tokens(body)
		if err != nil || st != http.StatusOK || r1 == "" {
			r.problemf("refresh: login on instance 1: %d %v %.120s", st, err, body)
		} else {
			st2, body2, err2 := grant(2, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r1}})
			_, r2 := tokens(body2)
			st3, body3, err3 := grant(3, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r1}})
			st4, body4, err4 := grant(1, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r2}})
			r.linef("refresh: rotated on instance 2 → %d; the old token again on instance 3 → %d; the family's new token on instance 1 → %d", st2, st3, st4)
			switch {
			case err2 != nil || st2 != http.StatusOK || r2 == "":
				r.problemf("refresh: rotation on instance 2: %d %v %.120s", st2, err2, body2)
			case err3 != nil || st3 != http.StatusBadRequest:
				r.problemf("refresh: a rotated token presented again on instance 3 answered %d %v %.120s, want 400 invalid_grant", st3, err3, body3)
			case err4 != nil || st4 != http.StatusBadRequest:
				r.problemf("refresh: a token of the family revoked on instance 3 answered %d %v on instance 1 %.120s, want 400 invalid_grant", st4, err4, body4)
			}
		}
	}

	// An access token revoked on one instance is refused on the others.
	checkRevoke(r, inst, do, revoker)

	// A session ended (logout) on one instance is refused on the others.
	checkLogout(ctx, r, inst, writer)

	// Response cache: no stale read on another instance after a write.
	{
		body, _ := json.Marshal(map[string]any{"title": run + "-cache-0", "priority": 1})
		st, b, err := do(writer.client, http.MethodPost, inst(1)+"/api/v1/tasks", "application/json", body, writer.token)
		var task struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		}
		if err != nil || st != http.StatusCreated || json.Unmarshal(b, &task) != nil || task.ID == 0 {
			r.problemf("cache: create on instance 1: %d %v %.120s", st, err, b)
		} else {
			path := "/api/v1/tasks/" + strconv.FormatInt(task.ID, 10)
			read := func(i int) (string, string, error) {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, inst(i)+path, nil)
				if err != nil {
					return "", "", err
				}
				resp, err := writer.client.Do(req) // anonymous: the cache serves it
				if err != nil {
					return "", "", err
				}
				defer resp.Body.Close()
				var got struct {
					Title string `json:"title"`
				}
				if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
					return "", "", err
				}
				return got.Title, resp.Header.Get("X-Cache"), nil
			}
			stale, rounds, bound := 0, 5, cacheStaleBound()
			var staleFor time.Duration
			for k := 1; k <= rounds; k++ {
				for _, i := range []int{2, 3, 2, 3} { // two reads each: the taskboard caches a task from its second read (cache.AdmitRepeats)
					if _, _, err := read(i); err != nil {
						r.problemf("cache: read on instance %d: %v", i, err)
					}
				}
				title := fmt.Sprintf("%s-cache-%d", run, k)
				pb, _ := json.Marshal(map[string]any{"title": title})
				if st, b, err := do(writer.client, http.MethodPatch, inst(1)+path, "application/json", pb, writer.token); err != nil || st != http.StatusOK {
					r.problemf("cache: change on instance 1: %d %v %.120s", st, err, b)
					break
				}
				changed := time.Now()
				for _, i := range []int{2, 3} {
					got, _, err := read(i)
					if err != nil {
						r.problemf("cache: read on instance %d after the change: %v", i, err)
						continue
					}
					if got == title {
						continue
					}
					// Stale: the other instances' L1 entries are evicted by
					// the invalidation's pub/sub message, which may not have
					// arrived yet. How long until it has?
					stale++
					for got != title && time.Since(changed) < bound {
						time.Sleep(5 * time.Millisecond)
						if got, _, err = read(i); err != nil {
							break
						}
					}
					took := time.Since(changed)
					staleFor = max(staleFor, took)
					if got != title {
						r.problemf("cache: instance %d still served %q %s after instance 1 answered the change to %q (bound %s, TASKBOARD_CACHE_MAX_STALE)", i, got, took.Round(time.Millisecond), title, bound)
					}
				}
			}
			r.linef("cache: task %d read and cached on instances 2 and 3, changed on instance 1, read again at once: %d of %d reads stale; fresh again within %s at most (bound %s, TASKBOARD_CACHE_MAX_STALE)",
				task.ID, stale, 2*rounds, staleFor.Round(time.Millisecond), bound)
		}
	}

	// Live updates published on instance 1 reach subscribers on 2 and 3,
	// and jobs enqueued on every instance run exactly once.
	{
		subCtx, stop := context.WithCancel(ctx)
		subs := make([]*Subscriber, 2)
		var wg sync.WaitGroup
		connected := make([]chan struct{}, 2)
		for k, i := range []int{2, 3} {
			connected[k] = make(chan struct{})
			wg.Add(1)
			go func() {
				defer wg.Done()
				subs[k] = subscribeOnce(subCtx, inst(i), sub, connected[k])
			}()
		}
		for k := range connected {
			select {
			case <-connected[k]:
			case <-time.After(30 * time.Second):
				r.problemf("events: the subscriber on instance %d did not connect within 30 s", k+2)
			}
		}
		var meID int64
		if st, b, err := do(writer.client, http.MethodGet, inst(1)+"/api/v1/users/me", "", nil, writer.token); err == nil && st == http.StatusOK {
			var me struct {
				ID int64 `json:"id"`
			}
			_ = json.Unmarshal(b, &me)
			meID = me.ID
		}
		var titles []string
		var ids []int64
		for k := range 6 {
			title := fmt.Sprintf("%s-ev-%d", run, k)
			m := map[string]any{"title": title, "priority": 1}
			if meID != 0 {
				m["assignee_id"] = meID
			}
			body, _ := json.Marshal(m)
			// Events: all from instance 1. Jobs: from every instance.
			i := 1
			if k >= 3 {
				i = k - 2
			}
			st, b, err := do(writer.client, http.MethodPost, inst(i)+"/api/v1/tasks", "application/json", body, writer.token)
			var task struct {
				ID int64 `json:"id"`
			}
			if err != nil || st != http.StatusCreated || json.Unmarshal(b, &task) != nil {
				r.problemf("events: create on instance %d: %d %v %.120s", i, st, err, b)
				continue
			}
			if i == 1 {
				titles = append(titles, title)
			}
			ids = append(ids, task.ID)
		}
		// Wait (30 s at most) for every event on both subscribers.
		deadline := time.Now().Add(30 * time.Second)
		for {
			missing := 0
			for k := range subs {
				missing += len(titles) - subscriberHas(subs, k, titles)
			}
			if missing == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		stop()
		wg.Wait()
		for k, s := range subs {
			got := 0
			for _, ti := range titles {
				if s.Titles[ti] {
					got++
				}
			}
			r.linef("events: subscriber on instance %d got %d of the %d tasks created on instance 1", k+2, got, len(titles))
			if got != len(titles) {
				r.problemf("events: the SSE subscriber on instance %d missed %d of %d \"created\" events published on instance 1", k+2, len(titles)-got, len(titles))
			}
		}
		if meID == 0 {
			r.problemf("jobs: GET /api/v1/users/me on instance 1 gave no id: tasks created without assignee, no jobs")
		} else if len(ids) > 0 {
			checkJobs(ctx, t, r, ids)
		}
	}
	return r, nil
}

// subscriberHas counts the titles subscriber k has received (under its lock).
func subscriberHas(subs []*Subscriber, k int, titles []string) int {
	s := subs[k]
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ti := range titles {
		if s.Titles[ti] {
			n++
		}
	}
	return n
}

// checkJobs waits (30 s at most) until the notification job of every task
// in ids has completed, then checks each ran once: one river_job row,
// completed after one attempt, and one "task assigned" log line in all
// the instances' logs.
func checkJobs(ctx context.Context, t *Topology, r *CrossReport, ids []int64) {
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = strconv.FormatInt(id, 10)
	}
	q := "SELECT args->>'task_id', state, attempt FROM river_job WHERE kind = 'task_assigned' AND (args->>'task_id')::bigint IN (" + strings.Join(list, ",") + ")"
	deadline := time.Now().Add(30 * time.Second)
	var rows []string
	for {
		out, err := t.SQL(ctx, q)
		if err != nil {
			r.problemf("jobs: %v", err)
			return
		}
		rows = strings.Fields(out)
		done := 0
		for _, row := range rows {
			if strings.Contains(row, "|completed|") {
				done++
			}
		}
		if done >= len(ids) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	perTask := map[string][]string{}
	for _, row := range rows {
		id, rest, _ := strings.Cut(row, "|")
		perTask[id] = append(perTask[id], rest)
	}
	// The instances write their logs in batches (every 100 ms): a job's
	// line may follow its completion by that long.
	logs := 0
	for logDeadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		logs = 0
		for i := 1; i <= t.Instances; i++ {
			logs += countLogLines(t, i, `"msg":"taskboard: task assigned"`, ids)
		}
		if logs >= len(ids) || time.Now().After(logDeadline) {
			break
		}
	}
	r.linef("jobs: %d tasks with an assignee created over 3 instances: river_job %v; %d \"task assigned\" log lines", len(ids), perTask, logs)
	for _, id := range list {
		if js := perTask[id]; len(js) != 1 || js[0] != "completed|1" {
			r.problemf("jobs: task %s: jobs %v, want exactly one, completed after one attempt", id, js)
		}
	}
	if logs != len(ids) {
		r.problemf("jobs: %d \"task assigned\" log lines for %d jobs, want exactly one each", logs, len(ids))
	}
}

// subscribeOnce keeps one SSE subscriber connected to base (an instance)
// until ctx ends, closing connected when its stream is open.
func subscribeOnce(ctx context.Context, base string, u *user, connected chan struct{}) *Subscriber {
	s := &Subscriber{Kind: "sse", Titles: map[string]bool{}}
	var once sync.Once
	lastID := ""
	for ctx.Err() == nil {
		_ = sseOnce(ctx, base, u, &lastID, func() {
			s.mu.Lock()
			s.Connects++
			s.mu.Unlock()
			once.Do(func() { close(connected) })
		}, func(data []byte) {
			var ev taskEvent
			if json.Unmarshal(data, &ev) == nil && ev.Op == "created" {
				s.mu.Lock()
				s.Titles[ev.Title] = true
				s.mu.Unlock()
			}
		})
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	return s
}

// countLogLines counts the lines of instance i's log holding needle and
// the "task_id" of one of ids.
func countLogLines(t *Topology, i int, needle string, ids []int64) int {
	b, err := os.ReadFile(filepath.Join(t.Dir, fmt.Sprintf("instance-%d.log", i)))
	if err != nil {
		return 0
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[`"task_id":`+strconv.FormatInt(id, 10)+`,`] = true
		want[`"task_id":`+strconv.FormatInt(id, 10)+`}`] = true
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, needle) {
			continue
		}
		for w := range want {
			if strings.Contains(line, w) {
				n++
				break
			}
		}
	}
	return n
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"|"X-CSRF-Token": "([^"]+)"`)

// checkLogout signs u in through the UI on instance 1, checks the session
// on instance 2, signs out on instance 1 and checks the old session cookie
// is refused on instances 2 and 3.
func checkLogout(ctx context.Context, r *CrossReport, inst func(int) string, u *user) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: u.client.Transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(c *http.Client, url string, cookies []*http.Cookie) (int, string, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, "", "", err
		}
		req.Header.Set("Accept", "text/html")
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, "", "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b), err
	}
	post := func(url string, form url.Values) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(form.Encode()))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location"), nil
	}
	csrf := func(page string) string {
		m := csrfRe.FindStringSubmatch(page)
		if m == nil {
			return ""
		}
		return m[1] + m[2]
	}
	st, _, page, err := get(c, inst(1)+"/login", nil)
	if err != nil || st != http.StatusOK || csrf(page) == "" {
		r.problemf("logout: sign-in page on instance 1: %d %v", st, err)
		return
	}
	st, loc, err := post(inst(1)+"/login", url.Values{"csrf_token": {csrf(page)}, "email": {u.email}, "password": {u.password}})
	if err != nil || st != http.StatusSeeOther || loc != "/board" {
		r.problemf("logout: sign-in on instance 1: %d %q %v", st, loc, err)
		return
	}
	session := jar.Cookies(&url.URL{Scheme: "http", Host: "127.0.0.1"}) // cookies ignore the port
	st2, _, page, err := get(c, inst(2)+"/board", nil)
	if err != nil || st2 != http.StatusOK {
		r.problemf("logout: the session signed in on instance 1 was refused on instance 2 (%d %v)", st2, err)
		return
	}
	st, loc, err = post(inst(1)+"/logout", url.Values{"csrf_token": {csrf(page)}})
	if err != nil || st != http.StatusSeeOther {
		r.problemf("logout: sign-out on instance 1: %d %q %v", st, loc, err)
		return
	}
	bare := &http.Client{Transport: u.client.Transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var after []string
	for _, i := range []int{2, 3} {
		st, loc, _, err := get(bare, inst(i)+"/board", session)
		after = append(after, fmt.Sprintf("instance %d → %d %s", i, st, loc))
		if err != nil || st != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
			r.problemf("logout: the session ended on instance 1 was not refused at once on instance %d: %d %q %v", i, st, loc, err)
		}
	}
	r.linef("logout: session signed in on instance 1, accepted on instance 2 (%d); signed out on instance 1; the old cookie: %s", st2, strings.Join(after, ", "))
}

// checkRevoke is CrossCheck's revocation check (see there).
func checkRevoke(r *CrossReport, inst func(int) string, do func(*http.Client, string, string, string, []byte, string) (int, []byte, error), u *user) {
	issue := func() string {
		form := url.Values{"grant_type": {"password"}, "username": {u.email}, "password": {u.password}}
		st, b, err := do(u.client, http.MethodPost, inst(1)+"/api/v1/auth/token", "application/x-www-form-urlencoded", []byte(form.Encode()), "")
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err != nil || st != http.StatusOK || json.Unmarshal(b, &tok) != nil || tok.AccessToken == "" {
			r.problemf("revoke: sign-in on instance 1: %d %v %.120s", st, err, b)
		}
		return tok.AccessToken
	}
	me := func(i int, tok string) int {
		st, _, err := do(u.client, http.MethodGet, inst(i)+"/api/v1/users/me", "", nil, tok)
		if err != nil {
			return 0
		}
		return st
	}
	a, b := issue(), issue()
	if a == "" || b == "" {
		return
	}
	for _, i := range []int{2, 3} {
		if st, st2 := me(i, a), me(i, b); st != http.StatusOK || st2 != http.StatusOK {
			r.problemf("revoke: fresh tokens on instance %d answered %d and %d, want 200", i, st, st2)
			return
		}
	}
	st, body, err := do(u.client, http.MethodPost, inst(1)+"/api/v1/auth/revoke", "", nil, a)
	if err != nil || st != http.StatusNoContent {
		r.problemf("revoke: revoking a token on instance 1: %d %v %.120s", st, err, body)
		return
	}
	a2, a3, b2 := me(2, a), me(3, a), me(2, b)
	if a2 != http.StatusUnauthorized || a3 != http.StatusUnauthorized {
		r.problemf("revoke: the token revoked on instance 1 answered %d on instance 2 and %d on instance 3 at once, want 401", a2, a3)
	}
	if b2 != http.StatusOK {
		r.problemf("revoke: the user's other token answered %d on instance 2 after one token was revoked, want 200", b2)
	}
	st, body, err = do(u.client, http.MethodPost, inst(2)+"/api/v1/auth/revoke?all=true", "", nil, b)
	if err != nil || st != http.StatusNoContent {
		r.problemf("revoke: revoking every token on instance 2: %d %v %.120s", st, err, body)
		return
	}
	b1, b3, s3 := me(1, b), me(3, b), me(3, u.token)
	if b1 != http.StatusUnauthorized || b3 != http.StatusUnauthorized || s3 != http.StatusUnauthorized {
		r.problemf("revoke: after every token of the user was revoked on instance 2: %d on instance 1, %d and %d (the set-up token) on instance 3, want 401", b1, b3, s3)
	}
	r.linef("revoke: token revoked on instance 1 → next request %d on instance 2, %d on instance 3 (the user's other token: %d); all tokens revoked on instance 2 → %d on instance 1, %d and %d on instance 3",
		a2, a3, b2, b1, b3, s3)
}
