package covet_test

import (
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type trialArrays struct {
	Point [2]float64           `json:"point"`
	Path  [][2]int             `json:"path,omitempty"`
	Grid  [2][2]int            `json:"grid,omitempty"`
	Named map[string][3]string `json:"named,omitempty"`
	Spot  *[2]int              `json:"spot,omitempty"`
}

// A Go array field took a JSON array of any length, as encoding/json does:
// extra items were dropped and missing ones zero-filled, so [1,2,3] for a
// [2]float64 was a 200 holding [1,2], though the published schema says
// minItems = maxItems = 2. Every such array is a 422 at its pointer.
func TestArrayLengthFollowsTheSchema(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/a", func(c *covet.Context, in *trialArrays) (*trialArrays, error) { return in, nil })
	cl := covettest.New(t, app)
	for _, tc := range []struct{ body, pointer, msg string }{
		{`{"point":[1,2,3]}`, "/point", "must have exactly 2 items"},
		{`{"point":[1]}`, "/point", "must have exactly 2 items"},
		{`{"point":[]}`, "/point", "must have exactly 2 items"},
		{`{"point":[1,2],"path":[[1,2],[3]]}`, "/path/1", "must have exactly 2 items"},
		{`{"point":[1,2],"grid":[[1,2],[3,4,5]]}`, "/grid/1", "must have exactly 2 items"},
		{`{"point":[1,2],"grid":[[1,2]]}`, "/grid", "must have exactly 2 items"},
		{`{"point":[1,2],"named":{"a":["x","y"]}}`, "/named/a", "must have exactly 3 items"},
		{`{"point":[1,2],"spot":[1,2,3]}`, "/spot", "must have exactly 2 items"},
	} {
		p := cl.Post("/a").RawJSON(tc.body).Do().ExpectStatus(422).Problem()
		if len(p.Errors) != 1 || p.Errors[0].Pointer != tc.pointer || p.Errors[0].Message != tc.msg {
			t.Errorf("%s: errors %+v, want one at %s", tc.body, p.Errors, tc.pointer)
		}
	}
	cl.Post("/a").RawJSON(`{"point":[1,2],"path":[[1,2]],"grid":[[1,2],[3,4]],"named":{"a":["x","y","z"]},"spot":[5,6]}`).Do().
		ExpectStatus(200).
		ExpectJSON(map[string]any{"point": []any{1, 2}, "path": []any{[]any{1, 2}}, "grid": []any{[]any{1, 2}, []any{3, 4}},
			"named": map[string]any{"a": []any{"x", "y", "z"}}, "spot": []any{5, 6}})
}
