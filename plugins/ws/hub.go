package ws

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
)

// Hub is the ws plugin: it owns the WebSocket connections and SSE streams of
// its routes, their rooms and users, the poller that reads idle connections
// without a goroutine each, and the link to other instances (WithBroker).
// Install it with app.Install(hub) before registering routes with Handle
// and SSE.
type Hub struct {
	cfg config
	app *covet.App
	log *slog.Logger

	engine *nbhttp.Engine

	mu      sync.RWMutex
	conns   map[*Conn]struct{}
	streams map[*Stream]struct{}
	rooms   map[string]*room
	// roomsMade counts rooms made since the last sweep (newRoom), under mu.
	roomsMade int
	users     map[string]map[member]struct{}
	clients   map[string]int
	pending   sync.Map // socketKey -> *Conn during a TCP upgrade (see upgrade)
	attachMu  sync.Mutex
	total     int
	draining  atomic.Bool
	running   atomic.Bool
	done      chan struct{} // closed when draining starts: SSE streams end
	doneOnce  sync.Once

	nextID atomic.Uint64
	// writeTimeout is the app server's WriteTimeout (0: none).
	writeTimeout time.Duration
	instance     string

	engineMu      sync.Mutex
	engineStarted time.Time // zero until the first upgrade starts the poller
	cancel        context.CancelFunc
	wg            sync.WaitGroup
	idle          chan struct{} // signalled when the last connection goes

	stats hubStats
	bs    *brokerState

	presenceKick chan struct{}
	sweepStep    atomic.Int64 // heartbeat loop period (ns), 0: no pings
	trim         trimmer
}

type hubStats struct {
	slowClosed     atomic.Int64
	sseDropped     atomic.Int64
	brokerFailed   atomic.Int64
	brokerReceived atomic.Int64
	brokerDropped  atomic.Int64
	replayFailed   atomic.Int64
	// Messages written to (or queued for) connections and streams, those
	// that could not be (closed, overflowed, fell behind), broadcasts.
	sent, dropped, broadcasts atomic.Int64
}

// Stats are counters of a hub, for metrics and tests.
type Stats struct {
	// Conns is the number of open WebSocket connections, Streams of SSE streams.
	Conns, Streams int
	// SlowClosed counts connections closed because their send queue overflowed.
	SlowClosed int64
	// SSEDropped counts SSE streams ended because they fell behind.
	SSEDropped int64
	// BrokerFailed counts broadcasts that could not be published to the
	// broker (other instances missed them; local delivery still happened).
	BrokerFailed int64
	// BrokerReceived counts broadcasts received from other instances.
	BrokerReceived int64
	// BrokerDropped counts messages the broker reported lost (a slow
	// subscriber disconnected by Redis, a NATS slow consumer).
	BrokerDropped int64
	// ReplayFailed counts room broadcasts the replay store (WithReplayStore)
	// could not keep, and resumptions it could not answer.
	ReplayFailed int64
	// Trims counts the times the hub returned memory to the OS after a
	// burst of handshakes (WithIdleTrim).
	Trims int64
}

var (
	_ covet.Plugin  = (*Hub)(nil)
	_ covet.Starter = (*Hub)(nil)
	_ covet.Stopper = (*Hub)(nil)
	_ covet.Cleaner = (*Hub)(nil)
)

// NewHub returns a hub with the given options; route options passed to
// Handle and SSE override them per route.
func NewHub(opts ...Option) *Hub {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	id := cfg.instance
	if id == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	h := &Hub{
		cfg:      cfg,
		instance: id,
		conns:    map[*Conn]struct{}{},
		streams:  map[*Stream]struct{}{},
		rooms:    map[string]*room{},
		users:    map[string]map[member]struct{}{},
		clients:  map[string]int{},
		done:     make(chan struct{}),
		idle:     make(chan struct{}, 1),
	}
	h.noteSweep(&cfg)
	return h
}

// noteSweep makes the heartbeat loop tick often enough for cfg's ping
// settings (the hub's and every route's): every min(interval, wait)/2.
func (h *Hub) noteSweep(cfg *config) {
	if cfg.pingInterval <= 0 {
		return
	}
	step := int64(min(cfg.pingInterval, cfg.pongWait) / 2)
	if step <= 0 {
		step = int64(cfg.pingInterval)
	}
	for {
		cur := h.sweepStep.Load()
		if (cur != 0 && cur <= step) || h.sweepStep.CompareAndSwap(cur, step) {
			return
		}
	}
}

// Name is "ws".
func (h *Hub) Name() string { return "ws" }

