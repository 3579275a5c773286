package tmpl_test

import (
	"strings"
	"testing"
	"time"

	"github.com/covetgo/covet/tools/browsertest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// TestBrowserHTMXEngines runs TestBrowserHTMX's walk through the page in
// Firefox ESR (WebDriver BiDi) and WebKitGTK (WebDriver) through
// browsertest's engine-neutral API (Chromium runs TestBrowserHTMX): the
// htmx swap without a reload, the 422 form with its error and value, the
// post without its CSRF token refused (403) with nothing changed, the valid
// post, no request off the app's origin and no console error but htmx's
// report of the 403. (In the default run since 2026-12-06: both engines
// started in 1–7 s and the walk took 4–7 s per engine.)
func TestBrowserHTMXEngines(t *testing.T) {
	browsertest.Run(t, func(t *testing.T, br browsertest.Browser) {
		bd := newBoard(t)
		eval := func(js string) string {
			t.Helper()
			var s string
			if err := br.Eval(js, &s); err != nil {
				t.Fatalf("%s: %v", js, err)
			}
			return s
		}
		poll := func(what, js string) {
			t.Helper()
			deadline := time.Now().Add(45 * time.Second)
			for {
				var ok bool
				if err := br.Eval(js, &ok); err == nil && ok {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: %s stayed false", what, js)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		do := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		settled := `document.querySelector(".htmx-settling, .htmx-swapping, .htmx-added, .htmx-request") === null`

		do("open", br.Open(bd.srv.URL+"/"))
		poll("load", `typeof htmx === "object"`)
		eval(`(window.marker = "same page")`)

		do("refresh", br.Click("#refresh"))
		poll("refresh", `document.querySelectorAll("#list li").length === 2`)
		if got := eval(`window.marker + "|" + document.querySelector("#list").textContent`); got != "same page|firstrefreshed" {
			t.Fatalf("after refresh: %q", got)
		}

		poll("settled", settled)
		do("fill", br.Fill("#title", "ab"))
		do("create", br.Click("#create"))
		poll("invalid", `document.querySelector("#title-error") !== null`)
		if got := eval(`document.querySelector("#title").value + "|" + window.marker`); got != "ab|same page" {
			t.Fatalf("after invalid post: %q", got)
		}

		poll("settled", settled)
		eval(`(document.querySelector("#task-form input[name=csrf_token]").remove(), "ok")`)
		do("fill", br.Fill("#title", "forged task"))
		do("create", br.Click("#create"))
		deadline := time.Now().Add(45 * time.Second)
		for {
			bd.csrf.mu.Lock()
			n := bd.csrf.refused
			bd.csrf.mu.Unlock()
			if n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the forged post was not refused (%d refusals)", n)
			}
			time.Sleep(50 * time.Millisecond)
		}
		poll("csrf answered", `document.querySelector("#task-form.htmx-request") === null`)
		if got := eval(`location.pathname + "|" + window.marker`); got != "/|same page" {
			t.Fatalf("the refused post navigated away: %q", got)
		}
		if got := eval(`document.querySelector("#title-error").textContent`); !strings.Contains(got, "at least 3") {
			t.Fatalf("the refused post changed the form: %q", got)
		}
		if bd.stored("forged task") {
			t.Error("the forged task was stored")
		}
		errs, err := br.ConsoleErrors()
		do("console errors", err)
		var other []string
		for _, e := range errs {
			if !strings.Contains(e, "403") && !strings.Contains(e, "htmx:responseError") && !strings.Contains(e, "Response Status Error") {
				other = append(other, e)
			}
		}
		if len(other) > 0 {
			t.Errorf("console errors: %v", errs)
		}
		t.Logf("console errors (the 403 is htmx's report): %v", errs)

		do("reload", br.Open(bd.srv.URL+"/"))
		poll("load", `typeof htmx === "object"`)
		do("fill", br.Fill("#title", "write the docs"))
		do("create", br.Click("#create"))
		poll("valid", `document.querySelector("#list").textContent.includes("write the docs")`)
		if !bd.stored("write the docs") {
			t.Error("the valid task was not stored")
		}
		reqs, err := br.Requests()
		do("requests", err)
		if len(reqs) == 0 {
			t.Error("no requests seen")
		}
		for _, r := range reqs {
			if !strings.HasPrefix(r.URL, bd.srv.URL) && !strings.HasPrefix(r.URL, "about:") && !strings.HasPrefix(r.URL, "data:") {
				t.Errorf("request off the app's origin: %s", r.URL)
			}
		}
		errs, err = br.ConsoleErrors()
		do("console errors", err)
		if len(errs) > 0 {
			t.Errorf("console errors after the valid post: %v", errs)
		}
	}, browsertest.WithEngines(browsertest.Firefox, browsertest.WebKit), browsertest.WithTimeout(3*time.Minute))
}
