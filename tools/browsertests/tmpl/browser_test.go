package tmpl_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/tmpl"
	"github.com/covetgo/covet/tools/browsertest"
)

type boardView struct {
	Tasks []string
	Form  *tmpl.Form
}

// testCSRF is a double-submit token check shaped like plugins/auth's
// (cookie + hidden field, 403 when they differ), so this module needs no
// import of the auth plugin; contrib/examples runs the real one.
type testCSRF struct {
	mu      sync.Mutex
	refused int
}

func (x *testCSRF) token(c *covet.Context) string {
	if v, ok := c.Cookie("csrf"); ok {
		return v
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	v := hex.EncodeToString(b[:])
	c.SetCookie("csrf", v)
	return v
}

func (x *testCSRF) check(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		if c.Request().Method == http.MethodPost {
			ck, ok := c.Cookie("csrf")
			// As auth's check does: PostFormValue consumes the body;
			// tmpl.Bind binds from the parsed form then.
			if !ok || ck == "" || c.Request().PostFormValue("csrf_token") != ck {
				x.mu.Lock()
				x.refused++
				x.mu.Unlock()
				return covet.NewError(http.StatusForbidden, "cross-site request refused")
			}
		}
		return next(c)
	}
}

// TestBrowserHTMX drives the page in headless Chromium: a click swaps a
// fragment in without a reload, an invalid form comes back (422) with its
// error and value, a valid one goes through, and a form without its CSRF
// token is refused and changes nothing on the page. No console error, no
// request off the app's origin.
func TestBrowserHTMX(t *testing.T) {
	ctx := browsertest.New(t, 60*time.Second)
	b := newBoard(t)
	csrf, srv := b.csrf, b.srv

	var evMu sync.Mutex
	var consoleErrors, offOrigin []string
	requests := 0
	if err := chromedp.Listen(ctx, func(ev any) {
		evMu.Lock()
		defer evMu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if string(ev.Type) == "error" {
				consoleErrors = append(consoleErrors, "console.error")
			}
		case *runtime.EventExceptionThrown:
			consoleErrors = append(consoleErrors, ev.ExceptionDetails.Text)
		case *network.EventRequestWillBeSent:
			requests++
			if !strings.HasPrefix(ev.Request.URL, srv.URL) && !strings.HasPrefix(ev.Request.URL, "about:") {
				offOrigin = append(offOrigin, ev.Request.URL)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}

	poll := func(js string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](js)(ctx, tg)
			return chromedp.Void{}, err
		}
	}
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	step("load", chromedp.Navigate(srv.URL+"/"), poll(`typeof htmx === "object"`))
	eval(`window.marker = "same page"; "ok"`)

	// A click swaps the list fragment in; the page is not reloaded.
	step("refresh", chromedp.Click(chromedp.CSS("#refresh")),
		poll(`document.querySelectorAll("#list li").length === 2`))
	if got := eval(`window.marker + "|" + document.querySelector("#list").textContent`); got != "same page|firstrefreshed" {
		t.Fatalf("after refresh: %q", got)
	}

	// An invalid form is swapped back with its error and value (422).
	step("invalid", chromedp.SetValue(chromedp.CSS("#title"), "ab"), chromedp.Click(chromedp.CSS("#create")),
		chromedp.WaitVisible(chromedp.CSS("#title-error")))
	if got := eval(`document.querySelector("#title").value + "|" + window.marker`); got != "ab|same page" {
		t.Fatalf("after invalid post: %q", got)
	}

	// Let htmx finish settling the swapped form (and bind its hx-post)
	// before using it: a click during the settle submitted the form natively
	// on a loaded machine, navigating away from the page.
	step("settled", poll(`document.querySelector(".htmx-settling, .htmx-swapping, .htmx-added, .htmx-request") === null`))

	// A form without its CSRF token is refused (403) and nothing is swapped.
	eval(`document.querySelector("#task-form input[name=csrf_token]").remove(); "ok"`)
	step("csrf", chromedp.SetValue(chromedp.CSS("#title"), "forged task"), chromedp.Click(chromedp.CSS("#create")),
		poll(`document.querySelector("#title-error") !== null`))
	deadline := time.Now().Add(10 * time.Second)
	for {
		csrf.mu.Lock()
		n := csrf.refused
		csrf.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the forged post was not refused (%d refusals)", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The refusal reached the server; wait until htmx has handled the
	// answer (the form loses its htmx-request class) before looking.
	step("csrf answered", poll(`document.querySelector("#task-form.htmx-request") === null`))
	if got := eval(`location.pathname + "|" + window.marker`); got != "/|same page" {
		t.Fatalf("the refused post navigated away: %q", got)
	}
	if got := eval(`document.querySelector("#title-error").textContent`); !strings.Contains(got, "at least 3") {
		t.Fatalf("the refused post changed the form: %q", got)
	}

	// With the token back (a fresh form), a valid post goes through: htmx
	// follows HX-Location and shows the new task.
	step("reload", chromedp.Navigate(srv.URL+"/"), poll(`typeof htmx === "object"`))
	step("valid", chromedp.SetValue(chromedp.CSS("#title"), "write the docs"), chromedp.Click(chromedp.CSS("#create")),
		poll(`document.querySelector("#list").textContent.includes("write the docs")`))
	if b.stored("forged task") {
		t.Error("the forged task was stored")
	}

	evMu.Lock()
	defer evMu.Unlock()
	// htmx logs the refused post (403) with console.error; nothing else may
	// (the 422 is swapped in, as htmxConfig allows).
	if len(consoleErrors) > 1 {
		t.Errorf("console errors: %v", consoleErrors)
	}
	t.Logf("%d requests seen, console errors: %v", requests, consoleErrors)
	if requests < 5 {
		t.Errorf("only %d requests seen: the network listener is not working", requests)
	}
	if len(offOrigin) > 0 {
		t.Errorf("requests off the app's origin: %v", offOrigin)
	}
}

// board is the test page's app: a task list with an htmx refresh and a
// create form, CSRF-checked.
type board struct {
	csrf  *testCSRF
	srv   *httptest.Server
	mu    sync.Mutex
	tasks []string
}

func (b *board) stored(title string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Contains(b.tasks, title)
}

func newBoard(t *testing.T) *board {
	t.Helper()
	bd := &board{csrf: &testCSRF{}, tasks: []string{"first"}}
	csrf, mu, tasks := bd.csrf, &bd.mu, &bd.tasks
	app := covet.New()
	if err := app.Install(tmpl.New(os.DirFS("testdata/browser"), tmpl.WithCSRF(csrf.token, ""))); err != nil {
		t.Fatal(err)
	}
	app.Use(csrf.check)
	view := func() boardView {
		mu.Lock()
		defer mu.Unlock()
		return boardView{Tasks: slices.Clone(*tasks)}
	}
	app.GET("/", func(c *covet.Context) error { return tmpl.Render(c, 200, "board", view()) })
	app.GET("/list", func(c *covet.Context) error {
		mu.Lock()
		*tasks = append(*tasks, "refreshed")
		mu.Unlock()
		return tmpl.RenderHX(c, 200, "board", "list", view())
	})
	app.POST("/tasks", func(c *covet.Context) error {
		var in struct {
			Title string `form:"title" minLength:"3"`
		}
		form, err := tmpl.Bind(c, &in)
		if err != nil {
			return err
		}
		if !form.Valid() {
			v := view()
			v.Form = form
			return tmpl.RenderHX(c, http.StatusUnprocessableEntity, "board", "form", v)
		}
		mu.Lock()
		*tasks = append(*tasks, in.Title)
		mu.Unlock()
		return tmpl.SeeOther(c, "/")
	})
	bd.srv = httptest.NewServer(app)
	t.Cleanup(bd.srv.Close)
	return bd
}