// Install keeps the app; it registers nothing (routes come from Handle and SSE).
func (h *Hub) Install(app *covet.App) error {
	h.app = app
	h.log = app.Logger().With("plugin", "ws")
	// The app's server sets this write deadline when it reads a request;
	// SSE streams push it forward before each write (as core's
	// Context.SSE does), else every stream would be cut this long after
	// it opened.
	h.writeTimeout = app.Server("").WriteTimeout
	return nil
}

// Instance returns the id of this instance in the broker.
func (h *Hub) Instance() string { return h.instance }

var nbioLogOnce sync.Once

// Start starts the ping loop and the broker subscription (nbio's pollers
// start at the first upgrade). When the app begins a graceful shutdown
// (App.Draining: SIGINT/SIGTERM, ServeContext's context, Shutdown, Stop)
// the hub drains at once: new handshakes get 503, every connection gets
// close 1001, SSE streams end, so that the HTTP server's shutdown is not
// held up by them; Stop then waits for the connections to go.
func (h *Hub) Start(ctx context.Context) error {
	if h.app == nil {
		return errors.New("ws: hub is not installed (app.Install(hub))")
	}
	nbioLogOnce.Do(func() { logging.SetLogger(nbioLogger{slog.Default()}) })
	// Event ids continue from the clock so that they keep increasing across
	// restarts (an SSE client resuming after a restart is not replayed old ids).
	// The scale is that of Redis stream ids (ms<<20 | seq, see RedisReplay),
	// so local ids and stored ones order together.
	h.nextID.Store(uint64(time.Now().UnixMilli()) << streamSeqBits)
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h.cancel = cancel
	h.running.Store(true)
	h.startTrim()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.pingLoop(rctx)
	}()
	if h.cfg.broker != nil {
		h.startBroker(rctx)
	}
	if ps := h.presenceStore(); ps != nil && h.cfg.presenceTTL > 0 {
		h.presenceKick = make(chan struct{}, 1)
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.presenceLoop(rctx, ps)
		}()
	}
	draining := h.app.Draining()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		select {
		case <-draining:
			h.drain()
		case <-ctx.Done():
			h.drain()
		case <-rctx.Done():
		}
	}()
	return nil
}

// Stop drains the hub (if shutdown has not done it yet), waits until every
// connection is closed or ctx's deadline passes, then stops the poller and
// the broker and waits for the hub's goroutines.
func (h *Hub) Stop(ctx context.Context) error {
	if !h.running.Load() {
		return nil
	}
	h.drain()
	var err error
	for {
		h.mu.RLock()
		n := len(h.conns) + len(h.streams)
		h.mu.RUnlock()
		if n == 0 {
			break
		}
		select {
		case <-h.idle:
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			err = fmt.Errorf("ws: %d connections still open at the shutdown deadline: %w", n, ctx.Err())
		}
		if err != nil {
			break
		}
	}
	h.cancel()
	h.stopTrim()
	h.stopEngine()
	h.wg.Wait()
	if h.cfg.broker != nil {
		err = errors.Join(err, h.cfg.broker.Close())
	}
	h.running.Store(false)
	return err
}

// Cleanup closes the broker (and the client it owns) when the hub was
// never started or its Start failed; after Stop, which closed it, it does
// nothing more. Found by TestFailedStartLeavesNothing.
func (h *Hub) Cleanup() error {
	if h.running.Load() || h.cfg.broker == nil {
		return nil
	}
	return h.cfg.broker.Close()
}

// startEngine starts nbio's pollers at the first upgrade (an app with only
// SSE routes, or none used, never starts them).
func (h *Hub) startEngine() error {
	h.engineMu.Lock()
	defer h.engineMu.Unlock()
	if !h.engineStarted.IsZero() {
		return nil
	}
	pollers := h.cfg.pollers
	if pollers <= 0 {
		pollers = runtime.NumCPU()
	}
	h.engine = nbhttp.NewEngine(nbhttp.Config{
		Name:                    "covet-ws",
		NPoller:                 pollers,
		MaxLoad:                 h.cfg.maxConns + 1,
		MaxWriteBufferSize:      h.cfg.sendQueueBytes,
		ReleaseWebsocketPayload: true,
		// No limit on nbio's buffer of unparsed bytes: the per-message
		// limit (WithReadLimit) refuses a frame as soon as its header is read.
		ReadLimit: 0,
	})
	// UTF-8 of text messages and close reasons is checked by the plugin,
	// which closes with 1007 as RFC 6455 says (nbio answers 1002).
	h.engine.CheckUtf8 = func([]byte) bool { return true }
	if err := h.engine.Start(); err != nil {
		return fmt.Errorf("ws: start poller: %w", err)
	}
	h.engineStarted = time.Now()
	return nil
}

