// Package browsertest runs Covet's browser tests on three engines: Chromium
// (DevTools protocol, through chromedp), Firefox ESR (W3C WebDriver BiDi,
// spoken by Firefox itself) and WebKitGTK (classic W3C WebDriver, through
// WebKitWebDriver under a private Xvfb). Tests see one small interface,
// [Browser]: open a page, run a script and await its promise, read console
// errors and the requests the page made, click and fill.
//
// Each engine's browser process starts once per test binary, on first use,
// and every test gets a fresh tab (on Chromium and Firefox in a fresh
// profile-like context). [Run] runs a test function as one parallel subtest
// per engine, so the engines start and work side by side. An engine that is
// not installed skips its subtest with a message, or fails it when
// COVET_REQUIRE_SERVICES=1; scripts/install-browser.sh installs all three.
// COVET_BROWSERS (e.g. "chromium,firefox") limits the engines.
//
// A test package calls [Main] from TestMain so that the browsers are closed
// when its tests end; on Linux they are killed with the test binary anyway.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/covetgo/covet/core/covettest"
)

// Engine names a browser engine.
type Engine string

// The engines browsertest drives.
const (
	Chromium Engine = "chromium" // Blink, through the DevTools protocol (chromedp)
	Firefox  Engine = "firefox"  // Gecko, through WebDriver BiDi
	WebKit   Engine = "webkit"   // WebKitGTK, through classic WebDriver
)

// Engines lists every engine, in the order [Run] starts them.
var Engines = []Engine{Chromium, Firefox, WebKit}

// EnginesEnv names the environment variable that limits the engines [Run]
// uses: a comma-separated subset of "chromium,firefox,webkit".
const EnginesEnv = "COVET_BROWSERS"

// ChromiumEnv names the environment variable that overrides the Chromium path.
const ChromiumEnv = "COVET_CHROMIUM"

// ErrUnsupported is returned by a [Browser] method that an engine's protocol
// cannot carry out.
var ErrUnsupported = errors.New("browsertest: not supported by this engine")

// Request is one request a page made, as the engine reports it.
type Request struct {
	URL string
	// Failed is the engine's error text for a request that got no
	// response (refused, blocked by CORS or by policy), or "".
	Failed string
}

// Browser is one tab of one engine, owned by one test. Its methods are not
// safe for concurrent use. Every call is bounded by the timeout given to
// [Run] or [Open].
type Browser interface {
	// Engine tells which engine this is.
	Engine() Engine
	// Open navigates to url and waits for its load event. It forgets the
	// requests and console errors of the previous page.
	Open(url string) error
	// Eval evaluates the JavaScript expression js in the page; when its
	// value is a promise it waits for it. The value is passed through
	// JSON.stringify and decoded into out (which may be nil). A thrown
	// error or rejected promise is returned as an error.
	Eval(js string, out any) error
	// Click clicks the first element that matches the CSS selector.
	Click(selector string) error
	// Fill replaces the value of the input that matches the CSS selector
	// by typing value into it.
	Fill(selector, value string) error
	// Requests lists the requests the page made since Open: every request
	// the engine saw leave (Chromium, Firefox), or the page's own resource
	// timing entries (WebKit: classic WebDriver has no network events).
	Requests() ([]Request, error)
	// ConsoleErrors lists console.error calls and uncaught errors since
	// Open (and, on Chromium, the browser's own error log lines such as
	// CORS and CSP refusals). WebKit: only errors raised after Open
	// returned, caught by a listener Open installs; see README.
	ConsoleErrors() ([]string, error)
}

// Option configures [Run] and [Open].
type Option func(*config)

type config struct {
	timeout time.Duration
	engines []Engine
}

// WithTimeout bounds each engine's part of the test (default one minute).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithEngines limits [Run] to the given engines.
func WithEngines(e ...Engine) Option { return func(c *config) { c.engines = e } }

func newConfig(opts []Option) config {
	c := config{timeout: time.Minute, engines: Engines}
	if env := os.Getenv(EnginesEnv); env != "" {
		var only []Engine
		for _, name := range strings.Split(env, ",") {
			only = append(only, Engine(strings.TrimSpace(name)))
		}
		c.engines = only
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Run calls fn once per engine, each in a parallel subtest named after the
// engine with its own [Browser]. Servers the test starts before Run and
// closes with t.Cleanup stay up until every engine is done.
func Run(t *testing.T, fn func(t *testing.T, b Browser), opts ...Option) {
	t.Helper()
	c := newConfig(opts)
	for _, e := range c.engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			b := open(t, e, c)
			fn(t, b)
		})
	}
}

// Open returns a fresh tab of engine e for the test, closed when the test
// ends. It skips the test when the engine is missing, or fails it under
// COVET_REQUIRE_SERVICES=1.
func Open(t testing.TB, e Engine, opts ...Option) Browser {
	t.Helper()
	return open(t, e, newConfig(opts))
}

