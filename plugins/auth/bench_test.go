package auth_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// BenchmarkVerify compares the plugin's verification (every check, the
// verified-token cache off) with jwx's own jwt.Parse given the equivalent
// options (key and algorithm, exp required, 30 s skew, iss, aud). Compare
// with benchstat: the issue's bound is 1.1x.
//
//	go test -run '^$' -bench 'Verify' -benchmem -count 10 . > verify.txt
//	benchstat -col /impl verify.txt
func BenchmarkVerify(b *testing.B) {
	// A fixed key: generating one (or the RSA key of the tests) costs a
	// random number of instructions, which instr-per-op would count.
	ek := benchECKey(b)
	for _, k := range []struct {
		name string
		key  auth.Key
		alg  jwa.SignatureAlgorithm
		raw  any
	}{
		{"HS256", auth.HMAC("k1", "HS256", secret), jwa.HS256, secret},
		{"ES256", auth.NewKey("k1", "ES256", ek), jwa.ES256, &ek.PublicKey},
	} {
		a := auth.New(auth.WithKeys(k.key), auth.WithIssuer("https://issuer.test"), auth.WithAudience("api"), auth.WithVerifyCache(0))
		if err := covet.New().Install(a); err != nil {
			b.Fatal(err)
		}
		tok, err := a.Issue("alice", auth.WithScopes("tasks:read", "tasks:write"))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.Run("alg="+k.name+"/impl=covet", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		opts := []jwt.ParseOption{
			jwt.WithKey(k.alg, k.raw),
			jwt.WithAcceptableSkew(30 * time.Second),
			jwt.WithRequiredClaim(jwt.ExpirationKey),
			jwt.WithIssuer("https://issuer.test"),
			jwt.WithAudience("api"),
		}
		b.Run("alg="+k.name+"/impl=jwx", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jwt.ParseString(tok, opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchApp is the app of the endpoint benchmarks: one JSON endpoint
// without a guard and the same behind Required (HS256, revocation in
// memory with 1000 other users' tokens and cut-offs recorded, so the check
// does its two lookups as in a live app), and a token for it.
func benchApp(b *testing.B) (*covet.App, string) {
	rs := auth.NewMemoryRevocation(0)
	for i := 0; i < 1000; i++ {
		_ = rs.RevokeToken(context.Background(), "user"+strconv.Itoa(i), "jti"+strconv.Itoa(i), time.Now().Add(time.Hour))
		_ = rs.RevokeSubject(context.Background(), "user"+strconv.Itoa(i), time.Now())
	}
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithIssuer("https://issuer.test"),
		auth.WithAudience("api"), auth.WithRevocation(rs))
	app := covet.New(covet.WithLogger(quietLogger()))
	type out struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		Done  bool   `json:"done"`
	}
	h := func(c *covet.Context) error {
		return c.JSON(200, out{ID: "42", Title: "write the benchmark", Done: true})
	}
	app.GET("/open/tasks/42", h)
	app.GET("/api/tasks/42", h).With(auth.Required())
	if err := app.Install(a); err != nil {
		b.Fatal(err)
	}
	tok, err := a.Issue("alice", auth.WithScopes("tasks:read"))
	if err != nil {
		b.Fatal(err)
	}
	return app, tok
}

// discardWriter is a ResponseWriter that keeps nothing, reset per request.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkEndpoint serves one JSON endpoint in-process (app.ServeHTTP, no
// network) with and without the guard: HS256 bearer token, revocation in
// memory, the verified-token cache on (the default). The issue's bound is
// 1.15x in instructions per request:
//
//	scripts/instr-per-op.sh ./plugins/auth '^BenchmarkEndpoint$/^auth=none$' 20000
//	scripts/instr-per-op.sh ./plugins/auth '^BenchmarkEndpoint$/^auth=bearer$' 20000
func BenchmarkEndpoint(b *testing.B) {
	app, tok := benchApp(b)
	run := func(b *testing.B, path string, hdr http.Header) {
		req, _ := http.NewRequest("GET", path, nil)
		req.Header = hdr
		req.RemoteAddr = "192.0.2.1:1234"
		w := &discardWriter{h: http.Header{}}
		app.ServeHTTP(w, req) // warm: verify once, fill pools
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			app.ServeHTTP(w, req)
		}
	}
	b.Run("auth=none", func(b *testing.B) {
		run(b, "/open/tasks/42", http.Header{"Authorization": {"Bearer " + tok}})
	})
	b.Run("auth=bearer", func(b *testing.B) {
		run(b, "/api/tasks/42", http.Header{"Authorization": {"Bearer " + tok}})
	})
}

// BenchmarkEndpointServer is BenchmarkEndpoint over a real net/http server
// on loopback, with a minimal keep-alive client in the same process (one
// write of a prepared request, one read of the response): what the issue
// calls server instructions per request, as tools/bench measures them.
//
//	scripts/instr-per-op.sh ./plugins/auth '^BenchmarkEndpointServer$/^auth=none$' 20000
//	scripts/instr-per-op.sh ./plugins/auth '^BenchmarkEndpointServer$/^auth=bearer$' 20000
func BenchmarkEndpointServer(b *testing.B) {
	app, tok := benchApp(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: app}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	run := func(b *testing.B, path string) {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		req := []byte("GET " + path + " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + tok + "\r\n\r\n")
		buf := make([]byte, 4096)
		roundTrip := func() {
			if _, err := conn.Write(req); err != nil {
				b.Fatal(err)
			}
			n := 0
			for {
				m, err := conn.Read(buf[n:])
				if err != nil {
					b.Fatal(err)
				}
				n += m
				if i := bytes.Index(buf[:n], []byte("\r\n\r\n")); i >= 0 {
					cl := 0
					if j := bytes.Index(buf[:i], []byte("Content-Length: ")); j >= 0 {
						k := j + len("Content-Length: ")
						for k < i && buf[k] >= '0' && buf[k] <= '9' {
							cl = cl*10 + int(buf[k]-'0')
							k++
						}
					}
					if n >= i+4+cl {
						if !bytes.HasPrefix(buf, []byte("HTTP/1.1 200")) {
							b.Fatalf("response %q", buf[:n])
						}
						return
					}
				}
			}
		}
		roundTrip()
		b.ReportAllocs()
		for b.Loop() {
			roundTrip()
		}
	}
	b.Run("auth=none", func(b *testing.B) { run(b, "/open/tasks/42") })
	b.Run("auth=bearer", func(b *testing.B) { run(b, "/api/tasks/42") })
}

// benchPEM is an ES256 key for benchmarks only.
const benchPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgfc6hHPCX7DRL+ome
IIr/ZaFkEey5Yj691jwS6o3rp52hRANCAARF2LO6voU7HJYy7S2IALMW9l5bCHgA
gTwye9kVNAD4iKr5/isTSDNuAOjFoX5cA6WNCW9UBDRuvi5JM1H2pjIt
-----END PRIVATE KEY-----`

func benchECKey(b *testing.B) *ecdsa.PrivateKey {
	blk, _ := pem.Decode([]byte(benchPEM))
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		b.Fatal(err)
	}
	return k.(*ecdsa.PrivateKey)
}
