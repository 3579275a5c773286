//go:build !race

package otel

// raceEnabled: see race_on_test.go.
const raceEnabled = false