func open(t testing.TB, e Engine, c config) Browser {
	t.Helper()
	skipShort(t)
	d, err := engineFor(e)
	if err != nil {
		covettest.NeedService(t, describe(e), err)
	}
	if note := startupNote(e); note != "" {
		t.Log(note)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	b, err := d.newTab(ctx, t)
	if err != nil {
		cancel()
		if errors.Is(err, errStart) {
			covettest.NeedService(t, describe(e), err)
		}
		t.Fatalf("browsertest: %s: new tab: %v", e, err)
	}
	t.Cleanup(func() {
		b.close()
		cancel()
	})
	return b
}

func describe(e Engine) string {
	switch e {
	case Chromium:
		return "headless Chromium"
	case Firefox:
		return "headless Firefox ESR (WebDriver BiDi)"
	case WebKit:
		return "WebKitGTK (WebKitWebDriver under Xvfb)"
	}
	return string(e)
}

// errStart marks an engine that is installed but would not start.
var errStart = errors.New("browsertest: engine did not start")

// tab is what each engine's driver returns for one test.
type tab interface {
	Browser
	close()
}

// driver is one engine's browser process, shared by the test binary.
type driver interface {
	newTab(ctx context.Context, t testing.TB) (tab, error)
	shutdown()
}

var (
	enginesMu sync.Mutex
	started   = map[Engine]*engineOnce{}
)

type engineOnce struct {
	once sync.Once
	d    driver
	err  error
	took time.Duration // start-up time, logged by the first test
	told bool
}

// engineFor starts engine e once per test binary.
func engineFor(e Engine) (driver, error) {
	enginesMu.Lock()
	eo := started[e]
	if eo == nil {
		eo = &engineOnce{}
		started[e] = eo
	}
	enginesMu.Unlock()
	eo.once.Do(func() {
		start := time.Now()
		defer func() { eo.took = time.Since(start) }()
		switch e {
		case Chromium:
			eo.d, eo.err = startChromium()
		case Firefox:
			eo.d, eo.err = startFirefox()
		case WebKit:
			eo.d, eo.err = startWebKit()
		default:
			eo.err = fmt.Errorf("browsertest: unknown engine %q (want one of %v)", e, Engines)
		}
	})
	return eo.d, eo.err
}

// startupNote returns "started in D" the first time it is asked for e.
func startupNote(e Engine) string {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	eo := started[e]
	if eo == nil || eo.told {
		return ""
	}
	eo.told = true
	return fmt.Sprintf("browsertest: %s started in %v", e, eo.took.Round(time.Millisecond))
}

// Close stops every browser this test binary started. [Main] calls it.
func Close() {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	for e, eo := range started {
		if eo.d != nil {
			eo.d.shutdown()
		}
		delete(started, e)
	}
}

// Main runs the tests and then closes the browsers; call it from TestMain:
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	Close()
	os.Exit(code)
}

// lookPath returns the first of names on PATH.
func lookPath(what string, names ...string) (string, error) {
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("browsertest: no %s on PATH (looked for %s; run scripts/install-browser.sh)", what, strings.Join(names, ", "))
}

// Path returns the Chromium binary to use, or an error when none is installed.
func Path() (string, error) {
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p, nil
	}
	return lookPath("chromium binary", "chromium", "chromium-browser", "google-chrome")
}

// New starts a headless Chromium of its own for the test and returns a
// chromedp context for one tab; everything is closed when the test ends.
// timeout bounds the whole test's browser use (0 means one minute). It is
// for tests that need the DevTools protocol itself; engine-neutral tests use
// [Run].
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	skipShort(t)
	path, err := Path()
	covettest.NeedService(t, "headless Chromium", err)
	if timeout == 0 {
		timeout = time.Minute
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromiumOptions(path, t.TempDir())...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		covettest.NeedService(t, "headless Chromium (start)", err)
	}
	return ctx
}

// evalWrapper turns an expression into one whose (awaited) value is the
// JSON text of the expression's value; null stands for undefined.
func evalWrapper(js string) string {
	return "(async () => { const v = await (" + js + "\n); return JSON.stringify(v === undefined ? null : v); })()"
}

// decode stores the JSON text raw into out.
func decode(raw string, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal([]byte(raw), out); err != nil {
		return fmt.Errorf("browsertest: decoding the script's value %.200q: %w", raw, err)
	}
	return nil
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// startTimeout bounds an engine's start-up (process, endpoint, session). It
// is generous: on a loaded two-core machine three engines starting side by
// side have taken 35 s.
const startTimeout = 2 * time.Minute

// skipShort skips a real-browser test under -short: each starts a browser
// (seconds, a minute on a loaded machine). The release check's pass over
// every module alone runs with -short; the main run has every browser.
func skipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: real-browser tests are skipped")
	}
}
