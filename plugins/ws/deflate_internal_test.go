package ws

import (
	"strings"
	"testing"
)

// BenchmarkDeflatePayload is the CPU and memory price of compressing one
// 1 KiB JSON message (once per broadcast, or per Send):
//
//	go test -run '^$' -bench DeflatePayload -benchmem .
func BenchmarkDeflatePayload(b *testing.B) {
	msg := []byte(`[` + strings.Repeat(`{"task":7,"column":"done","title":"write the README"},`, 19) + `{}]`)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		z, ok := deflatePayload(msg, 1)
		if !ok {
			b.Fatal("did not shrink")
		}
		n = len(z)
	}
	b.ReportMetric(float64(n)/float64(len(msg)), "ratio")
}
