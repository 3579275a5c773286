package ws_test

import (
	"context"
	"fmt"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
)

// Move is a client message; core validates it like a typed handler's body.
type Move struct {
	Task   int    `json:"task" minimum:"1"`
	Column string `json:"column" enum:"todo,doing,done"`
}

func newBoardApp() (*covet.App, *ws.Hub) {
	app := covet.New()
	hub := ws.NewHub()
	_ = app.Install(hub)
	ws.Handle(app, "/boards/{id:int}/live", ws.Handler[Move]{
		Hub: hub,
		Accept: func(c *covet.Context, conn *ws.Conn) error {
			conn.Join("board:" + c.Param("id")) // auth middleware already ran
			return nil
		},
		OnMessage: func(conn *ws.Conn, m *Move) error {
			return hub.Broadcast(context.Background(), conn.Rooms()[0], m)
		},
	})
	ws.SSE(app, "/boards/{id:int}/events", ws.SSEHandler{
		Hub: hub,
		Accept: func(c *covet.Context, s *ws.Stream) error {
			s.Join("board:" + c.Param("id"))
			return nil
		},
	})
	return app, hub
}

func Example() {
	t := &testing.T{} // in a test, use its t
	app, _ := newBoardApp()
	srv := wstest.NewServer(t, app)
	events := srv.SSE(t, "/boards/1/events")
	c := srv.Dial(t, "/boards/1/live")
	c.Send(Move{Task: 7, Column: "done"})
	fmt.Println(string(c.Read()))
	fmt.Println(events.NextData().Data)
	c.Send(Move{Task: 0, Column: "lost"})
	var e ws.ErrorMessage
	c.ReadJSON(&e)
	fmt.Println(e.Type, e.Error.Status)
	srv.Stop(t)
	// Output:
	// {"task":7,"column":"done"}
	// {"task":7,"column":"done"}
	// error 422
}
