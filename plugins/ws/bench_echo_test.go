package ws_test

import (
	"bytes"
	"testing"

	"github.com/gorilla/websocket"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

// BenchmarkEcho is one 32-byte text message sent and echoed back over one
// loopback connection (client and server allocations together): the
// per-message cost of the read path (nbio's parser behind the plugin's
// guard, the handler) and of a direct send.
func BenchmarkEcho(b *testing.B) {
	app := covet.New()
	hub := ws.NewHub()
	if err := app.Install(hub); err != nil {
		b.Fatal(err)
	}
	ws.Handle(app, "/echo", ws.Handler[[]byte]{
		Hub:       hub,
		OnMessage: func(c *ws.Conn, m *[]byte) error { return c.SendText(*m) },
	}, ws.WithMessageRate(0, 0))
	srv := wstest.NewServer(b, app)
	c, _, err := srv.TryDial("/echo")
	if err != nil {
		b.Fatal(err)
	}
	defer c.WS.Close()
	msg := bytes.Repeat([]byte("e"), 32)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.WS.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		_, got, err := c.WS.ReadMessage()
		if err != nil || len(got) != len(msg) {
			b.Fatalf("echo %q, %v", got, err)
		}
	}
}
