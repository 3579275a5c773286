package authredis_test

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
	"github.com/covetgo/covet/plugins/auth/authredis"
	"github.com/covetgo/covet/plugins/auth/authtest"
)

// TestUseOnce: of concurrent calls for one key, one wins; the record
// expires with the value.
func TestUseOnce(t *testing.T) {
	opt := realRedis(t)
	s, err := authredis.NewSessions(newClient(t, opt), roomy(testPrefix(t, opt))...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.UseOnce(ctx, "k", time.Now().Add(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d of 8 concurrent UseOnce won, want 1", wins.Load())
	}
	if ok, err := s.UseOnce(ctx, "other", time.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatalf("another key: %v, %v", ok, err)
	}
}

// TestLoginAcrossInstancesRedis: two instances sharing Redis behind a
// round-robin balancer (no stickiness): every login starts on one and
// completes on the other, and a callback replayed (URL and login cookie
// captured) on the instance that did not serve it is refused, even from a
// provider that accepts a code twice.
func TestLoginAcrossInstancesRedis(t *testing.T) {
	opt := realRedis(t)
	prefix := testPrefix(t, opt)
	p := authtest.NewProvider(t)
	p.Set(func(p *authtest.Provider) { p.ReusableCodes = true })
	loginSecret := []byte("login-secret-login-secret-login-")

	var backends []http.Handler
	var n atomic.Uint64
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		backends[int(n.Add(1)-1)%len(backends)].ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	var logins atomic.Int32
	for range 2 {
		s, err := authredis.NewSessions(newClient(t, opt), roomy(prefix)...)
		if err != nil {
			t.Fatal(err)
		}
		a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithInsecureCookie(), auth.WithSessions(s, secret),
			auth.WithLogin(auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret), func(context.Context, auth.Identity) (string, error) {
				logins.Add(1)
				return "alice", nil
			}, auth.WithLoginSecret(loginSecret), auth.WithRedirectBase(lb.URL)))
		app := covet.New(covet.WithLogger(quietLogger()))
		app.GET("/home", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required(auth.SchemeSession))
		if err := app.Install(a); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(app)
		t.Cleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		backends = append(backends, &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Host = r.In.Host }})
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	authorize := func(res *covettest.Response) string {
		pr, err := noRedirect.Get(res.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		pr.Body.Close()
		back, err := url.Parse(pr.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		return back.RequestURI()
	}

	browser := covettest.NewRemote(t, lb.URL)
	res := browser.Get("/auth/fake/login?next=/home").Do().ExpectStatus(302) // instance 0
	flowCookies := browser.Cookies("/")
	cb := authorize(res)
	browser.Get(cb).Do().ExpectStatus(303).ExpectHeader("Location", "/home") // instance 1
	browser.Get("/home").Do().ExpectStatus(200).ExpectBody("alice")          // instance 0
	// The replay, on instance 1 then on instance 0.
	for range 2 {
		attacker := covettest.NewRemote(t, lb.URL)
		for _, ck := range flowCookies {
			attacker.SetCookie(ck)
		}
		attacker.Get(cb).Do().ExpectStatus(400)
	}
	if logins.Load() != 1 {
		t.Fatalf("%d logins, want 1", logins.Load())
	}
}
