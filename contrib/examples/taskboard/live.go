package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/cache"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/redis/go-redis/v9"
)

// Live updates: every task created, changed or deleted (through the JSON
// API or the UI) is broadcast to the "board" room of a plugins/ws hub, and
// GET /api/v1/tasks/events streams the room to signed-in clients as
// Server-Sent Events (the UI's page script reloads the list on each one).
// With REDIS_URL set, the hub's Redis broker carries the broadcasts to the
// other instances, so a browser on instance B sees a task created through
// instance A.

// boardRoom is the room of the (single) board.
const boardRoom = "board"

// TaskEvent is the data of a "task" event on the live stream.
type TaskEvent struct {
	// Op is created, updated or deleted.
	Op string `json:"op"`
	// ID is the task's ID.
	ID int64 `json:"id"`
	// Title is the task's title (empty for deleted).
	Title string `json:"title,omitempty"`
	// Client is the X-Taskboard-Client header of the request that made the
	// change (the board page's random id), so that page skips the event.
	Client string `json:"client,omitempty"`
}

// newHub returns the live-update hub: with a Redis client, broadcasts go
// through Redis pub/sub on prefix+"live" (the broker owns the client and
// closes it at shutdown), and the board's last 1,000 events are kept in a
// Redis stream ({prefix+"live:replay"}:board), so a page whose stream
// broke resumes with Last-Event-ID on any instance, also one restarted
// meanwhile, and misses nothing.
func newHub(client *redis.Client, prefix string) *ws.Hub {
	if client == nil {
		return ws.NewHub()
	}
	return ws.NewHub(ws.WithBroker(ws.NewRedisBroker(client, prefix+"live", true)),
		ws.WithReplayStore(ws.NewRedisReplay(client, prefix+"live:replay", 1000)))
}

// liveKey holds a write's pendingEvents (broadcastChanges sets it).
var liveKey = covet.NewKey[*pendingEvents]("taskboard.live")

// pendingEvents are the task events of one request, broadcast once its
// handler (and its transaction) succeeded.
type pendingEvents struct {
	events []TaskEvent
	// cache is the response cache (set by invalidateChanges); unhanded
	// are the events whose tags it could not take with the write's own
	// invalidation (cache.InvalidateAfter), invalidated after the handler.
	cache    *cache.Cache
	unhanded []TaskEvent
}

// broadcastChanges is app middleware: it collects the task events a
// handler notes (noteChange) and broadcasts them after the handler
// returned without error, so the transaction (orm.Transactional, inside
// this middleware) has committed and a client that reloads sees the change.
func broadcastChanges(hub *ws.Hub) covet.Middleware {
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			m := c.Request().Method
			if m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions {
				return next(c)
			}
			p := &pendingEvents{}
			liveKey.Set(c, p) // no request copy: core's keys ride on the one it makes anyway
			err := next(c)
			if err != nil {
				return err
			}
			client := c.Request().Header.Get("X-Taskboard-Client")
			if len(client) > 64 {
				client = ""
			}
			for _, ev := range p.events {
				ev.Client = client
				// Local delivery happens even when Redis is down; the
				// broker's failure is counted by the hub and logged here.
				if berr := hub.BroadcastEvent(context.WithoutCancel(c.Context()), boardRoom, "task", ev); berr != nil {
					c.App().Logger().Warn("taskboard: live update not broadcast to other instances", "err", berr)
				}
			}
			return nil
		}
	}
}

// noteChange records a task event to broadcast when the request succeeds.
func noteChange(c *covet.Context, ev TaskEvent) {
	if p, ok := liveKey.Get(c); ok {
		p.events = append(p.events, ev)
		if p.cache != nil && !cache.InvalidateAfter(c, p.cache, boardTag, taskTag(ev.ID)) {
			p.unhanded = append(p.unhanded, ev)
		}
	}
}

// installLive registers the event stream and the WebSocket on the tasks
// group.
func installLive(tasks *covet.Group, hub *ws.Hub, guards ...covet.RouteOption) {
	// The same room over WebSocket: each event is a text message with the
	// TaskEvent JSON. Clients send nothing (a message is refused as the
	// plugin's policy says); same-origin browsers or non-browser clients.
	ws.Handle(tasks, "/live", ws.Handler[json.RawMessage]{Hub: hub, Accept: func(c *covet.Context, conn *ws.Conn) error {
		conn.Join(boardRoom)
		if id, err := principalID(c); err == nil {
			conn.SetUser(itoa(id))
		}
		return nil
	}}, ws.WithAllowNoOrigin()).Name("tasks.live").Summary("Live task changes (WebSocket)").
		Description("A WebSocket of the same task events as /tasks/events, one JSON text message each.").
		With(guards...)
	ws.SSE(tasks, "/events", ws.SSEHandler{Hub: hub, Accept: func(c *covet.Context, s *ws.Stream) error {
		s.Join(boardRoom)
		if id, err := principalID(c); err == nil {
			s.SetUser(itoa(id))
		}
		return nil
	}}).Name("tasks.events").Summary("Live task changes (Server-Sent Events)").
		Description("A text/event-stream of \"task\" events, one per task created, updated or deleted on any instance: " +
			"data is {\"op\": \"created\"|\"updated\"|\"deleted\", \"id\": ..., \"title\": ...}. Reconnect with Last-Event-ID to get missed events (bounded replay).").
		With(guards...)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
