package scaleout

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCreatedID(t *testing.T) {
	for _, body := range []string{
		`{"id":42,"title":"x"}`,
		`{ "id" : 7 }`,
		`{"title":"id","id":3}`,
		`{"owner":{"id":9},"id":12}`,
		`{"tags":["id","x"],"note":"\"id\":5","id":1234567}`,
		`{"owner":{"id":9}}`,
		`{"id":"17"}`,
		`{"id":1.5}`,
		`{"id":-3}`,
		`{}`,
		`not json`,
		``,
		`{"id":`,
	} {
		var want struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal([]byte(body), &want) != nil || want.ID < 0 {
			want.ID = 0
		}
		if got := createdID([]byte(body)); got != want.ID {
			t.Errorf("createdID(%s) = %d, want %d", body, got, want.ID)
		}
	}
}

// fakeLB is a stand-in load balancer: it answers the generator's requests
// like the instances do and records what it saw.
type fakeLB struct {
	mu       sync.Mutex
	sources  map[string]int
	bad      []string
	nextID   atomic.Int64
	inFlight atomic.Int64
	maxSeen  atomic.Int64
	delay    time.Duration
}

func (f *fakeLB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.sources[host]++
	bad := func(format string, a ...any) { f.bad = append(f.bad, fmt.Sprintf(format, a...)) }
	if r.Header.Get("X-Forwarded-For") != spoofedXFF {
		bad("%s %s: X-Forwarded-For %q", r.Method, r.URL, r.Header.Get("X-Forwarded-For"))
	}
	f.mu.Unlock()
	time.Sleep(f.delay)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/tasks":
		var task struct {
			Title    string   `json:"title"`
			Priority int      `json:"priority"`
			Tags     []string `json:"tags"`
		}
		f.mu.Lock()
		if err := json.Unmarshal(body, &task); err != nil || task.Title == "" || task.Priority < 1 || task.Priority > 5 || len(task.Tags) != 1 {
			bad("create: body %s: %v", body, err)
		}
		if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != "application/json" {
			bad("create: headers %v", r.Header)
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"owner":{"id":1},"id":%d,"title":%q}`, f.nextID.Add(1), task.Title)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/auth/token":
		f.mu.Lock()
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("grant_type") != "password" || form.Get("username") != "u@x" ||
			r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.Header.Get("Authorization") != "" {
			bad("login: body %s, headers %v", body, r.Header)
		}
		f.mu.Unlock()
		_, _ = io.WriteString(w, `{"access_token":"a"}`)
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/tasks" && r.URL.RawQuery == "limit=20&cursor=":
		_, _ = io.WriteString(w, `{"items":[]}`)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/tasks/"):
		fmt.Fprintf(w, `{"id":%s}`, strings.TrimPrefix(r.URL.Path, "/api/v1/tasks/"))
	default:
		http.Error(w, "<html><body>no such thing</body></html>", http.StatusBadGateway)
	}
}

// testTraffic returns a generator of n users sending to lb.
func testTraffic(lb string, n int) *traffic {
	tr := &traffic{lb: lb, host: strings.TrimPrefix(lb, "http://"), run: "sotest"}
	for i := range n {
		src := fmt.Sprintf("127.0.0.%d", 10+i)
		tr.users = append(tr.users, &user{email: "u@x", token: "tok", bearer: "Bearer tok",
			loginForm: []byte("grant_type=password&username=u%40x&password=p"), fast: fastClientFrom(tr.host, src)})
	}
	return tr
}

func TestDrive(t *testing.T) {
	f := &fakeLB{sources: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	tr := testTraffic(srv.URL, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// About 400 requests due, 1,000 allowed in flight: every one is sent,
	// however slowly the loaded machine answers.
	dropped := tr.drive(ctx, 200, Mix{Get: 20, Create: 30, Login: 10, KeysetList: true}, 1000)
	tr.closeIdle()
	if dropped != 0 {
		t.Errorf("%d not sent with more in flight allowed than requests due", dropped)
	}
	if len(tr.records) < 100 {
		t.Fatalf("%d requests recorded in 2 s at 200/s", len(tr.records))
	}
	kinds := map[string]int{}
	titles := map[string]bool{}
	for _, r := range tr.records {
		kinds[r.Kind]++
		if r.Status != http.StatusOK && r.Status != http.StatusCreated || r.Err != "" || r.Took <= 0 || r.Start.IsZero() {
			t.Errorf("record %+v", r)
		}
		if r.Kind == KindCreate {
			if !strings.HasPrefix(r.Title, "sotest-") || titles[r.Title] {
				t.Errorf("create title %q (a fresh sotest-N each)", r.Title)
			}
			titles[r.Title] = true
		} else if r.Title != "" {
			t.Errorf("%s with a title %q", r.Kind, r.Title)
		}
	}
	for _, k := range []string{KindList, KindGet, KindCreate, KindLogin} {
		if kinds[k] == 0 {
			t.Errorf("no %s among %v", k, kinds)
		}
	}
	if int64(len(tr.ids)) != f.nextID.Load() || len(tr.ids) != kinds[KindCreate] {
		t.Errorf("%d created ids parsed, %d creates answered, %d recorded", len(tr.ids), f.nextID.Load(), kinds[KindCreate])
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.bad {
		t.Error(b)
	}
	for i := range 3 {
		if src := fmt.Sprintf("127.0.0.%d", 10+i); f.sources[src] == 0 {
			t.Errorf("no request from %s: %v", src, f.sources)
		}
	}
	if len(f.sources) != 3 {
		t.Errorf("requests came from %v, want the users' 3 addresses", f.sources)
	}
}

// A slow app: the generator keeps at most maxInFlight requests outstanding
// and counts the requests it could not send.
func TestDriveNotSent(t *testing.T) {
	f := &fakeLB{sources: map[string]int{}, delay: 300 * time.Millisecond}
	srv := httptest.NewServer(f)
	defer srv.Close()
	tr := testTraffic(srv.URL, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	dropped := tr.drive(ctx, 200, Mix{KeysetList: true}, 4)
	tr.closeIdle()
	if dropped == 0 {
		t.Error("nothing counted as not sent with 4 in flight at 300 ms each and 200/s offered")
	}
	if m := f.maxSeen.Load(); m > 4 {
		t.Errorf("%d requests in flight at once, more than the 4 allowed", m)
	}
	if len(tr.records) == 0 || len(tr.records)+int(dropped) < 150 {
		t.Errorf("%d recorded + %d not sent, want about 200", len(tr.records), dropped)
	}
}

// Failures without an answer are recorded with their reason, never hang:
// a connection refused, one closed without an answer, an answer that
// never comes (the request's timeout) and a 5xx page.
func TestOneFailures(t *testing.T) {
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := refused.Addr().String()
	refused.Close()

	closer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	go func() {
		for {
			c, err := closer.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 4096)
				_, _ = c.Read(buf)
				c.Close() // a killed instance, or a proxy giving up
			}()
		}
	}()

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var held []net.Conn
	var heldMu sync.Mutex
	defer func() {
		heldMu.Lock()
		defer heldMu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			heldMu.Lock()
			held = append(held, c)
			heldMu.Unlock()
		}
	}()

	failing := httptest.NewServer(&fakeLB{sources: map[string]int{}})
	defer failing.Close()

	for _, tc := range []struct {
		name, lb   string
		mix        Mix
		wantStatus int
		wantErr    string
	}{
		{"refused", "http://" + refusedAddr, Mix{Create: 100}, 0, "refused"},
		{"closed", "http://" + closer.Addr().String(), Mix{Create: 100}, 0, "closed"},
		{"closed read", "http://" + closer.Addr().String(), Mix{}, 0, "closed"},
		{"silent", "http://" + silent.Addr().String(), Mix{Create: 100}, 0, "timeout"},
		{"5xx", failing.URL, Mix{}, 0, ""}, // the offset list, which the fake does not serve
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := testTraffic(tc.lb, 1)
			tr.timeout = 500 * time.Millisecond
			s := newSender()
			defer s.release()
			done := make(chan struct{})
			go func() { defer close(done); tr.one(s, tc.mix) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the request hung past its timeout")
			}
			tr.closeIdle()
			r := tr.records[0]
			if tc.name == "5xx" {
				if r.Status != http.StatusBadGateway || !r.Failed() || r.Err != "<html><body>no such thing</body></html>" {
					t.Errorf("record %+v", r)
				}
				return
			}
			if r.Status != tc.wantStatus || !r.Failed() || !strings.Contains(r.Err, tc.wantErr) {
				t.Errorf("record %+v, want status %d and an error naming %q", r, tc.wantStatus, tc.wantErr)
			}
			if len(tr.ids) != 0 {
				t.Errorf("ids %v from a failed create", tr.ids)
			}
		})
	}
}
