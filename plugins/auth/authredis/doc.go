// Package authredis keeps the auth plugin's shared state in Redis
// (github.com/redis/go-redis/v9), so that several instances of an app agree
// on it: revoked tokens and "log out everywhere" cut-offs (Revocation),
// refresh token families (Refresh), sessions (Sessions) and the states of
// completed OAuth logins (each store is an auth.OnceStore, so a login
// callback replayed on another instance is refused). It is a package
// of its own so that apps without Redis do not link go-redis.
//
// Every command runs under a deadline on its context (WithTimeout, default
// 100 ms): a stalled or unreachable Redis costs a request at most that
// long, and never a goroutine. go-redis honours context deadlines on its
// connections only with Options.ContextTimeoutEnabled, so the constructors
// refuse a client without it. A circuit breaker (github.com/sony/gobreaker)
// opens after consecutive failures and answers at once while open; the
// plugin's FailureMode decides what a request gets then. An unreachable
// Redis (connection refused, reset) opens it at once; timeouts only once
// commands have failed, none answered, for the stall window
// (WithStallWindow, default 1 s), so scattered timeouts of a loaded machine
// do not shut every request out.
//
// The revocation check of a request is one MGET of two keys (the token's
// jti and its subject's cut-off), one round trip. Keys of one subject share
// a Redis Cluster hash tag, so the MGET also works on a cluster.
package authredis
