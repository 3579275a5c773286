package covettest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type chargeIn struct {
	Key  string `header:"Authorization" required:"true" pattern:"^Bearer sk_"`
	Body struct {
		Amount   int    `json:"amount" minimum:"1"`
		Currency string `json:"currency" enum:"eur,usd"`
	}
}

type charge struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

func paymentsFake(t *testing.T) *covettest.Fake {
	fake := covettest.FakeService(t)
	covet.Post(fake, "/v1/charges", func(c *covet.Context, in *chargeIn) (*charge, error) {
		return &charge{ID: "ch_1", Amount: in.Body.Amount}, nil
	}).Status(http.StatusCreated)
	covet.Get(fake, "/v1/charges/{id}", func(c *covet.Context, in *struct {
		ID string `path:"id"`
	}) (*charge, error) {
		return &charge{ID: in.ID}, nil
	})
	return fake
}

func post(t *testing.T, client *http.Client, url, auth, body string) (int, string, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), nil
}

func TestFakeValidatesAndRecords(t *testing.T) {
	fake := paymentsFake(t)
	code, body, err := post(t, fake.Client(), fake.URL()+"/v1/charges", "Bearer sk_test", `{"amount":250,"currency":"eur"}`)
	if err != nil || code != 201 || !strings.Contains(body, `"ch_1"`) {
		t.Fatalf("%d %s %v", code, body, err)
	}
	// What a buggy client sends is refused by the fake's own typed handler.
	code, body, _ = post(t, fake.Client(), fake.URL()+"/v1/charges", "", `{"amount":0,"currency":"gbp"}`)
	if code != 422 || !strings.Contains(body, "Authorization") || !strings.Contains(body, "amount") || !strings.Contains(body, "currency") {
		t.Fatalf("%d %s", code, body)
	}
	res, err := fake.Client().Get(fake.URL() + "/v1/charges/ch_9?expand=customer")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, _ = fake.Client().Get(fake.URL() + "/nope")
	res.Body.Close()

	fake.ExpectCalls("POST /v1/charges", 2).ExpectCalls("GET /v1/charges/{id}", 1).ExpectCalls("GET /v1/charges/ch_9", 1).ExpectCalls("GET /nope", 1)
	calls := fake.Calls("POST /v1/charges")
	if calls[0].Status != 201 || calls[1].Status != 422 || calls[0].Header.Get("Authorization") != "Bearer sk_test" {
		t.Errorf("calls %+v", calls)
	}
	var sent struct{ Amount int }
	calls[0].JSON(t, &sent)
	if sent.Amount != 250 {
		t.Errorf("amount %d", sent.Amount)
	}
	if last := fake.LastCall("GET /v1/charges/{id}"); last.Query.Get("expand") != "customer" || last.Path != "/v1/charges/ch_9" || last.Status != 200 {
		t.Errorf("last %+v", last)
	}
	if c := fake.LastCall("GET /nope"); c.Status != 404 {
		t.Errorf("404 call %+v", c)
	}
	if n := len(fake.Calls()); n != 4 {
		t.Errorf("%d calls", n)
	}
	fake.Reset()
	fake.ExpectNoCalls()
}

func TestFakeIntercept(t *testing.T) {
	fake := paymentsFake(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "real") }))
	defer other.Close()
	client := &http.Client{}
	fake.Intercept(client, "api.payments.example")
	code, _, err := post(t, client, "https://api.payments.example/v1/charges", "Bearer sk_live", `{"amount":1,"currency":"usd"}`)
	if err != nil || code != 201 {
		t.Fatalf("%d %v", code, err)
	}
	if c := fake.LastCall("POST /v1/charges"); c.Host != "api.payments.example" {
		t.Errorf("host %q", c.Host)
	}
	res, err := client.Get(other.URL) // another host: not intercepted
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "real" {
		t.Errorf("other host got %q", b)
	}
	fake.ExpectCalls("POST /v1/charges", 1)
	if n := len(fake.Calls()); n != 1 {
		t.Errorf("%d calls", n)
	}

	all := &http.Client{Transport: fake.Transport()}
	if code, _, err := post(t, all, "http://anything.invalid/v1/charges", "Bearer sk_x", `{"amount":3,"currency":"eur"}`); err != nil || code != 201 {
		t.Fatalf("%d %v", code, err)
	}
}

func TestFakeFaults(t *testing.T) {
	t.Run("fail then succeed", func(t *testing.T) {
		fake := paymentsFake(t)
		fake.FailNext("POST /v1/charges", http.StatusServiceUnavailable, 2)
		var codes []int
		for range 3 {
			code, _, err := post(t, fake.Client(), fake.URL()+"/v1/charges", "Bearer sk_1", `{"amount":1,"currency":"eur"}`)
			if err != nil {
				t.Fatal(err)
			}
			codes = append(codes, code)
		}
		if fmt.Sprint(codes) != "[503 503 201]" {
			t.Fatalf("codes %v", codes)
		}
		fake.ExpectCalls("POST /v1/charges", 3)
	})
	t.Run("hang until the client times out", func(t *testing.T) {
		fake := paymentsFake(t)
		fake.Hang("POST /v1/charges")
		client := fake.Client()
		client.Timeout = 50 * time.Millisecond
		_, _, err := post(t, client, fake.URL()+"/v1/charges", "Bearer sk_1", `{"amount":1,"currency":"eur"}`)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("err = %v", err)
		}
		fake.ExpectCalls("POST /v1/charges", 1)
		if s := fake.LastCall("POST /v1/charges").Status; s != 0 {
			t.Errorf("status %d", s)
		}
	})
	t.Run("latency beyond the deadline", func(t *testing.T) {
		fake := paymentsFake(t)
		fake.Latency("", time.Minute)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fake.URL()+"/v1/charges/ch_1", nil)
		_, err := fake.Client().Do(req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("latency within the deadline", func(t *testing.T) {
		fake := paymentsFake(t)
		fake.Latency("GET /v1/charges/{id}", time.Millisecond)
		res, err := fake.Client().Get(fake.URL() + "/v1/charges/ch_1")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%v %v", res, err)
		}
		res.Body.Close()
	})
	t.Run("dropped connection", func(t *testing.T) {
		fake := paymentsFake(t)
		fake.Drop("GET /v1/charges/ch_1", 1)
		if _, err := fake.Client().Get(fake.URL() + "/v1/charges/ch_1"); err == nil {
			t.Fatal("no error")
		}
		res, err := fake.Client().Get(fake.URL() + "/v1/charges/ch_1")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("second call: %v %v", res, err)
		}
		res.Body.Close()
	})
}

// spyTB records failures instead of failing the test.
type spyTB struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (s *spyTB) Helper() {}
func (s *spyTB) Errorf(format string, args ...any) {
	s.mu.Lock()
	s.msgs = append(s.msgs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func TestFakeExpectCallsReports(t *testing.T) {
	spy := &spyTB{TB: t}
	fake := covettest.FakeService(spy)
	fake.GET("/ping", func(c *covet.Context) error { return c.Text(200, "pong") })
	res, _ := fake.Client().Get(fake.URL() + "/ping")
	res.Body.Close()
	fake.ExpectCalls("GET /ping", 2).ExpectNoCalls()
	if len(spy.msgs) != 2 || !strings.Contains(spy.msgs[0], "GET /ping called 1 times, want 2; calls: GET /ping → 200") {
		t.Fatalf("msgs %q", spy.msgs)
	}
}
