package ws

import (
	"testing"
	"unsafe"
)

// TestConnSize guards the per-connection struct kept for every idle
// connection: 176 B is a Go size class; one field more or a padding hole
// costs 16 B per connection.
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 176 {
		t.Fatalf("Conn is %d bytes, want ≤ 176 (idle memory per connection)", n)
	}
}
