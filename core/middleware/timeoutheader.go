package middleware

import (
	"net/http"
	"slices"
	"sync/atomic"
)

// headerKeys copies header maps without ranging over them where it can.
//
// Timeout's handlers write to a header map of their own, moved to the real
// one when they start the response. A range over a map costs about 400
// instructions here (half of them runtime.rand, which picks where iteration
// starts) against about 30 for a lookup in a small map, and a route sets the
// same few keys on every request. So the keys seen are learned (up to
// maxLearnedKeys, per Timeout) and a copy looks those up, stopping once it
// has found as many keys as the map holds; a map with a key not learned yet
// is ranged over, and its keys learned. The result is the same either way
// (TestHeaderKeysCopy checks it against maps.Copy); only the cost differs.
type headerKeys struct {
	learned atomic.Pointer[[]string]
}

// maxLearnedKeys bounds the lookups a copy tries before it ranges: past it,
// keys are no longer learned (a route that sets ever new keys, such as ones
// taken from the request, gets ranged over, as before).
const maxLearnedKeys = 16

// copy sets every entry of src in dst.
func (k *headerKeys) copy(dst, src http.Header) {
	n := len(src)
	if n == 0 {
		return
	}
	if ks := k.learned.Load(); ks != nil {
		for _, key := range *ks {
			if v, ok := src[key]; ok {
				dst[key] = v
				if n--; n == 0 {
					return
				}
			}
		}
	}
	for key, v := range src {
		dst[key] = v
	}
	k.learn(src)
}

// learn adds the keys of h not learned yet, while there is room for them.
func (k *headerKeys) learn(h http.Header) {
	old := k.learned.Load()
	var ks []string
	if old != nil {
		ks = *old
	}
	if len(ks) >= maxLearnedKeys {
		return
	}
	next := append([]string(nil), ks...)
	for key := range h {
		if len(next) == maxLearnedKeys {
			break
		}
		if !slices.Contains(next, key) {
			next = append(next, key)
		}
	}
	if len(next) > len(ks) {
		// A lost race only means these keys are learned on a later copy.
		k.learned.CompareAndSwap(old, &next)
	}
}
