package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
)

var secret = []byte("0123456789abcdef0123456789abcdef") // 32 bytes

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
	ecKey   *ecdsa.PrivateKey
)

func testKeys(t testing.TB) (*rsa.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return rsaKey, ecKey
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// logBuffer collects log lines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// newApp returns an app with the plugin installed (options after the
// defaults: an HS256 key, issuer and audience) and routes:
// GET /me (Required), GET /write (Scopes tasks:write), GET /admin
// (Roles admin), GET /maybe (Optional), GET /public.
func newApp(t testing.TB, opts ...auth.Option) (*covet.App, *auth.Auth, *covettest.Client) {
	t.Helper()
	return newAppLog(t, quietLogger(), opts...)
}

func newAppLog(t testing.TB, log *slog.Logger, opts ...auth.Option) (*covet.App, *auth.Auth, *covettest.Client) {
	t.Helper()
	base := []auth.Option{auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithIssuer("https://issuer.test"), auth.WithAudience("api")}
	a := auth.New(append(base, opts...)...)
	app := covet.New(covet.WithLogger(log))
	me := func(c *covet.Context) error {
		u, ok := auth.Principal(c)
		if !ok {
			return c.JSON(200, map[string]any{"anonymous": true})
		}
		return c.JSON(200, map[string]any{"id": u.ID, "method": u.Method, "scopes": u.Scopes})
	}
	app.GET("/me", me).With(auth.Required())
	app.GET("/write", me).With(auth.Scopes("tasks:write"))
	app.POST("/write", me).With(auth.Scopes("tasks:write"))
	app.GET("/admin", me).With(auth.Roles("admin"))
	app.GET("/maybe", me).With(auth.Optional())
	app.GET("/public", me)
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	return app, a, covettest.New(t, app)
}

func b64(v any) string {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	default:
		b, _ = json.Marshal(v)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hs256 signs header and claims by hand with HMAC-SHA256, whatever they say.
func hs256(key []byte, header, claims any) string {
	in := b64(header) + "." + b64(claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// goodClaims are claims every check accepts, at now.
func goodClaims(now time.Time) map[string]any {
	return map[string]any{"iss": "https://issuer.test", "aud": "api", "sub": "alice", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": "j1"}
}

func goodHeader() map[string]any { return map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": "k1"} }

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func newClient(t testing.TB, app *covet.App) *covettest.Client { return covettest.New(t, app) }
