// Package browsertest starts headless Chromium for tests of browser-facing
// features (CORS, Swagger UI, htmx pages, WebSocket from a page). It drives
// Debian's /usr/bin/chromium through the DevTools protocol (chromedp) with
// the flags a closed network needs, and never downloads a browser.
//
// When Chromium is missing the test is skipped, or fails when
// COVET_REQUIRE_SERVICES=1; scripts/install-browser.sh installs it.
package browsertest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/covetgo/covet/core/covettest"
)

// ChromiumEnv names the environment variable that overrides the browser path.
const ChromiumEnv = "COVET_CHROMIUM"

// Path returns the Chromium binary to use, or an error when none is installed.
func Path() (string, error) {
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium binary on PATH (run scripts/install-browser.sh)")
}

// New starts a headless browser for the test and returns a chromedp context
// for one tab; everything is closed when the test ends. timeout bounds the
// whole test's browser use (0 means one minute).
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path, err := Path()
	covettest.NeedService(t, "headless Chromium", err)
	if timeout == 0 {
		timeout = time.Minute
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
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
