package orm

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
)

// stickyCookiePrefix starts the name of a WithStickyWrites cookie; the
// database's name follows.
const stickyCookiePrefix = "orm_sticky_"

// maxSticky is how many databases may have WithStickyWrites (a request
// keeps one bit per database).
const maxSticky = 64

// makeSticky gives d, which has replicas and WithStickyWrites, its cookie
// and its bit.
func (p *Plugin) makeSticky(d *Database) error {
	name := stickyCookiePrefix + d.name
	if err := (&http.Cookie{Name: name, Value: "0"}).Valid(); err != nil { // #nosec G124 -- built only to check the name, never sent (BeforeWrite sets the cookie with covet.Context.SetCookie)
		return fmt.Errorf("orm: database %q: WithStickyWrites: the name cannot be part of a cookie's name (%q): %w", d.name, name, err)
	}
	if len(p.sticky) == maxSticky {
		return fmt.Errorf("orm: database %q: WithStickyWrites: at most %d databases", d.name, maxSticky)
	}
	d.stickyCookie = name
	d.stickyNeedle = name + "="
	d.stickyBit = 1 << len(p.sticky)
	p.sticky = append(p.sticky, d)
	return nil
}

// startSticky reads the request's sticky cookies (which of its databases
// its reads keep to the primary) and registers the hook that sets them
// after a write. It allocates nothing for a request without such a cookie.
func (s *reqState) startSticky(c *covet.Context) {
	s.c = c
	if hdr := c.Header("Cookie"); hdr != "" {
		// Go's HTTP/2 server joins the Cookie fields into one, and an
		// HTTP/1 client sends one: the first field holds every cookie.
		var now time.Time
		for _, d := range s.p.sticky {
			if !strings.Contains(hdr, d.stickyNeedle) {
				continue
			}
			v, ok := c.Cookie(d.stickyCookie)
			if !ok {
				continue
			}
			if now.IsZero() {
				now = s.p.cfg.now()
			}
			if stickyValid(v, now, d.cfg.sticky) {
				s.stickyMask |= d.stickyBit
			}
		}
	}
	c.Response().OnBeforeWrite(s) // a pointer in an interface: no allocation
}

// stickyValid reports whether a cookie's value is a time (Unix
// milliseconds) after now and not later than now+window: anything else
// (malformed, expired, or further ahead than a write could have set it) is
// ignored.
func stickyValid(v string, now time.Time, window time.Duration) bool {
	until, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return false
	}
	ms := now.UnixMilli()
	return until > ms && until <= ms+window.Milliseconds()
}

// stickyTo reports whether the request came with a valid sticky cookie of
// d.
func (s *reqState) stickyTo(d *Database) bool { return s.stickyMask&d.stickyBit != 0 }

// BeforeWrite implements covet.BeforeHook: before the response starts, it
// sets the sticky cookie of each database with WithStickyWrites the request
// wrote to, until now plus the database's window.
func (s *reqState) BeforeWrite(*covet.Response) {
	if !s.anyWrite.Load() {
		return
	}
	var now time.Time
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.wrote {
		if d.stickyBit == 0 {
			continue
		}
		if now.IsZero() {
			now = s.p.cfg.now()
		}
		window := d.cfg.sticky
		until := now.UnixMilli() + window.Milliseconds()
		// Max-Age counts whole seconds: round up, so the cookie outlives
		// the time it holds.
		age := (window + time.Second - 1).Truncate(time.Second)
		s.c.SetCookie(d.stickyCookie, strconv.FormatInt(until, 10), covet.CookieMaxAge(age))
	}
}

var _ covet.BeforeHook = (*reqState)(nil)
