package ws

import (
	"slices"
	"time"

	"github.com/klauspost/compress/flate"
)

// Option configures a Hub (NewHub) or one WebSocket or SSE route (Handle,
// SSE). Route options override the hub's for that route.
type Option func(*config)

// InvalidPolicy says what happens to a client message that is not valid JSON
// or fails validation.
type InvalidPolicy uint8

const (
	// InvalidReply answers with an error message
	// {"type":"error","error":{...problem...}} and keeps the connection (default).
	InvalidReply InvalidPolicy = iota
	// InvalidClose closes the connection: 1007 for malformed JSON, 1008 for a
	// message that fails validation.
	InvalidClose
)

type config struct {
	readLimit      int
	rate           float64
	burst          float64
	compress       bool
	compressLevel  int
	compressMin    int
	pingInterval   time.Duration
	pongWait       time.Duration
	maxConns       int
	maxPerClient   int
	origins        []string
	allowNoOrigin  bool
	subprotocols   []string
	sendQueueBytes int
	invalid        InvalidPolicy
	replaySize     int
	replayKeep     time.Duration
	replayStore    ReplayStore
	presence       PresenceStore
	heartbeat      time.Duration
	retry          time.Duration
	sseQueue       int
	broker         Broker
	instance       string
	presenceTTL    time.Duration
	pollers        int
	trimAfter      int
	trimQuiet      time.Duration
}

func defaultConfig() config {
	return config{
		readLimit:      64 << 10,
		rate:           100,
		burst:          200,
		pingInterval:   30 * time.Second,
		pongWait:       30 * time.Second,
		maxConns:       100_000,
		maxPerClient:   DefaultMaxConnsPerClient,
		sendQueueBytes: 1 << 20,
		replaySize:     256,
		replayKeep:     10 * time.Minute,
		heartbeat:      15 * time.Second,
		retry:          2 * time.Second,
		sseQueue:       256,
		pollers:        0,
		presenceTTL:    30 * time.Second,
		trimAfter:      1000,
		trimQuiet:      2 * time.Second,
	}
}

// WithReadLimit sets the largest message a client may send, in bytes
// (default 64 KiB). A larger one closes the connection with 1009.
func WithReadLimit(n int) Option { return func(c *config) { c.readLimit = n } }

// WithMessageRate limits each connection to perSecond messages on average,
// with bursts of burst (default 100/s, burst 200). A connection over the
// limit is closed with 1008 "rate limit exceeded". perSecond <= 0 turns the
// limit off.
func WithMessageRate(perSecond float64, burst int) Option {
	return func(c *config) { c.rate, c.burst = perSecond, float64(burst) }
}

// WithPing sets how often the hub pings every connection and how long a peer
// may stay silent after that before it is closed as dead (defaults 30 s and
// 30 s: a dead peer is closed at most interval+wait after its last frame).
// Any frame from the client (a pong, a message) proves it alive.
func WithPing(interval, wait time.Duration) Option {
	return func(c *config) { c.pingInterval, c.pongWait = interval, wait }
}

// WithCompression turns on permessage-deflate (RFC 7692) for clients that
// offer it (browsers do), compressing with klauspost/compress's flate at
// level (1 = fastest, 9 = best; -2 Huffman only). Messages shorter than
// minSize bytes (and messages that do not shrink) are sent uncompressed.
// Both directions use no context takeover: no compressor is kept per
// connection, so an idle connection costs what it costs without
// compression, and a broadcast is compressed once for all receivers; the
// price is a lower ratio on small, similar messages. A client message
// that inflates past WithReadLimit is refused with 1009. Off by default.
func WithCompression(level, minSize int) Option {
	return func(c *config) {
		if level < flate.HuffmanOnly || level > flate.BestCompression {
			level = flate.BestSpeed
		}
		c.compress, c.compressLevel, c.compressMin = true, level, minSize
	}
}

// WithMaxConns caps the WebSocket and SSE connections of one hub (default
// 100,000); a handshake over the cap is answered 503 with Retry-After. The
// process also needs that many file descriptors (LimitNOFILE).
func WithMaxConns(n int) Option { return func(c *config) { c.maxConns = n } }

// DefaultMaxConnsPerClient is the default cap on the WebSocket and SSE
// connections of one client IP (WithMaxConnsPerClient): far above what a
// browser opens (a few per tab; Chrome allows 255 WebSockets in all, and 6
// HTTP/1.1 connections per host for SSE), so one client cannot take the
// hub's whole WithMaxConns budget. Behind a proxy, configure core's trusted
// proxies (or every client shares the proxy's address and this cap); raise
// it for many users behind one NAT.
const DefaultMaxConnsPerClient = 100

// WithMaxConnsPerClient caps the WebSocket and SSE connections of one
// client IP (core's trusted-proxy aware Context.ClientIP); over it the
// handshake is answered 429 with Retry-After. Default
// DefaultMaxConnsPerClient (100); 0 or less is no per-client cap.
func WithMaxConnsPerClient(n int) Option { return func(c *config) { c.maxPerClient = n } }

