package covet

import (
	"crypto/tls"
	"log/slog"
	"net/url"
	"time"

	"github.com/covetgo/covet/core/internal/logx"
	"github.com/covetgo/covet/core/internal/serve"
	"github.com/covetgo/covet/core/proxy"
)

// Option configures an App; pass options to New.
type Option func(*config)

// TrailingSlash is the policy for a path with no route whose twin with (or
// without) a trailing slash has one. Unclean paths ("//", "/./", "/../") are
// redirected to their clean form under every policy.
type TrailingSlash uint8

const (
	// TrailingSlashRedirect (the default) redirects to the matching path on
	// the same host: 301 for GET and HEAD, 308 (keeps method and body) else.
	TrailingSlashRedirect TrailingSlash = iota
	// TrailingSlashStrict answers 404: /users and /users/ are different paths.
	TrailingSlashStrict
)

type config struct { // what the Options set
	logger           *slog.Logger
	customLogger     bool
	development      bool
	errorHandler     ErrorHandler
	notFound         HandlerFunc
	methodNotAllowed HandlerFunc
	trailingSlash    TrailingSlash
	autoOptions      bool
	health           bool
	healthzPath      string
	readyzPath       string
	healthTimeout    time.Duration
	healthDetails    bool
	server           ServerConfig
	json             JSONCodec
	proxies          *proxy.Trusted    // nil: none trusted (proxy.go)
	proxyCIDRs       []string          // WithTrustedProxies
	proxyHeader      string            // WithClientIPHeader
	translators      []ErrorTranslator // TranslateErrors
	publicURL        *url.URL          // WithPublicURL
	// binding (see bind.go)
	bodyLimit      int64
	strictJSON     bool
	maxJSONDepth   int
	multipart      MultipartLimits
	validateOutput bool
	encoders       []Encoder
	// background tasks (background.go)
	bgLimit    int
	bgWhenFull WhenFull
}

// ServerConfig holds the http.Server settings Run and Serve use. Passed to
// WithServer, a zero duration keeps its default and NoTimeout turns it off.
type ServerConfig struct {
	ReadHeaderTimeout time.Duration // bounds reading the request line and headers (default 5s)
	ReadTimeout       time.Duration // bounds reading the whole request (default 60s; raise it for uploads)
	// WriteTimeout bounds writing the response (default 60s). Streams
	// (Stream, SSE) push it forward before each write, so it bounds each
	// write; long polls and hijackers needing more use
	// http.ResponseController or NoTimeout.
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration // bounds keep-alive idle time (default 120s)
	MaxHeaderBytes int           // bounds the request headers' size (default 1 MiB)
	// ShutdownTimeout is how long in-flight requests get to finish at
	// shutdown before connections are closed (default 30s; NoTimeout waits).
	ShutdownTimeout time.Duration
	// DrainDelay is how long the server keeps serving, readiness down, after
	// a shutdown signal and before the listener closes, so a load balancer
	// stops sending traffic (default 0; a little more than the probe period
	// behind one). It comes before ShutdownTimeout.
	DrainDelay time.Duration
	// StopTimeout is the least time plugins' Stop get once requests have
	// finished: what remains of ShutdownTimeout, never less than this
	// (default 5s; NoTimeout: no deadline).
	StopTimeout time.Duration
	TLSConfig   *tls.Config // used by RunTLS (HTTP/2 negotiated)
	H2C         bool        // HTTP/2 without TLS (prior knowledge), behind a proxy
}

func defaultConfig() config {
	dev := logx.EnvDevelopment()
	return config{
		logger:           logx.Default(dev),
		development:      dev,
		errorHandler:     DefaultErrorHandler,
		notFound:         NotFoundHandler,
		methodNotAllowed: MethodNotAllowedHandler,
		autoOptions:      true,
		healthzPath:      "/healthz",
		readyzPath:       "/readyz",
		healthTimeout:    5 * time.Second,
		server: ServerConfig{
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    1 << 20,
			ShutdownTimeout:   30 * time.Second,
			StopTimeout:       5 * time.Second,
		},
		json:         defaultJSON,
		bodyLimit:    DefaultBodyLimit,
		maxJSONDepth: DefaultMaxJSONDepth,
		bgLimit:      DefaultBackgroundLimit,
	}
}

