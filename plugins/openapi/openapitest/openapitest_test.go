package openapitest_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
	"github.com/covetgo/covet/plugins/openapi/openapitest"
)

// recorder is a testing.TB that keeps the errors instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper()             {}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func (r *recorder) has(sub string) bool {
	for _, e := range r.errs {
		if strings.Contains(e, sub) {
			return true
		}
	}
	return false
}

type Item struct {
	Name  string  `json:"name" minLength:"2" maxLength:"10"`
	Email string  `json:"email" format:"email"`
	Qty   int     `json:"qty" minimum:"1" maximum:"9"`
	Note  *string `json:"note,omitempty"`
}

type ItemIn struct {
	Tag  string `query:"tag" pattern:"^[a-z]+$"`
	Body Item
}

// noteRequired requires the field the document calls optional.
type noteRequired struct {
	Body Item
}

func (n *noteRequired) Validate() error {
	if n.Body.Note == nil {
		return covet.FieldError{Location: "body", Field: "note", Pointer: "/note", Message: "required"}
	}
	return nil
}

func newApp() *covet.App {
	app := covet.New()
	covet.Post(app, "/items", func(c *covet.Context, in *ItemIn) (*Item, error) { return &in.Body, nil })
	return app
}

// TestAgreeingApp: an app whose document and validation agree passes.
func TestAgreeingApp(t *testing.T) {
	rec := &recorder{TB: t}
	rep := openapitest.CheckConstraints(rec, newApp())
	if len(rec.errs) > 0 || rep.Constraints < 10 || rep.TagChecks != 6 {
		t.Errorf("errors %v, report %+v", rec.errs, rep)
	}
	if n := openapitest.CheckCoverage(rec, newApp()); n != 1 || len(rec.errs) > 0 {
		t.Errorf("coverage %d %v", n, rec.errs)
	}
}

// TestValidationSkipped: when something answers before validation runs
// (here a middleware), every documented constraint is reported.
func TestValidationSkipped(t *testing.T) {
	app := covet.New()
	skip := func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error { return c.NoContent(http.StatusNoContent) }
	}
	covet.Post(app, "/items", func(c *covet.Context, in *ItemIn) (*Item, error) { return &in.Body, nil }, skip)
	rec := &recorder{TB: t}
	openapitest.CheckConstraints(rec, app)
	for _, want := range []string{"body /name: minLength", "body /name: maxLength", "body /email: format", "body /qty: minimum", "body /qty: maximum", "query tag: pattern", "body /name: required"} {
		if !rec.has(want) {
			t.Errorf("no error for %q in %v", want, rec.errs)
		}
	}
}

// TestOptionalFieldRequired: a Validate method that requires a field the
// document calls optional is reported.
func TestOptionalFieldRequired(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/items", func(c *covet.Context, in *noteRequired) (*Item, error) { return &in.Body, nil })
	rec := &recorder{TB: t}
	openapitest.CheckConstraints(rec, app)
	// The baseline sends every field, so it passes; leaving out note is a 422.
	if !rec.has("body /note: optional") {
		t.Errorf("errors %v", rec.errs)
	}
}

// TestBaselineRefused: a route that refuses every request is reported, and
// credentials can be added with WithRequest.
func TestBaselineRefused(t *testing.T) {
	app := covet.New()
	guard := func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			if c.Request().Header.Get("Authorization") != "Bearer ok" {
				return covet.NewError(http.StatusUnauthorized, "no")
			}
			return next(c)
		}
	}
	covet.Post(app, "/items", func(c *covet.Context, in *ItemIn) (*Item, error) { return &in.Body, nil }, guard)
	rec := &recorder{TB: t}
	openapitest.CheckConstraints(rec, app)
	if !rec.has("answered 401 before validation") {
		t.Errorf("errors %v", rec.errs)
	}
	rec = &recorder{TB: t}
	rep := openapitest.CheckConstraints(rec, app, openapitest.WithRequest(func(_ *covet.RouteInfo, r *http.Request) {
		r.Header.Set("Authorization", "Bearer ok")
	}))
	if len(rec.errs) > 0 || rep.Constraints == 0 {
		t.Errorf("with credentials: %v %+v", rec.errs, rep)
	}
}

// TestCoverageMissing: a route the document cannot hold is reported.
func TestCoverageMissing(t *testing.T) {
	app := newApp()
	app.Handle("PURGE", "/cache", func(c *covet.Context) error { return nil })
	rec := &recorder{TB: t}
	openapitest.CheckCoverage(rec, app)
	if !rec.has("route PURGE /cache") {
		t.Errorf("errors %v", rec.errs)
	}
	rec = &recorder{TB: t}
	openapitest.CheckCoverage(rec, app, openapitest.WithSkip(func(ri covet.RouteInfo) bool { return ri.Method == "PURGE" }))
	if len(rec.errs) > 0 {
		t.Errorf("skipped route still reported: %v", rec.errs)
	}
}

// TestDocumentError: a document that cannot be built fails the check.
func TestDocumentError(t *testing.T) {
	app := newApp()
	app.GET("/x", func(c *covet.Context) error { return nil }).Security("missing")
	rec := &recorder{TB: t}
	openapitest.CheckCoverage(rec, app, openapitest.WithDocument(openapi.WithInfo("x", "1")))
	if !rec.has(`security scheme "missing" is not registered`) {
		t.Errorf("errors %v", rec.errs)
	}
}
