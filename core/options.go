package covet

import (
	"crypto/tls"
	"log/slog"
	"net/url"
	"time"

	"github.com/covetgo/covet/core/internal/logx"
	"github.com/covetgo/covet/core/internal/serve"
)

// Option configures an App; pass options to New.
type Option func(*config)

// TrailingSlash is the policy for a request whose path has no route but
// whose twin with (or without) a trailing slash does. Unclean paths (with
// "//", "/./" or "/../") are redirected to their clean form before routing
// under every policy; the clean form keeps the request's trailing slash.
type TrailingSlash uint8

const (
	// TrailingSlashRedirect redirects to the matching path: 301 for GET and
	// HEAD, 308 (which keeps the method and body) for other methods. The
	// Location is always a path on the same host. This is the default.
	TrailingSlashRedirect TrailingSlash = iota
	// TrailingSlashStrict answers 404: /users and /users/ are different paths.
	TrailingSlashStrict
)

type config struct {
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
	proxies          *TrustedProxies   // nil: none trusted (proxy.go)
	translators      []ErrorTranslator // translate.go
	publicURL        *url.URL          // absurl.go
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
	// ReadHeaderTimeout bounds reading the request line and headers (default 5s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading the whole request, body included (default 60s;
	// raise it for large uploads).
	ReadTimeout time.Duration
	// WriteTimeout bounds writing the response (default 60s). Streams
	// (Context.Stream, Context.SSE) push the deadline forward before each
	// write, so it bounds each write, not the whole stream; long-polling or
	// hijacking handlers that need more use http.ResponseController or
	// NoTimeout.
	WriteTimeout time.Duration
	// IdleTimeout bounds keep-alive idle time (default 120s).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request headers (default 1 MiB).
	MaxHeaderBytes int
	// ShutdownTimeout bounds graceful shutdown: in-flight requests get this
	// long to finish before connections are closed (default 30s; NoTimeout
	// waits for them however long they take).
	ShutdownTimeout time.Duration
	// DrainDelay is how long the server keeps serving after a shutdown
	// signal with readiness down, before the listener closes: time for a
	// load balancer (or Kubernetes, through the readiness probe and endpoint
	// removal) to stop sending new requests. Default 0 (close at once); a
	// few seconds more than the probe period behind a load balancer. It
	// comes before, and is not part of, ShutdownTimeout.
	DrainDelay time.Duration
	// StopTimeout is the least time plugins' Stop get at shutdown, once the
	// requests have finished: they get what remains of ShutdownTimeout, and
	// never less than this, even when the requests used it all (default 5s;
	// NoTimeout gives Stop a context without a deadline).
	StopTimeout time.Duration
	// TLSConfig is used by RunTLS; HTTP/2 is negotiated over TLS.
	TLSConfig *tls.Config
	// H2C serves HTTP/2 without TLS (prior knowledge), for use behind a proxy.
	H2C bool
}

func defaultConfig() config {
	dev := envDevelopment()
	return config{
		logger:           defaultLogger(dev),
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

// defaultLogger and envDevelopment: see core/internal/logx.
func defaultLogger(dev bool) *slog.Logger { return logx.Default(dev) }
func envDevelopment() bool                { return logx.EnvDevelopment() }

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

// WithDevelopment turns development mode on or off. In development, errors
// asked for by a browser render an HTML page with the stack and request, and
// a Context used after its handler returned panics. The default comes from
// the environment: COVET_ENV=development.
func WithDevelopment(on bool) Option {
	return func(c *config) {
		if c.development != on && !c.customLogger {
			c.logger = defaultLogger(on)
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
// report: its error, details (pool figures, database addresses) and latency.
// Without it they name only the plugins that are not ok, with their status,
// and the rest goes to the log when a status changes. Turn it on only where
// the endpoints are not public (an internal port, or behind authentication
// middleware); App.CheckHealth always returns the full reports.
func WithHealthDetails() Option { return func(c *config) { c.healthDetails = true } }

// WithHealthTimeout bounds each health check run (default 5s).
func WithHealthTimeout(d time.Duration) Option { return func(c *config) { c.healthTimeout = d } }

// NoTimeout turns a ServerConfig duration off when passed to WithServer,
// where a zero field keeps its default: WriteTimeout: covet.NoTimeout
// serves without a write timeout (http.Server's 0). Any negative duration
// does the same.
const NoTimeout time.Duration = -1

// WithServer sets the server configuration; zero fields keep their defaults
// and NoTimeout (any negative duration) turns a timeout off.
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
