// Package metrics exports Prometheus metrics from a Covet app: RED metrics
// per route pattern, the Go runtime and process, database pools and the
// counters other plugins keep, on /metrics.
//
//	m := metrics.New()
//	app := covet.New()
//	err := app.Install(m) // GET /metrics; every request counted
//
// Series are labelled by the route's pattern ("/users/{id}"), never the raw
// path; requests no route matched share the route label "unmatched", and
// non-standard methods the method label "OTHER", so the number of series is
// bounded by the route table, whatever clients send.
//
// Recording costs no allocation per request: the series of a route are
// looked up once and cached in a map read without a lock.
package metrics