func (h *Hub) stopEngine() {
	h.engineMu.Lock()
	defer h.engineMu.Unlock()
	if h.engineStarted.IsZero() {
		return
	}
	// nbio v1.6.8's poller sets its shutdown flag to false when its
	// goroutine begins: a Stop that comes before that is lost and Stop
	// waits for ever. Give the pollers time to begin.
	if d := 200*time.Millisecond - time.Since(h.engineStarted); d > 0 {
		time.Sleep(d)
	}
	h.engine.Stop()
	h.engineStarted = time.Time{}
}

// Draining reports whether the hub has begun shutting down.
func (h *Hub) Draining() bool { return h.draining.Load() }

// drain refuses new handshakes, sends close 1001 to every connection and
// ends every SSE stream. It returns at once.
func (h *Hub) drain() {
	if !h.draining.CompareAndSwap(false, true) {
		return
	}
	h.doneOnce.Do(func() { close(h.done) })
	h.mu.RLock()
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.RUnlock()
	for _, c := range conns {
		_ = c.Close(CloseGoingAway, "server shutting down")
	}
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	s := Stats{Conns: len(h.conns), Streams: len(h.streams)}
	h.mu.RUnlock()
	s.SlowClosed = h.stats.slowClosed.Load()
	s.SSEDropped = h.stats.sseDropped.Load()
	s.BrokerFailed = h.stats.brokerFailed.Load()
	s.BrokerReceived = h.stats.brokerReceived.Load()
	s.BrokerDropped = h.stats.brokerDropped.Load()
	s.ReplayFailed = h.stats.replayFailed.Load()
	s.Trims = h.trim.count.Load()
	return s
}

// AppendStats appends the hub's figures (covet.StatsReporter): connections,
// streams (SSE) and rooms (gauges); messages_sent, messages_dropped (not
// written: the connection was closed or overflowed, the stream fell
// behind), broadcasts, slow_closed, sse_dropped, broker_failed,
// broker_received, broker_dropped, replay_failed and trims (counters).
func (h *Hub) AppendStats(dst []covet.Stat) []covet.Stat {
	s := h.Stats()
	h.mu.RLock()
	rooms := len(h.rooms)
	h.mu.RUnlock()
	st := &h.stats
	return append(dst,
		covet.Stat{Name: "connections", Help: "Open WebSocket connections.", Kind: covet.StatGauge, Value: float64(s.Conns)},
		covet.Stat{Name: "streams", Help: "Open SSE streams.", Kind: covet.StatGauge, Value: float64(s.Streams)},
		covet.Stat{Name: "rooms", Help: "Rooms with members (or replay history) on this instance.", Kind: covet.StatGauge, Value: float64(rooms)},
		covet.Stat{Name: "messages_sent", Help: "Messages written to connections and streams (direct sends and broadcast deliveries).", Kind: covet.StatCounter, Value: float64(st.sent.Load())},
		covet.Stat{Name: "messages_dropped", Help: "Messages not delivered: connection closed or overflowed, stream behind.", Kind: covet.StatCounter, Value: float64(st.dropped.Load())},
		covet.Stat{Name: "broadcasts", Help: "Broadcasts delivered on this instance (local or from the broker).", Kind: covet.StatCounter, Value: float64(st.broadcasts.Load())},
		covet.Stat{Name: "slow_closed", Help: "Connections closed because their send queue overflowed.", Kind: covet.StatCounter, Value: float64(s.SlowClosed)},
		covet.Stat{Name: "sse_dropped", Help: "SSE streams ended because they fell behind.", Kind: covet.StatCounter, Value: float64(s.SSEDropped)},
		covet.Stat{Name: "broker_failed", Help: "Broadcasts that could not be published to the broker.", Kind: covet.StatCounter, Value: float64(s.BrokerFailed)},
		covet.Stat{Name: "broker_received", Help: "Broadcasts received from other instances.", Kind: covet.StatCounter, Value: float64(s.BrokerReceived)},
		covet.Stat{Name: "broker_dropped", Help: "Messages the broker reported lost.", Kind: covet.StatCounter, Value: float64(s.BrokerDropped)},
		covet.Stat{Name: "replay_failed", Help: "Broadcasts the replay store could not keep, and resumptions it could not answer.", Kind: covet.StatCounter, Value: float64(s.ReplayFailed)},
		covet.Stat{Name: "trims", Help: "Times the hub returned memory to the OS after a burst of handshakes.", Kind: covet.StatCounter, Value: float64(s.Trims)},
	)
}

