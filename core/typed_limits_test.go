package covet_test

import (
	"strconv"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type limitsIn struct {
	Names []string       `json:"names"`
	Meta  map[string]any `json:"meta,omitempty"`
	Price float64        `json:"price,omitempty"`
}

// TestHostileBodiesAreBounded: the bodies an attacker sends to a typed
// endpoint get a problem+json answer whose size does not grow with theirs
// — too large (413), too deep (400), many small wrong values or unknown
// keys (422 listing at most 100 failures and one saying more were left
// out) — and never a panic.
func TestHostileBodiesAreBounded(t *testing.T) {
	app := covet.New(covet.WithBodyLimit(1<<20), covet.WithDisallowUnknownFields(true))
	covet.Post(app, "/items", func(c *covet.Context, in *limitsIn) (*struct{ N int }, error) {
		return &struct{ N int }{len(in.Names)}, nil
	})
	cl := covettest.New(t, app)
	check := func(name, body string, status int) covet.Problem {
		t.Helper()
		r := cl.Post("/items").RawJSON(body).Do().ExpectStatus(status).ExpectHeader("Content-Type", "application/problem+json")
		if len(r.Body) > 16<<10 {
			t.Errorf("%s: a %d-byte body got a %d-byte answer", name, len(body), len(r.Body))
		}
		return r.Problem()
	}
	check("too large", `{"names":["`+strings.Repeat("x", 2<<20)+`"]}`, 413)
	check("too deep", `{"meta":{"a":`+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+`}}`, 400)
	p := check("many wrong values", `{"names":[`+strings.Repeat("1,", 400000)+`1]}`, 422)
	if len(p.Errors) != 101 || p.Errors[0].Pointer != "/names/0" || !strings.Contains(p.Errors[100].Message, "more failures") {
		t.Errorf("%d failures, first %+v, last %+v", len(p.Errors), p.Errors[0], p.Errors[len(p.Errors)-1])
	}
	var keys strings.Builder
	keys.WriteString(`{"names":[]`)
	for i := 0; i < 50000; i++ {
		keys.WriteString(`,"k` + strconv.Itoa(i) + `":0`)
	}
	keys.WriteString("}")
	if keys.Len() > 1<<20 {
		t.Fatalf("the key body is %d bytes, over the limit", keys.Len())
	}
	p = check("many unknown keys", keys.String(), 422)
	if len(p.Errors) != 101 {
		t.Errorf("%d failures", len(p.Errors))
	}
	check("many numbers", `{"names":[],"price":1`+strings.Repeat("0", 500000)+`}`, 422)
}
