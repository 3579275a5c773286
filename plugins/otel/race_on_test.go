//go:build race

package otel

// raceEnabled: the race detector's sync.Pool drops a share of what is put
// back at random, so allocation counts through pools do not hold.
const raceEnabled = true