// WithOrigins allows cross-origin handshakes from these origins
// ("https://app.example.com"; "*" allows any), compared as origins: scheme
// and host case-insensitively, without the scheme's default port (":443"),
// a trailing slash ignored. Without it only same-origin
// handshakes are accepted (Origin's host equals the request's Host), which
// is what stops cross-site WebSocket hijacking with the user's cookies.
func WithOrigins(origins ...string) Option {
	// Clipped: a route's options start from a copy of the hub's config,
	// and an append into spare capacity of the hub's slice would change
	// what every other route allows.
	return func(c *config) { c.origins = append(slices.Clip(c.origins), origins...) }
}

// WithAllowNoOrigin accepts handshakes without an Origin header. Browsers
// always send one, so only non-browser clients (services, the wstest client
// when told not to send one) are affected; they must then be authenticated
// by other means. Off by default.
func WithAllowNoOrigin() Option { return func(c *config) { c.allowNoOrigin = true } }

// WithSubprotocols lists the subprotocols the server speaks, most preferred
// first; the first one the client also offers is selected
// (Sec-WebSocket-Protocol). Conn.Subprotocol tells which.
func WithSubprotocols(protocols ...string) Option {
	return func(c *config) { c.subprotocols = append(slices.Clip(c.subprotocols), protocols...) }
}

// WithSendQueue bounds the bytes waiting to be written to one connection
// (default 1 MiB). A connection whose peer does not read and whose queue
// overflows is closed (code 1013 reported to OnClose; the peer, which is
// not reading, cannot see the close frame); other connections are not
// delayed. The bound is per hub (it is nbio's per-connection write buffer
// limit).
func WithSendQueue(bytes int) Option { return func(c *config) { c.sendQueueBytes = bytes } }

// WithInvalidMessages sets what happens to a message that is not valid JSON
// or fails validation (default InvalidReply).
func WithInvalidMessages(p InvalidPolicy) Option { return func(c *config) { c.invalid = p } }

// WithReplay sets how many events per room the hub keeps for SSE clients
// that resume with Last-Event-ID (default 256; 0 keeps none).
func WithReplay(events int) Option { return func(c *config) { c.replaySize = events } }

// WithReplayRetention sets how long a room without members keeps its
// replay buffer after its last event (default 10 minutes): long enough for
// its SSE clients to come back, after which the room is dropped, so that
// broadcasts to ever new rooms ("task:<id>") do not grow the hub without
// bound. Rooms are swept as new ones are made (every 1,024), so up to that
// many expired rooms may wait. A hub option.
func WithReplayRetention(d time.Duration) Option { return func(c *config) { c.replayKeep = d } }

// WithReplayStore keeps each room's recent events in store as well
// (NewRedisReplay: Redis Streams), so that an SSE client resuming with
// Last-Event-ID gets the events it missed from any instance and after a
// restart. Event ids of room broadcasts then come from the store; the
// in-memory buffer (WithReplay) answers when the store cannot. A failed
// append is counted (Stats.ReplayFailed) and logged; the broadcast is
// still delivered. A hub option.
func WithReplayStore(store ReplayStore) Option { return func(c *config) { c.replayStore = store } }

// WithHeartbeat sets the interval of SSE comment heartbeats (default 15 s),
// which keep proxies from closing idle streams.
func WithHeartbeat(d time.Duration) Option { return func(c *config) { c.heartbeat = d } }

// WithRetry sets the reconnection delay sent to SSE clients as retry:
// (default 2 s), plus up to 50 % random jitter per stream so that the
// clients of an instance that goes away do not all reconnect at once
// (2 s: each waits 2-3 s).
func WithRetry(d time.Duration) Option { return func(c *config) { c.retry = d } }

// WithSSEQueue bounds the events waiting for one SSE stream (default 256);
// a stream that falls further behind is ended (the client reconnects and
// resumes from the replay buffer).
func WithSSEQueue(events int) Option { return func(c *config) { c.sseQueue = events } }

// WithBroker connects the hub to other instances through b (RedisBroker,
// NATSBroker): broadcasts reach the rooms of every instance and presence is
// shared. Without a broker a hub is local to its process.
func WithBroker(b Broker) Option { return func(c *config) { c.broker = b } }

// WithInstanceID names this instance in the broker (default: a random id).
func WithInstanceID(id string) Option { return func(c *config) { c.instance = id } }

// WithPollers sets the number of nbio poller goroutines (default: one per CPU).
func WithPollers(n int) Option { return func(c *config) { c.pollers = n } }

// WithIdleTrim sets when the hub gives the memory that handshakes left
// behind back to the operating system: once at least handshakes
// connections were upgraded since the last time and no handshake came for
// quiet (default 1,000 and 2 s). Each handshake leaves ~10 KB of garbage
// (net/http's connection state, the hijacked buffers) against ~1 KB that an
// idle connection keeps, so after a burst of connections the process holds
// about twice the memory its connections need until it is trimmed. A trim
// is debug.FreeOSMemory: one garbage collection of the whole process (at
// 10,000 connections a few ms of CPU, concurrent with the program), then
// free pages are released. handshakes <= 0 turns it off. A hub option.
func WithIdleTrim(handshakes int, quiet time.Duration) Option {
	return func(c *config) { c.trimAfter, c.trimQuiet = handshakes, quiet }
}
