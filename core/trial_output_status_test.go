package covet_test

import (
	"strconv"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type trialStatusOut struct {
	Status int
	Body   map[string]int
}

type trialCoderOut struct {
	N int `json:"n"`
}

func (o *trialCoderOut) StatusCode() int { return o.N }

// A typed output's Status field or StatusCode method could set any status:
// 5, 99 or 1000 made net/http panic after the status counted as sent, so
// the connection was cut with no answer at all; 103 went out as an interim
// response before a 200; 101, 204 and 304 with a body failed while writing
// it, cutting the connection too. A status outside 200-599 is now a 500
// problem (a programming error, logged); 204 and 304 are sent without the
// body they cannot carry.
func TestTypedOutputStatusOutOfRange(t *testing.T) {
	app := covet.New()
	covet.Get(app, "/field/{n}", func(c *covet.Context, in *struct {
		N int `path:"n"`
	}) (*trialStatusOut, error) {
		return &trialStatusOut{Status: in.N, Body: map[string]int{"a": 1}}, nil
	})
	covet.Get(app, "/coder/{n}", func(c *covet.Context, in *struct {
		N int `path:"n"`
	}) (*trialCoderOut, error) {
		return &trialCoderOut{N: in.N}, nil
	})
	cl := covettest.NewServer(t, app)
	for _, p := range []string{"/field/", "/coder/"} {
		for _, st := range []int{5, 99, 100, 101, 103, 199, 600, 1000} {
			res := cl.Get(p+strconv.Itoa(st)).Do().ExpectStatus(500).ExpectHeader("Content-Type", "application/problem+json")
			if pr := res.Problem(); pr.Status != 500 || pr.Detail != "" {
				t.Errorf("%s%d: problem %+v (nothing internal may leak)", p, st, pr)
			}
		}
		for _, st := range []int{204, 304} {
			cl.Get(p + strconv.Itoa(st)).Do().ExpectStatus(st).ExpectBody("")
		}
	}
	cl.Get("/field/201").Do().ExpectStatus(201).ExpectJSON(map[string]int{"a": 1})
	cl.Get("/field/0").Do().ExpectStatus(200).ExpectJSON(map[string]int{"a": 1})
	cl.Get("/coder/202").Do().ExpectStatus(202).ExpectJSON(map[string]int{"n": 202})
	cl.Get("/coder/418").Do().ExpectStatus(418).ExpectJSON(map[string]int{"n": 418})
}
