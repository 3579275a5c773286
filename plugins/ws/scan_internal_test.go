package ws

import "testing"

// BenchmarkScanFrames is the plugin's header check of one 32-byte masked
// text frame (the echo benchmark's message): its cost per message read.
func BenchmarkScanFrames(b *testing.B) {
	frame := append([]byte{0x81, 0x80 | 32, 1, 2, 3, 4}, make([]byte, 32)...)
	c := &Conn{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if n, ev := c.scanFrames(frame); n != len(frame) || ev != scanNone {
			b.Fatal(n, ev)
		}
	}
}
