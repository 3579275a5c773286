package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authtest"
)

// roundRobin is a load balancer without stickiness (the taskboard's
// HAProxy): request i goes to instance i mod n, whatever the cookies say.
type roundRobin struct {
	srv      *httptest.Server
	backends []*httputil.ReverseProxy
	next     atomic.Uint64
	mu       sync.Mutex
	served   []int // instance index of each request, in order
}

func newRoundRobin(t *testing.T) *roundRobin {
	t.Helper()
	lb := &roundRobin{}
	lb.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(lb.next.Add(1)-1) % len(lb.backends)
		lb.mu.Lock()
		lb.served = append(lb.served, i)
		lb.mu.Unlock()
		lb.backends[i].ServeHTTP(w, r)
	}))
	t.Cleanup(lb.srv.Close)
	return lb
}

// add puts an instance behind the balancer; the proxy keeps the public
// Host, as HAProxy does.
func (lb *roundRobin) add(t *testing.T, h http.Handler) {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	lb.backends = append(lb.backends, &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host
	}})
}

// instances builds n instances of one app (same secrets, same shared
// session store) behind a round-robin balancer; each login's callback
// lands on another instance than its start.
func loginInstances(t *testing.T, n int, p auth.Provider, sessions auth.SessionStore, opts ...auth.LoginOption) (*roundRobin, *int32) {
	t.Helper()
	lb := newRoundRobin(t)
	var logins int32
	onLogin := func(context.Context, auth.Identity) (string, error) {
		atomic.AddInt32(&logins, 1)
		return "u:" + p.Name, nil
	}
	for range n {
		a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithInsecureCookie(),
			auth.WithSessions(sessions, sessionSecret),
			auth.WithLogin(p, onLogin, append([]auth.LoginOption{auth.WithLoginSecret(loginSecret), auth.WithRedirectBase(lb.srv.URL)}, opts...)...))
		app := covet.New(covet.WithLogger(quietLogger()))
		app.GET("/home", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required(auth.SchemeSession))
		if err := app.Install(a); err != nil {
			t.Fatal(err)
		}
		lb.add(t, app)
	}
	return lb, &logins
}

// TestLoginAcrossInstances: the taskboard runs three instances behind a
// balancer without stickiness; a login started on one instance completes
// on whichever instance the provider's callback reaches.
func TestLoginAcrossInstances(t *testing.T) {
	p := authtest.NewProvider(t)
	lb, logins := loginInstances(t, 2, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret), auth.NewMemorySessions())
	browser := covettest.NewRemote(t, lb.srv.URL)
	for i := range 3 {
		res := browser.Get("/auth/fake/login?next=/home").Do().ExpectStatus(302)
		cb := authorize(t, res)
		browser.Get(cb).Do().ExpectStatus(303).ExpectHeader("Location", "/home")
		browser.Get("/home").Do().ExpectStatus(200).ExpectBody("u:fake")
		_ = i
	}
	lb.mu.Lock()
	served := append([]int(nil), lb.served...)
	lb.mu.Unlock()
	// start, callback, /home per login: each callback on another instance than its start.
	for i := 0; i+1 < len(served); i += 3 {
		if served[i] == served[i+1] {
			t.Fatalf("balancer sent a login's start and callback to one instance: %v", served)
		}
	}
	if got := atomic.LoadInt32(logins); got != 3 {
		t.Fatalf("%d logins completed, want 3", got)
	}
}

// sharedOnce is an OnceStore shared by the instances of a test (what
// authredis provides across processes).
type sharedOnce struct {
	mu   sync.Mutex
	keys map[string]bool
}

func (s *sharedOnce) UseOnce(_ context.Context, key string, _ time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys[key] {
		return false, nil
	}
	s.keys[key] = true
	return true, nil
}

// replayOnOtherInstance logs a browser in through the balancer, then
// replays the same callback, with the same login cookie, through the
// balancer again (so on the other instance) and returns its status.
func replayOnOtherInstance(t *testing.T, lb *roundRobin) int {
	t.Helper()
	browser := covettest.NewRemote(t, lb.srv.URL)
	res := browser.Get("/auth/fake/login").Do().ExpectStatus(302) // instance 0
	cookies := browser.Cookies("/")
	cb := authorize(t, res)
	browser.Get(cb).Do().ExpectStatus(303) // instance 1
	attacker := covettest.NewRemote(t, lb.srv.URL)
	for _, ck := range cookies {
		attacker.SetCookie(ck)
	}
	attacker.Get("/home").Do() // instance 0, so the replay lands on instance 1... and again:
	attacker.Get("/home").Do() // instance 1: the replay lands on instance 0, which did not serve the callback
	return attacker.Get(cb).Do().StatusCode
}

// TestAttackLoginReplayOnOtherInstance: with a provider that accepts a
// code twice, a callback replayed (its URL and login cookie captured) on
// another instance than the one that served it is refused when the
// instances share a OnceStore.
func TestAttackLoginReplayOnOtherInstance(t *testing.T) {
	p := authtest.NewProvider(t)
	p.Set(func(p *authtest.Provider) { p.ReusableCodes = true })
	prov := auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret)
	t.Run("shared store", func(t *testing.T) {
		lb, logins := loginInstances(t, 2, prov, auth.NewMemorySessions(), auth.WithLoginStore(&sharedOnce{keys: map[string]bool{}}))
		if st := replayOnOtherInstance(t, lb); st != http.StatusBadRequest {
			t.Fatalf("replayed callback on the other instance answered %d, want 400", st)
		}
		if n := atomic.LoadInt32(logins); n != 1 {
			t.Fatalf("%d logins, want 1", n)
		}
	})
	t.Run("same instance", func(t *testing.T) {
		// Without a shared store the instance that served the callback
		// still refuses it.
		lb, _ := loginInstances(t, 1, prov, auth.NewMemorySessions())
		browser := covettest.NewRemote(t, lb.srv.URL)
		res := browser.Get("/auth/fake/login").Do().ExpectStatus(302)
		cookies := browser.Cookies("/")
		cb := authorize(t, res)
		browser.Get(cb).Do().ExpectStatus(303)
		attacker := covettest.NewRemote(t, lb.srv.URL)
		for _, ck := range cookies {
			attacker.SetCookie(ck)
		}
		attacker.Get(cb).Do().ExpectStatus(400)
	})
}

type failingOnce struct{}

func (failingOnce) UseOnce(context.Context, string, time.Time) (bool, error) {
	return false, auth.ErrStoreUnavailable
}

// TestLoginStoreUnavailable: a callback whose state cannot be recorded is
// refused with 503 (fail closed), not taken for a replay or let through.
func TestLoginStoreUnavailable(t *testing.T) {
	p := authtest.NewProvider(t)
	lb, logins := loginInstances(t, 1, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret), auth.NewMemorySessions(), auth.WithLoginStore(failingOnce{}))
	browser := covettest.NewRemote(t, lb.srv.URL)
	cb := authorize(t, browser.Get("/auth/fake/login").Do().ExpectStatus(302))
	browser.Get(cb).Do().ExpectStatus(503)
	if n := atomic.LoadInt32(logins); n != 0 {
		t.Fatalf("%d logins, want 0", n)
	}
}
