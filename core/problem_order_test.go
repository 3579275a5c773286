package covet_test

import (
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// TestProblemExtensionsKeepMemberOrder: a problem with extensions lists
// the standard members in the order of every other problem, then the
// extensions by name (issue 12 §4: they came out sorted as a map).
func TestProblemExtensionsKeepMemberOrder(t *testing.T) {
	app := covet.New()
	app.GET("/plain", func(c *covet.Context) error {
		return covet.NewError(http.StatusConflict, "taken")
	})
	app.GET("/ext", func(c *covet.Context) error {
		return covet.NewError(http.StatusConflict, "taken").WithExtension("zeta", 1).WithExtension("alpha", []string{"a"}).
			WithExtension("title", "must not replace the title")
	})
	cl := covettest.New(t, app)
	plain := cl.Get("/plain").Do().ExpectStatus(http.StatusConflict).Text()
	ext := cl.Get("/ext").Do().ExpectStatus(http.StatusConflict).Text()
	wantPlain := `{"type":"about:blank","title":"Conflict","status":409,"detail":"taken","instance":"/plain"}`
	if plain != wantPlain && plain != wantPlain+"\n" {
		t.Fatalf("plain problem %s", plain)
	}
	wantExt := `{"type":"about:blank","title":"Conflict","status":409,"detail":"taken","instance":"/ext","alpha":["a"],"zeta":1}`
	if ext != wantExt && ext != wantExt+"\n" {
		t.Errorf("problem with extensions\n got  %s\n want %s", ext, wantExt)
	}
}
