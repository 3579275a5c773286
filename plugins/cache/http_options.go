package cache

import (
	"net/http"
	"time"

	covet "github.com/covetgo/covet/core"
)

// HTTPOption configures the response cache (NewHTTP).
type HTTPOption func(*httpConfig)

type httpConfig struct {
	maxBody     int
	statuses    map[int]bool
	keyed       []string
	cookiesOK   bool
	defaultTTL  time.Duration
	surrogate   bool
	cacheTag    bool
	purger      Purger
	invalidates bool
}

func defaultHTTPConfig() httpConfig {
	return httpConfig{
		maxBody:     1 << 20,
		statuses:    map[int]bool{200: true, 203: true, 204: true, 301: true, 308: true},
		keyed:       DefaultKeyedHeaders,
		surrogate:   true,
		cacheTag:    true,
		invalidates: true,
	}
}

// DefaultKeyedHeaders are request headers that are part of every cache key
// when present, whether or not the response names them in Vary: frameworks
// and proxies read them to build absolute URLs or to route (core's
// TrustedProxies reads the X-Forwarded-* ones), so a response built from
// them must never be served to a request without them, the classic cache
// poisoning through unkeyed input.
var DefaultKeyedHeaders = []string{
	"X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Forwarded-Port",
	"Forwarded", "X-Original-Url", "X-Rewrite-Url", "X-Http-Method-Override", "X-Host",
}

// WithMaxBodySize sets the largest body stored (default 1 MiB); a larger
// response is passed through and not stored.
func WithMaxBodySize(n int) HTTPOption { return func(c *httpConfig) { c.maxBody = n } }

// WithStatuses sets the statuses that may be stored (default 200, 203, 204,
// 301, 308): error responses are not cached unless listed here.
func WithStatuses(codes ...int) HTTPOption {
	return func(c *httpConfig) {
		c.statuses = map[int]bool{}
		for _, s := range codes {
			c.statuses[s] = true
		}
	}
}

// WithKeyedHeaders replaces DefaultKeyedHeaders.
func WithKeyedHeaders(names ...string) HTTPOption {
	return func(c *httpConfig) {
		c.keyed = nil
		for _, n := range names {
			c.keyed = append(c.keyed, http.CanonicalHeaderKey(n))
		}
	}
}

// WithCookiesAllowed lets requests that carry cookies use the cache. By
// default a request with a Cookie header (a session, perhaps) neither reads
// nor fills it; set this when the app's cookies never change a response of
// a cached route (or use KeyBy on routes that depend on the user).
func WithCookiesAllowed() HTTPOption { return func(c *httpConfig) { c.cookiesOK = true } }

// WithDefaultTTL stores responses that carry no freshness of their own (no
// max-age, s-maxage or Expires) for d. Default: 0, such responses are not
// stored; routes opt in with For.
func WithDefaultTTL(d time.Duration) HTTPOption { return func(c *httpConfig) { c.defaultTTL = d } }

// WithCDNHeaders chooses which tag headers responses carry for CDNs:
// Surrogate-Key (Fastly; space-separated) and Cache-Tag (Cloudflare;
// comma-separated). Default: both.
func WithCDNHeaders(surrogateKey, cacheTag bool) HTTPOption {
	return func(c *httpConfig) { c.surrogate, c.cacheTag = surrogateKey, cacheTag }
}

// WithPurger calls p on every InvalidateTags of the Cache (on the instance
// that invalidates), to purge a CDN by the same tags.
func WithPurger(p Purger) HTTPOption { return func(c *httpConfig) { c.purger = p } }

// WithoutUnsafeInvalidation keeps stored responses when a POST, PUT, PATCH
// or DELETE to the same URL succeeds. By default such a request evicts the
// URL's stored GET response, as RFC 9111 §4.4 asks.
func WithoutUnsafeInvalidation() HTTPOption { return func(c *httpConfig) { c.invalidates = false } }

// routeConf is a route's response-cache settings (route options).
type routeConf struct {
	off   bool
	admit int64 // AdmitRepeats' window in seconds, 0: every key admitted
	skip  func(*covet.Context) bool
	ttl   time.Duration
	tags  func(*covet.Context) []string
	keyBy func(*covet.Context) string
}

var routeKey = covet.NewMetaKey[*routeConf]("cache.route")

// RouteOption is a response-cache setting of one route (For, TagsFrom,
// KeyBy, Disable); give several to Route.
type RouteOption func(*routeConf)

// Route returns the covet.RouteOption applying opts to a route:
//
//	app.GET("/boards/{id}", board).With(cache.Route(cache.For(time.Minute), cache.TagsFrom(boardTags)))
func Route(opts ...RouteOption) covet.RouteOption {
	rc := &routeConf{}
	for _, o := range opts {
		o(rc)
	}
	return routeKey.Set(rc)
}

// For stores the route's responses for ttl when the handler sets no
// Cache-Control, and sends them with "Cache-Control: public, max-age=0,
// s-maxage=<ttl>": shared caches (this one, CDNs) keep them and purge by
// tag; browsers revalidate with the ETag, a cheap 304.
func For(ttl time.Duration) RouteOption { return func(r *routeConf) { r.ttl = ttl } }

// TagsFrom tags each stored response with fn's tags (InvalidateTags evicts
// it; Surrogate-Key and Cache-Tag carry them to CDNs). Handlers may add tags
// with Tag too.
func TagsFrom(fn func(*covet.Context) []string) RouteOption {
	return func(r *routeConf) { r.tags = fn }
}

// KeyBy lets requests with Authorization or cookies, and routes with
// security requirements (auth guards), use the cache, keyed by fn's answer
// (a user id): one user's response is never served to another. An empty
// answer bypasses the cache.
func KeyBy(fn func(*covet.Context) string) RouteOption {
	return func(r *routeConf) { r.keyBy = fn }
}

// AdmitRepeats caches a URL of the route only once it is asked again
// within window (rounded up to whole seconds) on this instance: the first
// request for a URL not in memory runs the handler alone, without the
// cache's lookup and store (with Redis, two round trips it would spend on
// an entry no one may read again). Use it on routes whose URLs form a long
// tail (an item by id) under traffic that rarely repeats one; a URL asked
// again within window, or already in memory, takes the usual path. Skipped
// requests count as bypasses.
func AdmitRepeats(window time.Duration) RouteOption {
	return func(r *routeConf) { r.admit = max(1, int64((window+time.Second-1)/time.Second)) }
}

// BypassIf lets the requests of the route for which fn reports true bypass
// the cache (no lookup, no store: the handler answers; counted as
// bypasses), for responses that cost less to compute than the cache's
// round trips, or that change too often to be read from it. fn runs on
// every GET or HEAD of the route before the lookup; keep it cheap.
func BypassIf(fn func(*covet.Context) bool) RouteOption {
	return func(r *routeConf) { r.skip = fn }
}

// Disable turns the response cache off for the route.
func Disable() RouteOption { return func(r *routeConf) { r.off = true } }
