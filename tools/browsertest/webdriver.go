package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// wdClient is a minimal client of classic W3C WebDriver (HTTP + JSON) for
// one session. No maintained Go client is served by the module proxy; see
// README.
type wdClient struct {
	base    string // http://127.0.0.1:PORT
	session string
	http    *http.Client
}

// wdError is an error response of the WebDriver protocol.
type wdError struct {
	Command string
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *wdError) Error() string {
	return fmt.Sprintf("browsertest: webdriver %s: %s: %s", e.Command, e.Code, e.Message)
}

// do sends one command; path is relative to the session unless it starts
// with "/". The response's value is decoded into out (may be nil).
func (c *wdClient) do(ctx context.Context, method, path string, body, out any) error {
	url := c.base + path
	if !strings.HasPrefix(path, "/") {
		url = c.base + "/session/" + c.session + "/" + path
	}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("browsertest: webdriver %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		return fmt.Errorf("browsertest: webdriver %s %s: status %d: %w", method, path, res.StatusCode, err)
	}
	if res.StatusCode != http.StatusOK {
		e := &wdError{Command: method + " " + path}
		json.Unmarshal(env.Value, e)
		return e
	}
	if out != nil {
		return json.Unmarshal(env.Value, out)
	}
	return nil
}

// webkit is one WebKitWebDriver session (its browser is MiniBrowser) on a
// private Xvfb display, for the test binary. Classic WebDriver commands go
// to the session's current window, so tabs take turns: one test at a time
// holds the engine.
type webkit struct {
	xvfb, driver *exec.Cmd
	wd           *wdClient
	first        string // the session's first window, kept open
	turn         sync.Mutex
}

func startWebKit() (driver, error) {
	wdPath, err := lookPath("WebKitWebDriver", "WebKitWebDriver")
	if err != nil {
		return nil, err
	}
	xvfbPath, err := lookPath("Xvfb", "Xvfb")
	if err != nil {
		return nil, err
	}
	w := &webkit{}
	var xtail tailBuffer
	// Xvfb picks a free display and writes its number to fd 3.
	r, wpipe, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	w.xvfb = exec.Command(xvfbPath, "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp")
	w.xvfb.ExtraFiles = []*os.File{wpipe}
	w.xvfb.SysProcAttr = childAttr()
	w.xvfb.Stderr = tailWriter{&xtail}
	if err := startProcess(w.xvfb); err != nil {
		r.Close()
		wpipe.Close()
		return nil, fmt.Errorf("%w: %s: %v", errStart, xvfbPath, err)
	}
	wpipe.Close()
	display := make(chan string, 1)
	go func() {
		// Read the whole line and keep the pipe open until Xvfb exits:
		// it may write the number and the newline apart, and a closed
		// pipe makes it die with "Cannot write display number to fd 3".
		line, _ := bufio.NewReader(r).ReadString('\n')
		display <- strings.TrimSpace(line)
		io.Copy(io.Discard, r)
		r.Close()
	}()
	var disp string
	select {
	case disp = <-display:
	case <-time.After(20 * time.Second):
	}
	if disp == "" {
		w.shutdown()
		return nil, fmt.Errorf("%w: Xvfb gave no display number", errStart)
	}
	// Under heavy load a new session has been seen to hang: each attempt
	// gets a fresh WebKitWebDriver and a bounded wait.
	var tail tailBuffer
	deadline := time.Now().Add(startTimeout)
	var sessionID string
	for attempt := 1; sessionID == ""; attempt++ {
		id, err := w.startDriver(wdPath, disp, &tail, time.Until(deadline)/time.Duration(4-min(attempt, 3)))
		if err == nil {
			sessionID = id
			break
		}
		if attempt == 3 || time.Now().After(deadline) {
			w.shutdown()
			return nil, fmt.Errorf("%w: %s: %v: %s\nXvfb: %s", errStart, wdPath, err, tail.String(), xtail.String())
		}
		w.driver.Process.Kill()
		w.driver.Wait()
		w.driver = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	w.wd.session = sessionID
	if err := w.wd.do(ctx, "GET", "window", nil, &w.first); err != nil {
		w.shutdown()
		return nil, fmt.Errorf("%w: %v", errStart, err)
	}
	return w, nil
}

// startDriver starts WebKitWebDriver on display disp and opens a session
// within d.
func (w *webkit) startDriver(path, disp string, tail *tailBuffer, d time.Duration) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	w.driver = exec.Command(path, "--port="+strconv.Itoa(port), "--host=127.0.0.1")
	w.driver.Env = append(os.Environ(), "DISPLAY=:"+disp, "NO_AT_BRIDGE=1", "GTK_A11Y=none")
	w.driver.SysProcAttr = childAttr()
	w.driver.Stdout = tailWriter{tail}
	w.driver.Stderr = tailWriter{tail}
	if err := startProcess(w.driver); err != nil {
		return "", err
	}
	w.wd = &wdClient{base: "http://127.0.0.1:" + strconv.Itoa(port), http: &http.Client{}}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		var st struct {
			Ready bool `json:"ready"`
		}
		if err := w.wd.do(ctx, "GET", "/status", nil, &st); err == nil && st.Ready {
			break
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("not ready in %v", d.Round(time.Second))
		case <-time.After(50 * time.Millisecond):
		}
	}
	var s struct {
		SessionID string `json:"sessionId"`
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"webkitgtk:browserOptions": map[string]any{"args": []string{"--automation"}},
	}}}
	if err := w.wd.do(ctx, "POST", "/session", caps, &s); err != nil {
		return "", fmt.Errorf("new session: %w", err)
	}
	return s.SessionID, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (w *webkit) shutdown() {
	if w.wd != nil && w.wd.session != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		w.wd.do(ctx, "DELETE", "/session/"+w.wd.session, nil, nil)
		cancel()
	}
	for _, cmd := range []*exec.Cmd{w.driver, w.xvfb} {
		if cmd != nil && cmd.Process != nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
}

