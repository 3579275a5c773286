package covettest

import (
	"bytes"
	"runtime"
	"strings"
	"time"
)

// goroutines returns the stacks of all goroutines by their header line
// ("goroutine 7 [running]:" without the state), keyed by id.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		s := string(g)
		id, _, ok := strings.Cut(strings.TrimPrefix(s, "goroutine "), " ")
		if !ok {
			continue
		}
		out[id] = s
	}
	return out
}

// newGoroutines waits up to wait for the goroutines started since before
// to end and returns the stacks of those still running. Goroutines of the
// testing package and the runtime are not counted.
func newGoroutines(before map[string]string, wait time.Duration) []string {
	deadline := time.Now().Add(wait)
	for {
		var left []string
		for id, stack := range goroutines() {
			if _, old := before[id]; old || ignorableGoroutine(stack) {
				continue
			}
			left = append(left, stack)
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ignorableGoroutine: the testing package's own goroutines and the
// process-wide signal watcher (started once, by the first signal.Notify).
func ignorableGoroutine(stack string) bool {
	for _, s := range []string{"testing.tRunner", "testing.(*T).Run", "os/signal.signal_recv", "os/signal.loop"} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}
