// Package scaleout runs the taskboard the way a deployment that outgrew one
// machine does, and checks that it holds together: HAProxy in front of
// several taskboard processes on a shared PostgreSQL database and Redis,
// under steady mixed traffic while faults are injected (an instance
// SIGKILLed, a rolling restart with SIGTERM, PostgreSQL backends
// terminated, Redis paused with CLIENT PAUSE and restarted).
//
// The topology is started by scripts/up.sh and stopped by scripts/down.sh
// (Up and Topology.Down run them); Run drives the traffic and the faults,
// records every request and its answer, and Check compares the records with
// the database: no committed write lost or duplicated, server errors only
// inside fault windows, recovery within bounds, subscribers fed.
//
//	go run ./contrib/scaleout/cmd/harness -duration 60s
//
// The deployment kit (Dockerfile, Kubernetes manifests) is in deploy/.
package scaleout
