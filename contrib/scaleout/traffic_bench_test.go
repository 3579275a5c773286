package scaleout

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// cannedServer answers every HTTP/1.1 request on its connections with the
// same small 201 response, allocating nothing per request, so a benchmark's
// allocations and instructions are the client's (and this constant part).
func cannedServer(tb testing.TB) (addr string, stop func()) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	answer := []byte("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 36\r\n\r\n{\"id\":42,\"title\":\"so-1\",\"priority\":1}")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReaderSize(c, 8192)
				for {
					n := 0
					for { // headers, then Content-Length bytes of body
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
						if k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
							n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
						}
					}
					if _, err := br.Discard(n); err != nil {
						return
					}
					if _, err := c.Write(answer); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), func() { ln.Close() }
}

// oneNetHTTP is the generator's request as it was before fasthttp: net/http's
// client, a request built per call, the body encoded by encoding/json and
// the answer read by io.ReadAll. Kept to measure the difference.
func (tr *traffic) oneNetHTTP(ctx context.Context, u *user, mix Mix) {
	p := rand.IntN(100)
	rec := Record{Start: time.Now()}
	var st int
	var b []byte
	var err error
	switch {
	case p < mix.Create:
		rec.Kind = KindCreate
		rec.Title = tr.run + "-" + strconv.FormatInt(tr.seq.Add(1), 10)
		body, _ := json.Marshal(map[string]any{"title": rec.Title, "priority": 1 + rand.IntN(5), "tags": []string{"scaleout"}})
		st, b, err = tr.do(ctx, u.client, http.MethodPost, "/api/v1/tasks", "application/json", body, u.token)
		if err == nil && st == http.StatusCreated {
			var t struct {
				ID int64 `json:"id"`
			}
			if json.Unmarshal(b, &t) == nil && t.ID > 0 {
				tr.idsMu.Lock()
				tr.ids = append(tr.ids, t.ID)
				tr.idsMu.Unlock()
			}
		}
	case p < mix.Create+mix.Get:
		rec.Kind = KindGet
		st, b, err = tr.do(ctx, u.client, http.MethodGet, "/api/v1/tasks/42", "", nil, "")
	default:
		rec.Kind = KindList
		st, b, err = tr.do(ctx, u.client, http.MethodGet, mix.listPath(), "", nil, "")
	}
	rec.Took = time.Since(rec.Start)
	rec.Status = st
	_ = b
	if err != nil {
		rec.Err = err.Error()
	}
	tr.recMu.Lock()
	tr.records = append(tr.records, rec)
	tr.recMu.Unlock()
}

// BenchmarkRequest is the generator's cost per request of the comparison's
// mix (10 % reads, 20 % creates, the rest lists) against a canned server,
// with net/http (the former path) and fasthttp (the generator's):
//
//	go test -run '^$' -bench Request -benchmem .
//	scripts/instr-per-op.sh ./contrib/scaleout 'Request/client=fasthttp$' 5000
func BenchmarkRequest(b *testing.B) {
	addr, stop := cannedServer(b)
	defer stop()
	mix := Mix{Get: 10, Create: 20, KeysetList: true}
	b.Run("client=net-http", func(b *testing.B) {
		tr := testTraffic("http://"+addr, 1)
		tr.users[0].client = clientFrom("127.0.0.10", 16)
		tr.lb = "http://" + addr
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			tr.oneNetHTTP(ctx, tr.users[0], mix)
		}
		if tr.records[0].Status != http.StatusCreated {
			b.Fatalf("record %+v", tr.records[0])
		}
	})
	b.Run("client=fasthttp", func(b *testing.B) {
		tr := testTraffic("http://"+addr, 1)
		s := newSender()
		defer s.release()
		b.ReportAllocs()
		for b.Loop() {
			tr.one(s, mix)
		}
		if tr.records[0].Status != http.StatusCreated {
			b.Fatalf("record %+v", tr.records[0])
		}
	})
}
