package covet_test

import (
	"strconv"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// statusErr is an error whose StatusCode is whatever it was built with.
type statusErr int

func (s statusErr) Error() string   { return "status error" }
func (s statusErr) StatusCode() int { return int(s) }

// An error carrying a status that is not an error status was answered with
// it: status 0 made WriteHeader panic and an empty 200 went out, a 2xx
// problem told the client the request succeeded, a 1xx was sent as an
// interim response followed by an empty 200. All are 500 problems now; the
// error statuses are kept.
func TestErrorWithoutAnErrorStatusIs500(t *testing.T) {
	app := covet.New()
	for _, st := range []int{0, -1, 99, 100, 103, 200, 204, 302, 399, 600, 999, 1000} {
		app.GET("/e/"+strconv.Itoa(st), func(c *covet.Context) error { return covet.NewError(st, "bad status") })
		app.GET("/s/"+strconv.Itoa(st), func(c *covet.Context) error { return statusErr(st) })
	}
	for _, st := range []int{400, 404, 422, 499, 500, 503, 599} {
		app.GET("/e/"+strconv.Itoa(st), func(c *covet.Context) error { return covet.NewError(st, "ok status") })
	}
	srv := covettest.NewServer(t, app)
	for _, st := range []int{0, -1, 99, 100, 103, 200, 204, 302, 399, 600, 999, 1000} {
		for _, p := range []string{"/e/", "/s/"} {
			res := srv.Get(p+strconv.Itoa(st)).Do().ExpectStatus(500).ExpectHeader("Content-Type", "application/problem+json")
			if pr := res.Problem(); pr.Status != 500 || pr.Title != "Internal Server Error" {
				t.Errorf("%s%d: problem %+v", p, st, pr)
			}
		}
	}
	for _, st := range []int{400, 404, 422, 499, 500, 503, 599} {
		if pr := srv.Get("/e/" + strconv.Itoa(st)).Do().ExpectStatus(st).Problem(); pr.Status != st || pr.Detail != "ok status" {
			t.Errorf("%d: problem %+v", st, pr)
		}
	}
}
