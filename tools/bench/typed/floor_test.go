package typed

import (
	"bytes"
	"net/http"
	"net/mail"
	"strconv"
	"sync"
	"testing"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
)

// newFloor is the "floor" sketch of issue 21: what the valid typed request
// costs with the decoder Covet uses by default (goccy/go-json) and the same
// rules written as plain Go checks, with no framework, no schema engine, no
// problem bodies: ServeMux, path/query/header by hand, the body read into a
// pooled buffer, decoded, checked, and the result encoded by goccy. It is a
// lower bound for the typed engine, not a peer (it reports only the first
// failure and has no 422 problem body).
func newFloor() http.Handler {
	bufs := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	mux := http.NewServeMux()
	fail := func(w http.ResponseWriter) { http.Error(w, "invalid", http.StatusUnprocessableEntity) }
	mux.HandleFunc("POST /orgs/{org}/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		org := r.PathValue("org")
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || id < 1 || len(org) < 2 || len(org) > 32 {
			fail(w)
			return
		}
		q := r.URL.Query()
		dryRun, _ := strconv.ParseBool(q.Get("dry_run"))
		tags := q["tag"]
		src := r.Header.Get("X-Request-Source")
		if len(tags) > 5 || src != "test" && src != "web" && src != "cli" {
			fail(w)
			return
		}
		buf := bufs.Get().(*bytes.Buffer)
		defer bufs.Put(buf)
		buf.Reset()
		if _, err := buf.ReadFrom(r.Body); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		var b ItemBody
		if err := gojson.Unmarshal(buf.Bytes(), &b); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		runes := utf8.RuneCountInString
		if n := runes(b.Name); n < 2 || n > 64 || runes(b.Description) > 256 ||
			b.Quantity < 1 || b.Quantity > 1000 || b.Price < 0 || b.Price > 100000 ||
			b.Kind != "book" && b.Kind != "movie" && b.Kind != "music" ||
			runes(b.Address.City) < 1 || runes(b.Address.City) > 64 || !fiveDigits(b.Address.Zip) ||
			len(b.Tags) > 5 || runes(b.SKU) < 3 || runes(b.SKU) > 12 {
			fail(w)
			return
		}
		if _, err := mail.ParseAddress(b.Email); err != nil {
			fail(w)
			return
		}
		out, err := gojson.Marshal(result(id, org, src, dryRun, tags, &b))
		if err != nil {
			http.Error(w, "encoding", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	})
	return mux
}

func fiveDigits(s string) bool {
	if len(s) != 5 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// BenchmarkFloor measures the floor sketch on the valid request, to set
// beside BenchmarkEndpoint's impl=covet (issue 21's "typed ≤ 1.1× the
// floor"), instructions counted by scripts/instr-per-op.sh:
//
//	scripts/instr-per-op.sh ./tools/bench/typed 'Floor$' 5000
//	scripts/instr-per-op.sh ./tools/bench/typed 'Endpoint/req=valid/impl=covet$' 5000
func BenchmarkFloor(b *testing.B) {
	h := newFloor()
	r, rd := newRequest(ValidBody)
	w := &cheapWriter{h: http.Header{}}
	serve(h, r, rd, ValidBody, w)
	if w.status != 200 {
		b.Fatalf("status %d", w.status)
	}
	b.ReportAllocs()
	for b.Loop() {
		serve(h, r, rd, ValidBody, w)
	}
}