var _ covet.StatsReporter = (*Hub)(nil)

// admit counts a new connection of client against the limits; the error is
// the handshake's answer.
func (h *Hub) admit(client string, cfg *config) error {
	if h.draining.Load() || !h.running.Load() {
		return covet.NewError(503, "the server is shutting down").WithHeader("Retry-After", "1")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if cfg.maxConns > 0 && h.total >= cfg.maxConns {
		return covet.NewError(503, "too many connections on this server").WithHeader("Retry-After", "5")
	}
	if cfg.maxPerClient > 0 && h.clients[client] >= cfg.maxPerClient {
		return covet.NewError(429, "too many connections from this client").WithHeader("Retry-After", "5")
	}
	h.total++
	h.clients[client]++
	return nil
}

// release undoes admit.
func (h *Hub) release(client string) {
	h.mu.Lock()
	h.total--
	if n := h.clients[client] - 1; n > 0 {
		h.clients[client] = n
	} else {
		delete(h.clients, client)
	}
	empty := h.total == 0
	h.mu.Unlock()
	if empty {
		select {
		case h.idle <- struct{}{}:
		default:
		}
	}
}

func (h *Hub) pingLoop(ctx context.Context) {
	step := time.Duration(h.sweepStep.Load())
	if step <= 0 {
		return
	}
	// One goroutine for every connection's heartbeat and dead-peer check:
	// each route's connections are pinged every route interval, and a
	// connection that sent nothing (no pong, no message) for longer than
	// its route's interval+wait is closed. No timer per connection.
	t := time.NewTicker(step)
	defer t.Stop()
	ping := []byte{0x89, 0x00} // FIN + ping, empty payload, server frames are unmasked
	var batch []*Conn
	due := map[*route]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		clear(due)
		batch = batch[:0]
		h.mu.RLock()
		for c := range h.conns {
			batch = append(batch, c)
		}
		h.mu.RUnlock()
		for _, c := range batch {
			if !c.open.Load() || c.closed.Load() {
				continue
			}
			rt := c.route
			cfg := &rt.cfg
			if cfg.pingInterval <= 0 {
				continue
			}
			if last := c.lastRead.Load(); last != 0 && now.UnixNano()-last > int64(cfg.pingInterval+cfg.pongWait) {
				c.dead()
				continue
			}
			d, seen := due[rt]
			if !seen {
				d = !now.Before(rt.nextPing) // only this goroutine touches nextPing
				if d {
					rt.nextPing = now.Add(cfg.pingInterval)
				}
				due[rt] = d
			}
			if d {
				c.writeFrame(ping)
			}
		}
		clear(batch)
	}
}

func (h *Hub) eventID() uint64 { return h.nextID.Add(1) }

// seenID keeps the local counter ahead of ids made elsewhere (the replay
// store), so that a later local event never has a smaller id.
func (h *Hub) seenID(id uint64) {
	for {
		cur := h.nextID.Load()
		if cur >= id || h.nextID.CompareAndSwap(cur, id) {
			return
		}
	}
}

// nbioLogger sends nbio's log lines to slog (warnings and errors only):
// nbio prints to stdout by default, and library code must not print.
type nbioLogger struct{ l *slog.Logger }

func (n nbioLogger) Debug(string, ...any) {}
func (n nbioLogger) Info(string, ...any)  {}
func (n nbioLogger) Warn(f string, v ...any) {
	n.l.Warn("ws: nbio: " + fmt.Sprintf(f, v...))
}
func (n nbioLogger) Error(f string, v ...any) {
	n.l.Error("ws: nbio: " + fmt.Sprintf(f, v...))
}

// frameHeader returns the header of an unmasked server frame with FIN set.
// Framing of incoming frames is nbio's; this is only the 2-10 byte header
// that lets a broadcast be framed once and written to every socket as is.
func appendFrame(dst []byte, opcode byte, payload []byte) []byte {
	n := len(payload)
	switch {
	case n < 126:
		dst = append(dst, 0x80|opcode, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x80|opcode, 126, 0, 0)
		binary.BigEndian.PutUint16(dst[len(dst)-2:], uint16(n))
	default:
		dst = append(dst, 0x80|opcode, 127, 0, 0, 0, 0, 0, 0, 0, 0)
		binary.BigEndian.PutUint64(dst[len(dst)-8:], uint64(n))
	}
	return append(dst, payload...)
}
