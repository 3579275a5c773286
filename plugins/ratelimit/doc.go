// Package ratelimit limits request rates in Covet apps, per client IP
// (behind trusted proxies only), per user, per API key, per route or any
// combination, with GCRA (the default) or a sliding-window counter, in
// memory or shared between instances through Redis.
//
//	limiter := ratelimit.New(
//		ratelimit.WithBackend(redisstore.New(rdb)),          // package redisstore; default: in memory
//		ratelimit.WithTrustedProxies("10.0.0.0/8"),          // default: trust none
//		ratelimit.WithDefaultPolicy(ratelimit.NewPolicy("global",
//			ratelimit.WithLimits(ratelimit.PerMinute(600).Burst(100)))),
//		ratelimit.WithExemptPaths("/healthz", "/readyz"),
//	)
//	if err := app.Install(limiter); err != nil { ... }
//
//	writes := ratelimit.NewPolicy("writes",
//		ratelimit.WithLimits(ratelimit.PerSecond(5).Burst(10), ratelimit.PerDay(1000)),
//		ratelimit.WithMethods("POST", "PUT", "PATCH", "DELETE"))
//	api := app.Group("/api").With(ratelimit.Apply(writes))
//
// Every limited response carries the IETF RateLimit-Policy and RateLimit
// header fields (draft-ietf-httpapi-ratelimit-headers, structured-field
// form):
//
//	RateLimit-Policy: "writes.second";q=5;w=1, "writes.day";q=1000;w=86400
//	RateLimit: "writes.second";r=9;t=1, "writes.day";r=999;t=87
//
// A refused request gets 429 Too Many Requests as an RFC 9457 problem with
// Retry-After. When the backend cannot answer, each policy's FailureMode
// decides: FailOpen (the default) lets requests through, logs and counts;
// FailClosed answers 503.
package ratelimit
