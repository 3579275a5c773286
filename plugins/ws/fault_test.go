package ws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/ws"
	"github.com/redis/go-redis/v9"
)

// privateRedis runs a redis-server of its own on a free port, so that the
// test can kill it without touching the shared one.
type privateRedis struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed: ", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &privateRedis{t: t, port: port}
	r.cmd = exec.Command(bin)
	r.start(bin)
	t.Cleanup(r.kill)
	return r
}

func (r *privateRedis) start(bin string) {
	r.t.Helper()
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			r.t.Fatal("private redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *privateRedis) addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

func (r *privateRedis) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// TestRedisKilledMidStream: Redis is killed (SIGKILL) and restarted while
// instance A broadcasts. A's own clients get every message (local delivery
// does not depend on Redis); B's clients get the messages published while
// Redis was up, in order, and B counts every one it missed; after the
// restart cross-instance delivery resumes by itself.
func TestRedisKilledMidStream(t *testing.T) {
	pr := startPrivateRedis(t)
	bin, _ := exec.LookPath("redis-server")
	newBroker := func() ws.Broker {
		return ws.NewRedisBroker(redis.NewClient(&redis.Options{Addr: pr.addr(), MaxRetries: -1,
			DialTimeout: 300 * time.Millisecond, ReadTimeout: 2 * time.Second, WriteTimeout: time.Second}), "covet-test:ws:fault", true)
	}
	a := startInstance(t, newBroker(), "A")
	b := startInstance(t, newBroker(), "B")
	ca := a.srv.Dial(t, "/rooms/r")
	cb := b.srv.Dial(t, "/rooms/r")
	waitMembers(t, a.hub, "r", 1)
	waitMembers(t, b.hub, "r", 1)

	var mu sync.Mutex
	var gotB []int
	go func() {
		for {
			_ = cb.WS.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, data, err := cb.WS.ReadMessage()
			if err != nil {
				return
			}
			var m pubMsg
			_ = json.Unmarshal(data, &m)
			mu.Lock()
			gotB = append(gotB, m.N)
			mu.Unlock()
		}
	}()
	lenB := func() int { mu.Lock(); defer mu.Unlock(); return len(gotB) }

	n := 0
	publish := func() {
		_ = a.hub.Broadcast(context.Background(), "r", pubMsg{N: n})
		n++
	}
	for i := 0; i < 100; i++ {
		publish()
	}
	waitFor(t, "B to get the first 100", func() bool { return lenB() == 100 })
	pr.kill()
	for i := 0; i < 50; i++ {
		publish() // Redis is down: local only
	}
	pr.start(bin)
	// Cross-instance delivery resumes: keep publishing until B hears again.
	resumed := time.Now()
	for lenB() == 100 {
		if time.Since(resumed) > 20*time.Second {
			t.Fatal("cross-instance delivery did not resume within 20 s of the restart")
		}
		publish()
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("resumed %v after the restart", time.Since(resumed).Round(time.Millisecond))
	for i := 0; i < 20; i++ {
		publish()
	}
	waitFor(t, "the last message at B", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return gotB[len(gotB)-1] == n-1
	})
	// A's client got everything, in order.
	for i := 0; i < n; i++ {
		var m pubMsg
		ca.ReadJSON(&m)
		if m.N != i {
			t.Fatalf("A's client: got %d, want %d", m.N, i)
		}
	}
	// B's: in order, and what it missed is exactly what B counted as lost.
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(gotB); i++ {
		if gotB[i] <= gotB[i-1] {
			t.Fatalf("B out of order at %d: %v", i, gotB[i-1:i+1])
		}
	}
	sb, sa := b.hub.Stats(), a.hub.Stats()
	missed := int64(n - len(gotB))
	if sb.BrokerDropped != missed {
		t.Fatalf("B missed %d messages but counted %d", missed, sb.BrokerDropped)
	}
	if sa.BrokerFailed == 0 {
		t.Fatal("A's failed publishes were not counted")
	}
	t.Logf("published %d, B got %d, B counted %d lost, A counted %d failed publishes", n, len(gotB), sb.BrokerDropped, sa.BrokerFailed)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
