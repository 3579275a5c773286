package scaleout

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Subscriber is the outcome of one live-update client (SSE or WebSocket)
// that stayed subscribed through the load balancer for the whole run,
// reconnecting whenever its connection ended.
type Subscriber struct {
	// Kind is "sse" or "ws".
	Kind string
	// Titles are the titles of the "created" events received.
	Titles map[string]bool
	// Connects counts the connections made (1 + reconnections).
	Connects int
	// Connected is the time connected, summed.
	Connected time.Duration
	// Gaps are the [from, to) intervals without a connection.
	Gaps [][2]time.Time

	mu sync.Mutex // guards Titles and Connects while CrossCheck's subscriber runs
}

type taskEvent struct {
	Op    string `json:"op"`
	Title string `json:"title"`
}

// subscribe keeps one subscriber connected until ctx ends.
func subscribe(ctx context.Context, lb, kind string, u *user) *Subscriber {
	s := &Subscriber{Kind: kind, Titles: map[string]bool{}}
	var mu sync.Mutex
	add := func(data []byte) {
		var ev taskEvent
		if json.Unmarshal(data, &ev) == nil && ev.Op == "created" {
			mu.Lock()
			s.Titles[ev.Title] = true
			mu.Unlock()
		}
	}
	lastID := ""
	gapFrom := time.Now()
	for ctx.Err() == nil {
		var from time.Time
		var err error
		onOpen := func() {
			from = time.Now()
			s.Connects++
			s.Gaps = append(s.Gaps, [2]time.Time{gapFrom, from})
		}
		if kind == "sse" {
			err = sseOnce(ctx, lb, u, &lastID, onOpen, add)
		} else {
			err = wsOnce(ctx, lb, u, onOpen, add)
		}
		_ = err
		if !from.IsZero() {
			s.Connected += time.Since(from)
			gapFrom = time.Now()
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	return s
}

// sseOnce reads GET /api/v1/tasks/events until it ends, resuming after
// lastID (Last-Event-ID).
func sseOnce(ctx context.Context, lb string, u *user, lastID *string, onOpen func(), add func([]byte)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, lb+"/api/v1/tasks/events", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+u.token)
	req.Header.Set("Accept", "text/event-stream")
	if *lastID != "" {
		req.Header.Set("Last-Event-ID", *lastID)
	}
	c := &http.Client{Transport: u.client.Transport} // no overall timeout: a stream
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	onOpen()
	sc := bufio.NewScanner(resp.Body)
	var data []byte
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != nil {
				add(data)
			}
			data = nil
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimSpace(strings.TrimPrefix(line, "data:"))...)
		case strings.HasPrefix(line, "id:"):
			*lastID = strings.TrimSpace(strings.TrimPrefix(line, "id:"))
		}
	}
	return sc.Err()
}

// wsOnce reads the WebSocket /api/v1/tasks/live until it ends.
func wsOnce(ctx context.Context, lb string, u *user, onOpen func(), add func([]byte)) error {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	h := http.Header{"Authorization": {"Bearer " + u.token}}
	conn, resp, err := d.DialContext(ctx, "ws"+strings.TrimPrefix(lb, "http")+"/api/v1/tasks/live", h)
	if err != nil {
		return err
	}
	resp.Body.Close()
	defer conn.Close()
	onOpen()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		add(msg)
	}
}