func (w *webkit) newTab(ctx context.Context, t testing.TB) (tab, error) {
	w.turn.Lock()
	var win struct {
		Handle string `json:"handle"`
	}
	err := w.wd.do(ctx, "POST", "window/new", map[string]any{"type": "tab"}, &win)
	if err == nil {
		err = w.wd.do(ctx, "POST", "window", map[string]any{"handle": win.Handle}, nil)
	}
	if err == nil {
		ms := time.Minute.Milliseconds()
		if dl, ok := ctx.Deadline(); ok {
			ms = time.Until(dl).Milliseconds()
		}
		err = w.wd.do(ctx, "POST", "timeouts", map[string]any{"script": ms, "pageLoad": ms}, nil)
	}
	if err != nil {
		w.turn.Unlock()
		return nil, err
	}
	return &webkitTab{w: w, ctx: ctx, handle: win.Handle}, nil
}

// webkitTab is one window of the shared session.
type webkitTab struct {
	w      *webkit
	ctx    context.Context
	handle string
}

func (b *webkitTab) Engine() Engine { return WebKit }

func (b *webkitTab) close() {
	defer b.w.turn.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.w.wd.do(ctx, "DELETE", "cookie", nil, nil)
	b.w.wd.do(ctx, "DELETE", "window", nil, nil)
	b.w.wd.do(ctx, "POST", "window", map[string]any{"handle": b.w.first}, nil)
}

// errorProbe collects console.error calls and uncaught errors from the
// moment Open returns: classic WebDriver has no console channel and no way
// to run a script before the page's own.
const errorProbe = `(() => {
  if (window.__covetErrors) return;
  const errs = window.__covetErrors = [];
  const orig = console.error;
  console.error = function (...args) { errs.push(args.map(String).join(" ")); return orig.apply(this, args); };
  addEventListener("error", e => errs.push(e.message || String(e)));
  addEventListener("unhandledrejection", e => errs.push("Unhandled Promise Rejection: " + String(e.reason)));
})()`

func (b *webkitTab) Open(url string) error {
	if err := b.w.wd.do(b.ctx, "POST", "url", map[string]any{"url": url}, nil); err != nil {
		return err
	}
	return b.Eval(errorProbe, nil)
}

func (b *webkitTab) Eval(js string, out any) error {
	script := `const done = arguments[arguments.length - 1];
` + evalWrapper(js) + `.then(v => done({v: v}), e => done({e: String(e && e.stack ? e + "\n" + e.stack : e)}));`
	var r struct {
		V *string `json:"v"`
		E string  `json:"e"`
	}
	if err := b.w.wd.do(b.ctx, "POST", "execute/async", map[string]any{"script": script, "args": []any{}}, &r); err != nil {
		return err
	}
	if r.V == nil {
		return fmt.Errorf("browsertest: webkit: script threw: %s", r.E)
	}
	return decode(*r.V, out)
}

// elementKey is the W3C web element identifier.
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

func (b *webkitTab) element(selector string) (string, error) {
	var el map[string]string
	if err := b.w.wd.do(b.ctx, "POST", "element", map[string]any{"using": "css selector", "value": selector}, &el); err != nil {
		return "", err
	}
	return el[elementKey], nil
}

func (b *webkitTab) Click(selector string) error {
	id, err := b.element(selector)
	if err != nil {
		return err
	}
	return b.w.wd.do(b.ctx, "POST", "element/"+id+"/click", map[string]any{}, nil)
}

func (b *webkitTab) Fill(selector, value string) error {
	id, err := b.element(selector)
	if err != nil {
		return err
	}
	if err := b.w.wd.do(b.ctx, "POST", "element/"+id+"/clear", map[string]any{}, nil); err != nil {
		return err
	}
	return b.w.wd.do(b.ctx, "POST", "element/"+id+"/value", map[string]any{"text": value}, nil)
}

func (b *webkitTab) Requests() ([]Request, error) {
	var urls []string
	err := b.Eval(`performance.getEntries().filter(e => e.entryType === "navigation" || e.entryType === "resource").map(e => e.name)`, &urls)
	reqs := make([]Request, len(urls))
	for i, u := range urls {
		reqs[i] = Request{URL: u}
	}
	return reqs, err
}

func (b *webkitTab) ConsoleErrors() ([]string, error) {
	var errs []string
	err := b.Eval(`window.__covetErrors || []`, &errs)
	return errs, err
}

// tailWriter keeps a process's last output lines.
type tailWriter struct{ t *tailBuffer }

func (w tailWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.add(line)
	}
	return len(p), nil
}
