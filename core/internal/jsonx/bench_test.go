package jsonx

import "testing"

// BenchmarkAppendStringLog escapes the strings of an access log line and a
// small response (short, all plain, one real browser User-Agent):
//
//	scripts/instr-per-op.sh ./core/internal/jsonx AppendStringLog 200000
func BenchmarkAppendStringLog(b *testing.B) {
	ss := []string{"request", "GET", "/tasks/{id:int}", "/tasks/42", "0123456789abcdef0123456789abcdef",
		"127.0.0.1", "bench/1.0", "write the docs",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"}
	buf := make([]byte, 0, 512)
	for b.Loop() {
		buf = buf[:0]
		for _, s := range ss {
			buf = AppendString(buf, s)
		}
	}
}
