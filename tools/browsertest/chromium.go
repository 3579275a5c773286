package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumOptions are the flags a closed network needs: without the
// background-networking ones Chromium's own connections are refused.
func chromiumOptions(path, userDataDir string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(userDataDir),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
}

// chromium is one headless Chromium for the test binary.
type chromium struct {
	browser context.Context
	cancel  func()
	dir     string
}

func startChromium() (driver, error) {
	path, err := Path()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "covet-chromium-")
	if err != nil {
		return nil, err
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromiumOptions(path, dir)...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	c := &chromium{browser: bctx, dir: dir, cancel: func() { cancelBrowser(); cancelAlloc(); os.RemoveAll(dir) }}
	if err := chromedp.Do(bctx); err != nil {
		c.cancel()
		return nil, fmt.Errorf("%w: %s: %v", errStart, path, err)
	}
	return c, nil
}

func (c *chromium) shutdown() { c.cancel() }

func (c *chromium) newTab(ctx context.Context, t testing.TB) (tab, error) {
	// A new browser context per tab: no cookies or storage shared between tests.
	tctx, cancelTab := chromedp.NewContext(c.browser, chromedp.WithNewBrowserContext())
	dctx, cancelDeadline := context.WithCancel(tctx)
	if dl, ok := ctx.Deadline(); ok {
		dctx, cancelDeadline = context.WithDeadline(tctx, dl)
	}
	b := &chromiumTab{ctx: dctx, cancel: func() { cancelDeadline(); cancelTab() }}
	if err := chromedp.Listen(dctx, b.event); err != nil {
		b.cancel()
		return nil, err
	}
	if err := chromedp.Do(dctx); err != nil {
		b.cancel()
		return nil, err
	}
	return b, nil
}

// chromiumTab records network and console events from the DevTools protocol.
type chromiumTab struct {
	ctx    context.Context
	cancel func()

	mu       sync.Mutex
	requests []Request
	index    map[network.RequestID]int
	errors   []string
}

func (b *chromiumTab) event(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if b.index == nil {
			b.index = map[network.RequestID]int{}
		}
		b.index[e.RequestID] = len(b.requests)
		b.requests = append(b.requests, Request{URL: e.Request.URL})
	case *network.EventLoadingFailed:
		if i, ok := b.index[e.RequestID]; ok {
			b.requests[i].Failed = e.ErrorText
			if e.ErrorText == "" {
				b.requests[i].Failed = "failed"
			}
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, remoteText(a))
			}
			b.errors = append(b.errors, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		b.errors = append(b.errors, text)
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			b.errors = append(b.errors, e.Entry.Text)
		}
	}
}

func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if len(o.Value) > 0 {
		var s string
		if err := json.Unmarshal([]byte(o.Value), &s); err == nil {
			return s
		}
		return string([]byte(o.Value))
	}
	return o.Description
}

func (b *chromiumTab) close() { b.cancel() }

func (b *chromiumTab) Engine() Engine { return Chromium }

func (b *chromiumTab) Open(url string) error {
	b.mu.Lock()
	b.requests, b.index, b.errors = nil, nil, nil
	b.mu.Unlock()
	return chromedp.Do(b.ctx, chromedp.Navigate(url))
}

func (b *chromiumTab) Eval(js string, out any) error {
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](evalWrapper(js), chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("browsertest: chromium: eval: %w", err)
	}
	return decode(raw, out)
}

func (b *chromiumTab) Click(selector string) error {
	return chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(selector)))
}

func (b *chromiumTab) Fill(selector, value string) error {
	return chromedp.Do(b.ctx, chromedp.Clear(chromedp.CSS(selector)), chromedp.SendKeys(chromedp.CSS(selector), value))
}

func (b *chromiumTab) Requests() ([]Request, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.requests...), nil
}

func (b *chromiumTab) ConsoleErrors() ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...), nil
}
