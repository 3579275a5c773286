package covet_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type trialHeadOut struct {
	Text string `json:"text"`
}

// HEAD on a typed GET route answered without Content-Length (net/http
// cannot count the body it drops), while plain handlers' c.JSON and c.Text
// sent GET's length. A typed HEAD carries the length of GET's body.
func TestTypedHeadHasContentLength(t *testing.T) {
	app := covet.New()
	covet.Get(app, "/t", func(c *covet.Context, in *struct {
		N int `query:"n"`
	}) (*trialHeadOut, error) {
		return &trialHeadOut{Text: strings.Repeat("x", in.N)}, nil
	})
	srv := covettest.NewServer(t, app)
	for _, n := range []int{3, 5000} {
		q := "/t?n=" + strconv.Itoa(n)
		want := strconv.Itoa(len(srv.Get(q).Do().ExpectStatus(200).Body))
		req, _ := http.NewRequest(http.MethodHead, srv.URL()+q, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Length") != want {
			t.Errorf("HEAD n=%d: %d, Content-Length %q, want %s", n, res.StatusCode, res.Header.Get("Content-Length"), want)
		}
	}
}
