package ws

import (
	"context"
	"sort"
	"time"
)

// PresenceStore shares presence between instances: RedisBroker implements
// it, NATSPresence (JetStream key-value) is given with WithPresenceStore. Each instance writes its own entry (room ->
// members) with a time to live and refreshes it; an instance that crashes
// stops refreshing and its members disappear when the entry expires.
type PresenceStore interface {
	// SetPresence replaces instance's entry; it expires after ttl unless set again.
	SetPresence(ctx context.Context, instance string, rooms map[string][]string, ttl time.Duration) error
	// RemovePresence deletes instance's entry (at a clean stop).
	RemovePresence(ctx context.Context, instance string) error
	// Presence returns the members of room over all live entries.
	Presence(ctx context.Context, room string) ([]string, error)
}

// WithPresenceTTL sets how long an instance's presence entry lives without
// being refreshed (default 30 s; refreshed every third of it and at once
// after a change). After a crash the instance's members disappear from
// Presence within the TTL.
func WithPresenceTTL(d time.Duration) Option { return func(c *config) { c.presenceTTL = d } }

// WithPresenceStore shares presence through ps (NewNATSPresence) instead
// of the broker (used when the broker is a PresenceStore, as RedisBroker
// is). A hub option.
func WithPresenceStore(ps PresenceStore) Option { return func(c *config) { c.presence = ps } }

// presenceStore is the store presence is shared through, or nil.
func (h *Hub) presenceStore() PresenceStore {
	if h.cfg.presence != nil {
		return h.cfg.presence
	}
	ps, _ := h.cfg.broker.(PresenceStore)
	return ps
}

// Presence returns the users (SetUser) in room: across all instances with
// a presence store (WithPresenceStore, or a broker that is one), else on
// this instance. Sorted, without
// duplicates; connections without a user are not listed.
func (h *Hub) Presence(ctx context.Context, room string) ([]string, error) {
	if ps := h.presenceStore(); ps != nil {
		return ps.Presence(ctx, room)
	}
	return h.localPresence()[room], nil
}

// localPresence is room -> sorted users of this instance.
func (h *Hub) localPresence() map[string][]string {
	out := map[string][]string{}
	h.mu.RLock()
	for name, r := range h.rooms {
		seen := map[string]bool{}
		for m := range r.members {
			var u string
			switch v := m.(type) {
			case *Conn:
				u = v.User()
			case *Stream:
				v.mu.Lock()
				u = v.user
				v.mu.Unlock()
			}
			if u != "" && !seen[u] {
				seen[u] = true
				out[name] = append(out[name], u)
			}
		}
		sort.Strings(out[name])
	}
	h.mu.RUnlock()
	return out
}

func (h *Hub) presenceChanged(string) {
	if h.presenceKick == nil {
		return
	}
	select {
	case h.presenceKick <- struct{}{}:
	default:
	}
}

// presenceLoop writes this instance's entry at every change (at most every
// 50 ms) and every third of the TTL; it removes it at a clean stop.
func (h *Hub) presenceLoop(ctx context.Context, ps PresenceStore) {
	ttl := h.cfg.presenceTTL
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	write := func() {
		wctx, cancel := context.WithTimeout(ctx, ttl/3)
		defer cancel()
		if err := ps.SetPresence(wctx, h.instance, h.localPresence(), ttl); err != nil && ctx.Err() == nil {
			h.log.Warn("ws: presence not written", "err", err)
		}
	}
	write()
	for {
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			_ = ps.RemovePresence(rctx, h.instance)
			cancel()
			return
		case <-t.C:
		case <-h.presenceKick:
			time.Sleep(50 * time.Millisecond) // gather a burst of joins
		}
		write()
	}
}
