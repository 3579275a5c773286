package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/covetgo/covet/tools/browsertest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

const page = `<!doctype html><html><body>
<p id="x">hi</p>
<input id="name" value="old">
<button id="go" onclick="document.getElementById('out').textContent = 'clicked ' + document.getElementById('name').value">go</button>
<p id="out"></p>
<script>document.getElementById('x').textContent = 'from js'</script>
</body></html>`

// TestEngines drives a page on every engine: JavaScript runs, a promise is
// awaited and its JSON value decoded, click and fill reach the page, and
// the page's requests (one served, one refused) and its console errors are
// reported.
func TestEngines(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, page)
		case "/data":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"n": 42, "s": ["a", "b"]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	refused := closed.URL + "/nothing"
	closed.Close() // a port that refuses connections

	browsertest.Run(t, func(t *testing.T, b browsertest.Browser) {
		if err := b.Open(srv.URL + "/"); err != nil {
			t.Fatal(err)
		}
		var text string
		if err := b.Eval(`document.getElementById("x").textContent`, &text); err != nil {
			t.Fatal(err)
		}
		if text != "from js" {
			t.Fatalf("page text %q, want %q (JavaScript did not run)", text, "from js")
		}
		var data struct {
			N int      `json:"n"`
			S []string `json:"s"`
		}
		if err := b.Eval(`fetch("/data").then(r => r.json())`, &data); err != nil {
			t.Fatal(err)
		}
		if data.N != 42 || !slices.Equal(data.S, []string{"a", "b"}) {
			t.Fatalf("awaited value %+v", data)
		}
		var ok bool
		if err := b.Eval(`fetch(`+fmt.Sprintf("%q", refused)+`).then(() => true, () => false)`, &ok); err != nil || ok {
			t.Fatalf("fetch of a closed port: ok=%v err=%v", ok, err)
		}
		if err := b.Eval(`Promise.reject(new Error("boom"))`, nil); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("rejected promise: err = %v, want it to say boom", err)
		}
		if err := b.Fill("#name", "Ada"); err != nil {
			t.Fatal(err)
		}
		if err := b.Click("#go"); err != nil {
			t.Fatal(err)
		}
		if err := b.Eval(`document.getElementById("out").textContent`, &text); err != nil {
			t.Fatal(err)
		}
		if text != "clicked Ada" {
			t.Fatalf("after fill and click the page shows %q, want %q", text, "clicked Ada")
		}
		if err := b.Eval(`(console.error("probe error"), setTimeout(() => { throw new Error("uncaught probe") }, 0), new Promise(r => setTimeout(r, 50)))`, nil); err != nil {
			t.Fatal(err)
		}
		errs, err := b.ConsoleErrors()
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(errs, "\n")
		if !strings.Contains(joined, "probe error") || !strings.Contains(joined, "uncaught probe") {
			t.Errorf("console errors %q lack the probe's", errs)
		}
		reqs, err := b.Requests()
		if err != nil {
			t.Fatal(err)
		}
		var sawPage, sawData bool
		for _, r := range reqs {
			sawPage = sawPage || r.URL == srv.URL+"/"
			sawData = sawData || r.URL == srv.URL+"/data"
			if r.URL == refused && b.Engine() != browsertest.WebKit && r.Failed == "" {
				t.Errorf("the refused request is not marked failed: %+v", r)
			}
		}
		if !sawPage || !sawData {
			t.Errorf("requests %+v lack the page or /data", reqs)
		}
		t.Logf("%s: %d requests, %d console errors", b.Engine(), len(reqs), len(errs))
	}, browsertest.WithTimeout(time.Minute))
}
