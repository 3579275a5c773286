package cache

import (
	"hash/maphash"
	"sync/atomic"
)

// A cache entry filled for a URL asked once costs a lookup and a store
// (with Redis, two round trips) and saves nothing: under traffic that reads
// a long tail of URLs (task details by id, say) most fills are never hit.
// Routes with AdmitRepeats consult a doorkeeper first (TinyLFU's idea, in
// its smallest form): a fixed table of recently asked keys' fingerprints
// with the second they were last asked. A key not asked within the window
// before, and not in memory, runs the handler alone, without lookup or
// store; the next request for it within the window takes the cache's usual
// path. Fingerprint collisions only let a key through early.

// doorSlots is the doorkeeper's size (a power of two); a slot is 8 bytes.
const doorSlots = 1 << 15

// doorSecBits low bits of a slot hold the second (mod 2^doorSecBits) the
// key was last asked; the high bits the key's fingerprint.
const (
	doorSecBits = 20
	doorSecMask = 1<<doorSecBits - 1
)

// doorkeeper remembers which keys were asked recently.
type doorkeeper struct {
	seed  maphash.Seed
	slots [doorSlots]atomic.Uint64
}

func newDoorkeeper() *doorkeeper { return &doorkeeper{seed: maphash.MakeSeed()} }

// seen records that key was asked at second now and reports whether it was
// asked before within window seconds.
func (d *doorkeeper) seen(key []byte, now, window int64) bool {
	h := maphash.Bytes(d.seed, key)
	slot := &d.slots[h&(doorSlots-1)]
	fp := h &^ doorSecMask
	old := slot.Swap(fp | uint64(now)&doorSecMask)
	if old&^doorSecMask != fp || old == 0 {
		return false
	}
	age := (uint64(now) - old) & doorSecMask
	return int64(age) <= window
}

// doorkeeper returns h's doorkeeper, made on first use (256 KiB that
// caches without AdmitRepeats routes never allocate).
func (h *HTTPCache) doorkeeper() *doorkeeper {
	if d := h.door.Load(); d != nil {
		return d
	}
	h.door.CompareAndSwap(nil, newDoorkeeper())
	return h.door.Load()
}
