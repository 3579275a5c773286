package tmpl

import (
	"encoding/json"
	"net/http"

	covet "github.com/covetgo/covet/core"
)

// HXRequest is what an htmx request says about itself in its headers.
type HXRequest struct {
	// Request is true for a request htmx made (HX-Request: true).
	Request bool
	// Boosted is true for a request of a boosted link or form
	// (HX-Boosted): it expects a whole page.
	Boosted bool
	// Target is the id of the target element (HX-Target).
	Target string
	// Trigger is the id of the element that triggered the request
	// (HX-Trigger), TriggerName its name (HX-Trigger-Name).
	Trigger, TriggerName string
	// CurrentURL is the browser's URL (HX-Current-URL).
	CurrentURL string
	// HistoryRestore is true for a history restoration after a cache miss
	// (HX-History-Restore-Request): it expects a whole page.
	HistoryRestore bool
}

// Partial reports whether the request wants a fragment: an htmx request
// that is not boosted and not a history restoration.
func (h HXRequest) Partial() bool { return h.Request && !h.Boosted && !h.HistoryRestore }

// HX returns the request's htmx headers.
func HX(c *covet.Context) HXRequest {
	r := c.Request()
	if r.Header.Get("HX-Request") != "true" {
		return HXRequest{}
	}
	return HXRequest{
		Request:        true,
		Boosted:        r.Header.Get("HX-Boosted") == "true",
		Target:         r.Header.Get("HX-Target"),
		Trigger:        r.Header.Get("HX-Trigger"),
		TriggerName:    r.Header.Get("HX-Trigger-Name"),
		CurrentURL:     r.Header.Get("HX-Current-URL"),
		HistoryRestore: r.Header.Get("HX-History-Restore-Request") == "true",
	}
}

// IsHX reports whether htmx made the request.
func IsHX(c *covet.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// varyHX lists the request headers a RenderHX answer depends on: a
// boosted or history-restore request carries HX-Request too but gets the
// page, so a cache keyed on HX-Request alone could answer a back-button
// restore with a cached fragment (a page without its layout).
var varyHX = "HX-Request, HX-Boosted, HX-History-Restore-Request"

// RenderHX renders the block of the page for an htmx request that wants a
// fragment (HXRequest.Partial), and the whole page otherwise; the answer
// carries Vary: HX-Request, HX-Boosted, HX-History-Restore-Request so a
// cache keeps each. A validation failure
// rendered with status 422 swaps in only if the page lets htmx swap 422
// answers (the htmxConfig partial of README does).
func RenderHX(c *covet.Context, status int, name, block string, data any) error {
	e := Of(c)
	if e == nil {
		return errNotInstalled
	}
	return e.RenderHX(c, status, name, block, data)
}

// RenderHX renders a block or the page; see the package function RenderHX.
func (e *Engine) RenderHX(c *covet.Context, status int, name, block string, data any) error {
	c.Response().Header().Add("Vary", varyHX)
	if HX(c).Partial() {
		return e.RenderBlock(c, status, name, block, data)
	}
	return e.Render(c, status, name, data)
}

// HXTrigger sets HX-Trigger: htmx fires event on the target element when
// the answer arrives. detail, when not nil, is the event's detail (JSON).
func HXTrigger(c *covet.Context, event string, detail any) error {
	return setTrigger(c, "HX-Trigger", event, detail)
}

// HXTriggerAfterSwap is HXTrigger fired after the swap (HX-Trigger-After-Swap).
func HXTriggerAfterSwap(c *covet.Context, event string, detail any) error {
	return setTrigger(c, "HX-Trigger-After-Swap", event, detail)
}

func setTrigger(c *covet.Context, header, event string, detail any) error {
	h := c.Response().Header()
	if detail == nil && h.Get(header) == "" {
		h.Set(header, event)
		return nil
	}
	m := map[string]any{}
	if prev := h.Get(header); prev != "" {
		if json.Unmarshal([]byte(prev), &m) != nil {
			m = map[string]any{prev: nil}
		}
	}
	m[event] = detail
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	h.Set(header, string(b))
	return nil
}

// HXRedirect sets HX-Redirect: htmx loads url as a full page.
func HXRedirect(c *covet.Context, url string) { c.Response().Header().Set("HX-Redirect", url) }

// HXLocation sets HX-Location: htmx loads url without a full reload, as a
// boosted link would.
func HXLocation(c *covet.Context, url string) { c.Response().Header().Set("HX-Location", url) }

// HXPushURL sets HX-Push-Url: the browser's location bar shows url and it
// enters the history.
func HXPushURL(c *covet.Context, url string) { c.Response().Header().Set("HX-Push-Url", url) }

// HXReplaceURL sets HX-Replace-Url: the location bar shows url, without a
// history entry.
func HXReplaceURL(c *covet.Context, url string) { c.Response().Header().Set("HX-Replace-Url", url) }

// HXRetarget sets HX-Retarget: the answer replaces the element the CSS
// selector names instead of the request's target.
func HXRetarget(c *covet.Context, selector string) {
	c.Response().Header().Set("HX-Retarget", selector)
}

// HXReswap sets HX-Reswap: how the answer is swapped ("outerHTML",
// "beforeend", ...).
func HXReswap(c *covet.Context, swap string) { c.Response().Header().Set("HX-Reswap", swap) }

// HXRefresh sets HX-Refresh: the browser reloads the page.
func HXRefresh(c *covet.Context) { c.Response().Header().Set("HX-Refresh", "true") }

// SeeOther ends a successful form post the Post/Redirect/Get way: a 303 to
// url for a browser, and for an htmx request an HX-Location (htmx follows
// it without a full reload) with 204.
func SeeOther(c *covet.Context, url string) error {
	if IsHX(c) && !HX(c).Boosted {
		HXLocation(c, url)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// SeeOtherRoute is SeeOther to a named route (App.URL).
func SeeOtherRoute(c *covet.Context, name string, pairs ...any) error {
	u, err := c.App().URL(name, pairs...)
	if err != nil {
		return err
	}
	return SeeOther(c, u)
}
