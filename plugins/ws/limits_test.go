package ws_test

import (
	"net/http"
	"testing"

	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

// By default one client address gets DefaultMaxConnsPerClient connections,
// WebSocket and SSE together; the next is refused 429 with Retry-After.
// WithMaxConnsPerClient(0) lifts the cap.
func TestDefaultMaxConnsPerClient(t *testing.T) {
	if ws.DefaultMaxConnsPerClient != 100 {
		t.Fatalf("DefaultMaxConnsPerClient %d, the README says 100", ws.DefaultMaxConnsPerClient)
	}
	for _, tt := range []struct {
		name string
		opts []ws.Option
		want int
	}{
		{"default", nil, http.StatusTooManyRequests},
		{"unlimited", []ws.Option{ws.WithMaxConnsPerClient(0)}, http.StatusSwitchingProtocols},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app, _, _ := chatApp(t, tt.opts)
			srv := wstest.NewServer(t, app)
			var conns []*wstest.Conn
			t.Cleanup(func() {
				for _, c := range conns {
					_ = c.WS.Close()
				}
			})
			for i := 0; i < ws.DefaultMaxConnsPerClient; i++ {
				c, resp, err := srv.TryDial("/boards/1/live")
				if err != nil {
					t.Fatalf("connection %d: %v (%v)", i+1, err, status(resp))
				}
				conns = append(conns, c)
			}
			c, resp, err := srv.TryDial("/boards/1/live")
			if c != nil {
				conns = append(conns, c)
			}
			if got := status(resp); got != tt.want {
				t.Fatalf("connection %d: status %d (%v), want %d", ws.DefaultMaxConnsPerClient+1, got, err, tt.want)
			}
			if tt.want == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		})
	}
}

func status(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}
