// Package bench is the root of Covet's benchmark suite (module
// github.com/covetgo/covet/tools/bench). It holds no code but the module's
// version; the suite lives in its packages:
//
//   - apps/* and servers/*: the same app (plaintext, json, users/{id}, echo,
//     upload, and a realistic endpoint behind production middleware) written
//     with Covet, net/http, httprouter, chi, gin, echo and fiber, each served
//     by its own main package; servers/python holds FastAPI and Flask.
//   - conformance: the checks every server passes before it is measured.
//   - cmd/runner: the load benchmark (wrk, interleaved rounds, report, chart).
//   - callgrind and cmd/cgmeasure: instructions per request under valgrind,
//     and the CI guard on them.
//   - routing: router micro-benchmarks.
//   - typed: the typed-endpoint benchmark of Covet and its peers.
//
// See README.md for the commands and the latest results.
package bench
