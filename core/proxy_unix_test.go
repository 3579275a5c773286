package covet_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// TestTrustedUnixSocketProxy serves the app on a real Unix socket, as
// behind nginx's proxy_pass http://unix:...: the peer has no IP address,
// so only WithTrustedProxies("unix") makes its X-Forwarded-For believed;
// without it the header is ignored (ClientIP is the peer, "@").
func TestTrustedUnixSocketProxy(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       []covet.Option
		ip, scheme string
	}{
		{name: "unix trusted", opts: []covet.Option{covet.WithTrustedProxies("unix")}, ip: "198.51.100.1", scheme: "https"},
		{name: "unix and an address", opts: []covet.Option{covet.WithTrustedProxies("10.0.0.0/8", "unix")}, ip: "198.51.100.1", scheme: "https"},
		// ClientIP falls back to the peer as the server wrote it.
		{name: "only addresses trusted", opts: []covet.Option{covet.WithTrustedProxies("10.0.0.0/8")}, ip: "@", scheme: "http"},
		{name: "none trusted", ip: "@", scheme: "http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := covet.New(tc.opts...)
			app.GET("/who", func(c *covet.Context) error {
				return c.Text(200, c.ClientIP()+" "+c.Scheme())
			})
			sock := filepath.Join(t.TempDir(), "app.sock")
			ln, err := net.Listen("unix", sock)
			if err != nil {
				t.Skipf("no Unix sockets here: %v", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- app.ServeContext(ctx, ln) }()
			t.Cleanup(func() {
				cancel()
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					t.Error("server did not stop")
				}
			})
			client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			}}}
			req, _ := http.NewRequest(http.MethodGet, "http://app.test/who", nil)
			req.Header.Set("X-Forwarded-For", "203.0.113.9, 198.51.100.1")
			req.Header.Set("X-Forwarded-Proto", "https")
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if want := tc.ip + " " + tc.scheme; res.StatusCode != 200 || string(body) != want {
				t.Fatalf("%d %q, want %q", res.StatusCode, body, want)
			}
		})
	}
}