// WithLogger sets the logger. The default writes JSON to stderr in
// production and text (debug level included) in development.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
			c.customLogger = true
		}
	}
}

// WithDevelopment turns development mode on or off (default: on when
// COVET_ENV=development): errors asked for by a browser render an HTML page
// with the stack, and a Context used after its handler returned panics.
func WithDevelopment(on bool) Option {
	return func(c *config) {
		if c.development != on && !c.customLogger {
			c.logger = logx.Default(on)
		}
		c.development = on
	}
}

// WithErrorHandler replaces the error handler (default DefaultErrorHandler).
func WithErrorHandler(h ErrorHandler) Option {
	return func(c *config) {
		if h != nil {
			c.errorHandler = h
		}
	}
}

// WithNotFound sets the handler for requests no route matches.
func WithNotFound(h HandlerFunc) Option {
	return func(c *config) {
		if h != nil {
			c.notFound = h
		}
	}
}

// WithMethodNotAllowed sets the handler for a path that has routes, but not
// for the request's method; c.AllowedMethods() lists those it has.
func WithMethodNotAllowed(h HandlerFunc) Option {
	return func(c *config) {
		if h != nil {
			c.methodNotAllowed = h
		}
	}
}

// WithTrailingSlash sets the trailing-slash policy (default TrailingSlashRedirect).
func WithTrailingSlash(p TrailingSlash) Option { return func(c *config) { c.trailingSlash = p } }

// WithAutoOptions turns the automatic OPTIONS answer (204 with Allow) on or off (default on).
func WithAutoOptions(on bool) Option { return func(c *config) { c.autoOptions = on } }

// WithHealth serves liveness at /healthz and readiness at /readyz, built
// from the installed plugins' health checks (see HealthChecker).
func WithHealth() Option { return func(c *config) { c.health = true } }

// WithHealthPaths changes the health paths (and turns health on).
func WithHealthPaths(healthz, readyz string) Option {
	return func(c *config) { c.health, c.healthzPath, c.readyzPath = true, healthz, readyz }
}

// WithHealthDetails makes /healthz and /readyz answer every plugin's full
// report (error, details such as database addresses, latency); without it
// they name only the plugins not ok, and the rest is logged on change. Use
// it only where the endpoints are not public.
func WithHealthDetails() Option { return func(c *config) { c.healthDetails = true } }

// WithHealthTimeout bounds each health check run (default 5s).
func WithHealthTimeout(d time.Duration) Option { return func(c *config) { c.healthTimeout = d } }

// NoTimeout in a ServerConfig duration passed to WithServer turns that
// timeout off (a zero field keeps its default; any negative duration works).
const NoTimeout time.Duration = -1

// WithServer sets the server configuration; zero fields keep their
// defaults, NoTimeout turns a timeout off.
func WithServer(s ServerConfig) Option {
	return func(c *config) {
		d := &c.server
		serve.Override(
			[]*time.Duration{&d.ReadHeaderTimeout, &d.ReadTimeout, &d.WriteTimeout, &d.IdleTimeout, &d.ShutdownTimeout, &d.DrainDelay, &d.StopTimeout},
			s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout, s.ShutdownTimeout, s.DrainDelay, s.StopTimeout)
		if s.MaxHeaderBytes != 0 {
			d.MaxHeaderBytes = s.MaxHeaderBytes
		}
		if s.TLSConfig != nil {
			d.TLSConfig = s.TLSConfig
		}
		d.H2C = d.H2C || s.H2C
	}
}

// WithJSON replaces the JSON codec used to read and write bodies.
func WithJSON(j JSONCodec) Option {
	return func(c *config) {
		if j != nil {
			c.json = j
		}
	}
}
