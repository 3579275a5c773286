// Package ws is Covet's realtime plugin: WebSocket routes and Server-Sent
// Events on one hub, with rooms, users, typed and validated JSON messages,
// broadcast framed once, bounded send queues, origin checks, limits, ping
// heartbeats, graceful shutdown and cross-instance delivery through a
// Broker (Redis or NATS).
//
// The handshake is an ordinary Covet GET route (its middleware, auth and
// rate limits apply); the upgraded connection is handed to lesismal/nbio's
// epoll poller, so an idle connection holds no goroutine and no buffer.
// Package wstest is the test client.
package ws
