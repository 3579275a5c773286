package browsertest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// bidiConn is a minimal W3C WebDriver BiDi client: commands with ids over
// one WebSocket, and events handed to a callback. No Go client of the
// protocol is served by the module proxy; see README.
type bidiConn struct {
	ws      *websocket.Conn
	nextID  atomic.Int64
	mu      sync.Mutex
	pending map[int64]chan bidiMessage
	onEvent func(method string, params json.RawMessage)
	done    chan struct{}
	err     error
}

type bidiMessage struct {
	Type    string          `json:"type"`
	ID      int64           `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

func dialBiDi(ctx context.Context, url string, onEvent func(string, json.RawMessage)) (*bidiConn, error) {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(64 << 20)
	c := &bidiConn{ws: ws, pending: map[int64]chan bidiMessage{}, onEvent: onEvent, done: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *bidiConn) read() {
	defer close(c.done)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		var m bidiMessage
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		if m.Type == "event" {
			if c.onEvent != nil {
				c.onEvent(m.Method, m.Params)
			}
			continue
		}
		c.mu.Lock()
		ch := c.pending[m.ID]
		delete(c.pending, m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// call sends one command and decodes its result into out (may be nil).
func (c *bidiConn) call(ctx context.Context, method string, params, out any) error {
	id := c.nextID.Add(1)
	ch := make(chan bidiMessage, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return fmt.Errorf("browsertest: bidi %s: connection closed: %w", method, c.err)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	data, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return err
	}
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		return fmt.Errorf("browsertest: bidi %s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Type == "error" {
			return fmt.Errorf("browsertest: bidi %s: %s: %s", method, m.Error, m.Message)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-c.done:
		return fmt.Errorf("browsertest: bidi %s: connection closed: %v", method, c.err)
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return fmt.Errorf("browsertest: bidi %s: %w", method, ctx.Err())
	}
}

// firefoxPrefs keep a fresh profile from reaching for the network (closed
// here) and from first-run work; WebDriver BiDi adds its own recommended
// automation prefs on top.
const firefoxPrefs = `user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.startup.page", 0);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("app.update.disabledForTesting", true);
user_pref("app.normandy.enabled", false);
user_pref("browser.safebrowsing.update.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("services.settings.server", "");
user_pref("network.dns.disablePrefetch", true);
user_pref("network.prefetch-next", false);
user_pref("browser.sessionstore.resume_from_crash", false);
`

// firefox is one headless Firefox ESR for the test binary, driven over its
// built-in WebDriver BiDi endpoint (no geckodriver).
type firefox struct {
	cmd  *exec.Cmd
	dir  string
	conn *bidiConn

	mu   sync.Mutex
	tabs map[string]*firefoxTab // by browsing context id
}

func startFirefox() (driver, error) {
	path, err := lookPath("Firefox", "firefox-esr", "firefox")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "covet-firefox-")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(dir+"/user.js", []byte(firefoxPrefs), 0o644); err != nil {
		return nil, err
	}
	// Port 0: Firefox picks a free port and prints it.
	cmd := exec.Command(path, "--headless", "--no-remote", "--remote-debugging-port=0", "--profile", dir, "about:blank")
	cmd.SysProcAttr = childAttr()
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := startProcess(cmd); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w: %s: %v", errStart, path, err)
	}
	f := &firefox{cmd: cmd, dir: dir, tabs: map[string]*firefoxTab{}}
	addr := make(chan string, 1)
	var tail tailBuffer
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			tail.add(line)
			if i := strings.Index(line, "WebDriver BiDi listening on "); i >= 0 && !sent {
				addr <- strings.TrimSpace(line[i+len("WebDriver BiDi listening on "):])
				sent = true
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var ws string
	select {
	case ws = <-addr:
	case <-ctx.Done():
		f.shutdown()
		return nil, fmt.Errorf("%w: %s printed no WebDriver BiDi address in %v: %s", errStart, path, startTimeout, tail.String())
	}
	f.conn, err = dialBiDi(ctx, ws+"/session", f.event)
	if err == nil {
		err = f.conn.call(ctx, "session.new", map[string]any{"capabilities": map[string]any{}}, nil)
	}
	if err == nil {
		err = f.conn.call(ctx, "session.subscribe", map[string]any{"events": []string{
			"log.entryAdded", "network.beforeRequestSent", "network.fetchError",
		}}, nil)
	}
	if err != nil {
		f.shutdown()
		return nil, fmt.Errorf("%w: %s: %v", errStart, path, err)
	}
	return f, nil
}

func (f *firefox) shutdown() {
	if f.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		f.conn.call(ctx, "browser.close", map[string]any{}, nil)
		cancel()
		f.conn.ws.Close(websocket.StatusNormalClosure, "")
	}
	done := make(chan struct{})
	go func() { f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		f.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(f.dir)
}

// event routes a BiDi event to the tab whose browsing context it names.
func (f *firefox) event(method string, params json.RawMessage) {
	var p struct {
		Context string `json:"context"`
		Source  struct {
			Context string `json:"context"`
		} `json:"source"`
		Level     string `json:"level"`
		Text      string `json:"text"`
		ErrorText string `json:"errorText"`
		Request   struct {
			Request string `json:"request"`
			URL     string `json:"url"`
		} `json:"request"`
	}
	if json.Unmarshal(params, &p) != nil {
		return
	}
	ctxID := p.Context
	if ctxID == "" {
		ctxID = p.Source.Context
	}
	f.mu.Lock()
	b := f.tabs[ctxID]
	f.mu.Unlock()
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch method {
	case "network.beforeRequestSent":
		if b.index == nil {
			b.index = map[string]int{}
		}
		if _, seen := b.index[p.Request.Request]; !seen { // a redirect reuses the id
			b.index[p.Request.Request] = len(b.requests)
			b.requests = append(b.requests, Request{URL: p.Request.URL})
		}
	case "network.fetchError":
		if i, ok := b.index[p.Request.Request]; ok {
			b.requests[i].Failed = p.ErrorText
		}
	case "log.entryAdded":
		if p.Level == "error" {
			b.errors = append(b.errors, p.Text)
		}
	}
}

func (f *firefox) newTab(ctx context.Context, t testing.TB) (tab, error) {
	// A user context per tab: no cookies or storage shared between tests.
	var uc struct {
		UserContext string `json:"userContext"`
	}
	if err := f.conn.call(ctx, "browser.createUserContext", map[string]any{}, &uc); err != nil {
		return nil, err
	}
	var bc struct {
		Context string `json:"context"`
	}
	if err := f.conn.call(ctx, "browsingContext.create", map[string]any{"type": "tab", "userContext": uc.UserContext}, &bc); err != nil {
		return nil, err
	}
	b := &firefoxTab{f: f, ctx: ctx, id: bc.Context, userContext: uc.UserContext}
	f.mu.Lock()
	f.tabs[bc.Context] = b
	f.mu.Unlock()
	return b, nil
}

// firefoxTab is one browsing context in its own user context.
type firefoxTab struct {
	f           *firefox
	ctx         context.Context
	id          string
	userContext string

	mu       sync.Mutex
	requests []Request
	index    map[string]int
	errors   []string
}

func (b *firefoxTab) Engine() Engine { return Firefox }

func (b *firefoxTab) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.f.conn.call(ctx, "browsingContext.close", map[string]any{"context": b.id}, nil)
	b.f.conn.call(ctx, "browser.removeUserContext", map[string]any{"userContext": b.userContext}, nil)
	b.f.mu.Lock()
	delete(b.f.tabs, b.id)
	b.f.mu.Unlock()
}

func (b *firefoxTab) Open(url string) error {
	b.mu.Lock()
	b.requests, b.index, b.errors = nil, nil, nil
	b.mu.Unlock()
	return b.f.conn.call(b.ctx, "browsingContext.navigate", map[string]any{"context": b.id, "url": url, "wait": "complete"}, nil)
}

// bidiEval is the result of script.evaluate and script.callFunction.
type bidiEval struct {
	Type   string `json:"type"`
	Result struct {
		Type     string          `json:"type"`
		Value    json.RawMessage `json:"value"`
		SharedID string          `json:"sharedId"`
	} `json:"result"`
	ExceptionDetails struct {
		Text string `json:"text"`
	} `json:"exceptionDetails"`
}

func (b *firefoxTab) evaluate(js string, ownership string) (bidiEval, error) {
	var r bidiEval
	err := b.f.conn.call(b.ctx, "script.evaluate", map[string]any{
		"expression": js, "target": map[string]any{"context": b.id},
		"awaitPromise": true, "resultOwnership": ownership,
	}, &r)
	if err == nil && r.Type == "exception" {
		err = fmt.Errorf("browsertest: firefox: script threw: %s", r.ExceptionDetails.Text)
	}
	return r, err
}

func (b *firefoxTab) Eval(js string, out any) error {
	r, err := b.evaluate(evalWrapper(js), "none")
	if err != nil {
		return err
	}
	var raw string
	if err := json.Unmarshal(r.Result.Value, &raw); err != nil {
		return fmt.Errorf("browsertest: firefox: script value %s: %w", r.Result.Value, err)
	}
	return decode(raw, out)
}

// element scrolls the first match of selector into view and returns its
// shared id for input actions.
func (b *firefoxTab) element(selector string) (string, error) {
	r, err := b.evaluate(`(() => { const el = document.querySelector(`+jsString(selector)+`);
  if (!el) throw new Error("no element matches " + `+jsString(selector)+`);
  el.scrollIntoView({block: "center", inline: "center"}); return el; })()`, "root")
	if err != nil {
		return "", err
	}
	if r.Result.SharedID == "" {
		return "", errors.New("browsertest: firefox: the element has no shared id")
	}
	return r.Result.SharedID, nil
}

func (b *firefoxTab) Click(selector string) error {
	id, err := b.element(selector)
	if err != nil {
		return err
	}
	return b.f.conn.call(b.ctx, "input.performActions", map[string]any{"context": b.id, "actions": []any{
		map[string]any{"type": "pointer", "id": "mouse", "parameters": map[string]any{"pointerType": "mouse"}, "actions": []any{
			map[string]any{"type": "pointerMove", "x": 0, "y": 0, "origin": map[string]any{"type": "element", "element": map[string]any{"sharedId": id}}},
			map[string]any{"type": "pointerDown", "button": 0},
			map[string]any{"type": "pointerUp", "button": 0},
		}},
	}}, nil)
}

func (b *firefoxTab) Fill(selector, value string) error {
	if err := b.Click(selector); err != nil {
		return err
	}
	if _, err := b.evaluate(`(() => { const el = document.querySelector(`+jsString(selector)+`); el.focus(); el.value = ""; })()`, "none"); err != nil {
		return err
	}
	var keys []any
	for _, r := range value {
		keys = append(keys, map[string]any{"type": "keyDown", "value": string(r)}, map[string]any{"type": "keyUp", "value": string(r)})
	}
	return b.f.conn.call(b.ctx, "input.performActions", map[string]any{"context": b.id, "actions": []any{
		map[string]any{"type": "key", "id": "keyboard", "actions": keys},
	}}, nil)
}

func (b *firefoxTab) Requests() ([]Request, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.requests...), nil
}

func (b *firefoxTab) ConsoleErrors() ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...), nil
}

// tailBuffer keeps the last lines a browser printed, for error messages.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (t *tailBuffer) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 20 {
		t.lines = t.lines[1:]
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
