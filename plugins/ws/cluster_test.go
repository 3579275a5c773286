package ws_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
)

func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(covettest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	covettest.NeedService(t, "Redis", c.Ping(ctx).Err())
	return c
}

func natsConn(t *testing.T) *nats.Conn {
	t.Helper()
	url := os.Getenv("COVET_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	nc, err := nats.Connect(url, nats.Timeout(3*time.Second))
	covettest.NeedService(t, "NATS", err)
	return nc
}

func channelName(t *testing.T) string {
	return fmt.Sprintf("covet-test.ws.%s.%d", strings.ReplaceAll(t.Name(), "/", "."), time.Now().UnixNano())
}

type instance struct {
	hub *ws.Hub
	srv *wstest.Server
}

func startInstance(t *testing.T, b ws.Broker, id string) *instance {
	t.Helper()
	app := covet.New()
	hub := ws.NewHub(ws.WithBroker(b), ws.WithInstanceID(id))
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	ws.Handle(app, "/rooms/{name}", ws.Handler[[]byte]{
		Hub: hub,
		Accept: func(c *covet.Context, conn *ws.Conn) error {
			conn.Join(c.Param("name"))
			return nil
		},
	})
	srv := wstest.NewServer(t, app)
	select {
	case <-hub.BrokerReady():
	case <-time.After(5 * time.Second):
		t.Fatal("broker subscription not ready")
	}
	return &instance{hub: hub, srv: srv}
}

type pubMsg struct {
	P int `json:"p"`
	N int `json:"n"`
}

// crossInstance runs 3 instances with clients spread over them; each
// instance publishes 1,000 broadcasts; every client must receive all
// 3,000 exactly once and, per publisher, in order.
func crossInstance(t *testing.T, brokers []ws.Broker) {
	const perPublisher, clientsPer = 1000, 3
	var insts []*instance
	for i, b := range brokers {
		insts = append(insts, startInstance(t, b, fmt.Sprintf("i%d", i)))
	}
	type result struct {
		next    [3]int
		problem string
	}
	results := make([]*result, 0)
	var wg sync.WaitGroup
	for _, in := range insts {
		for j := 0; j < clientsPer; j++ {
			c := in.srv.Dial(t, "/rooms/r")
			res := &result{}
			results = append(results, res)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for got := 0; got < perPublisher*len(insts); got++ {
					_ = c.WS.SetReadDeadline(time.Now().Add(15 * time.Second))
					_, data, err := c.WS.ReadMessage()
					if err != nil {
						res.problem = fmt.Sprintf("after %d messages: %v", got, err)
						return
					}
					var m pubMsg
					_ = json.Unmarshal(data, &m)
					if m.N != res.next[m.P] {
						res.problem = fmt.Sprintf("publisher %d: got n=%d, want %d", m.P, m.N, res.next[m.P])
						return
					}
					res.next[m.P]++
				}
			}()
		}
	}
	for _, in := range insts {
		waitMembers(t, in.hub, "r", clientsPer)
	}
	var pw sync.WaitGroup
	for p, in := range insts {
		pw.Add(1)
		go func() {
			defer pw.Done()
			for n := 0; n < perPublisher; n++ {
				if err := in.hub.Broadcast(context.Background(), "r", pubMsg{P: p, N: n}); err != nil {
					t.Errorf("publish: %v", err)
					return
				}
			}
		}()
	}
	pw.Wait()
	wg.Wait()
	for i, r := range results {
		if r.problem != "" {
			t.Errorf("client %d: %s", i, r.problem)
		}
	}
	for i, in := range insts {
		s := in.hub.Stats()
		if s.BrokerDropped != 0 || s.BrokerFailed != 0 || s.BrokerReceived != int64(perPublisher*(len(insts)-1)) {
			t.Errorf("instance %d stats %+v", i, s)
		}
	}
}

func TestCrossInstanceRedis(t *testing.T) {
	rc := redisClient(t)
	defer rc.Close()
	ch := channelName(t)
	var bs []ws.Broker
	for i := 0; i < 3; i++ {
		bs = append(bs, ws.NewRedisBroker(redis.NewClient(rc.Options()), ch, true))
	}
	crossInstance(t, bs)
}

func TestCrossInstanceNATS(t *testing.T) {
	nc := natsConn(t)
	nc.Close()
	ch := channelName(t)
	var bs []ws.Broker
	for i := 0; i < 3; i++ {
		bs = append(bs, ws.NewNATSBroker(natsConn(t), ch, true))
	}
	crossInstance(t, bs)
}

// TestPresenceAcrossInstances: users on two instances are listed by both;
// when one instance stops refreshing (its Redis connection cut, as in a
// crash: nothing removes its entry) its users disappear within the TTL.
func TestPresenceAcrossInstances(t *testing.T) {
	rc := redisClient(t)
	defer rc.Close()
	ch := channelName(t)
	mk := func(id string, client *redis.Client) *instance {
		app := covet.New()
		hub := ws.NewHub(ws.WithBroker(ws.NewRedisBroker(client, ch, false)), ws.WithInstanceID(id), ws.WithPresenceTTL(time.Second))
		_ = app.Install(hub)
		ws.Handle(app, "/rooms/{name}", ws.Handler[[]byte]{Hub: hub,
			Accept: func(c *covet.Context, conn *ws.Conn) error {
				conn.Join(c.Param("name"))
				conn.SetUser(c.Query("user"))
				return nil
			}})
		return &instance{hub: hub, srv: wstest.NewServer(t, app)}
	}
	ca, cb := redis.NewClient(rc.Options()), redis.NewClient(rc.Options())
	defer ca.Close()
	a, b := mk("A", ca), mk("B", cb)
	a.srv.Dial(t, "/rooms/r?user=ann")
	b.srv.Dial(t, "/rooms/r?user=bob")
	b.srv.Dial(t, "/rooms/other?user=cid")
	presence := func(in *instance) string {
		p, err := in.hub.Presence(context.Background(), "r")
		if err != nil {
			return "error: " + err.Error()
		}
		return strings.Join(p, ",")
	}
	waitFor(t, "both users from A and B", func() bool { return presence(a) == "ann,bob" && presence(b) == "ann,bob" })
	cb.Close() // B can no longer refresh: like a crashed instance
	waitFor(t, "bob to disappear after the TTL", func() bool { return presence(a) == "ann" })
}

// TestPresenceAfterSIGKILL: presence on Redis (the broker's keys) and on
// NATS JetStream key-value (NATSPresence). Instance A runs here, instance
// B in a child process; both users are listed by A. B is killed with
// SIGKILL (nothing removes its entry) and its user disappears from A's
// Presence within the TTL, as the entry B no longer rewrites expires.
func TestPresenceAfterSIGKILL(t *testing.T) {
	for _, kind := range []string{"redis", "nats"} {
		t.Run(kind, func(t *testing.T) {
			name := "covet-test-presence-" + fmt.Sprint(time.Now().UnixNano())
			a := presenceInstance(t, kind, name, "A")
			if kind == "nats" {
				t.Cleanup(func() {
					nc := natsConn(t)
					defer nc.Close()
					if js, err := jetstream.New(nc); err == nil {
						ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
						_ = js.DeleteKeyValue(ctx, name)
						cancel()
					}
				})
			}
			a.srv.Dial(t, "/rooms/r?user=ann")

			cmd := exec.Command(os.Args[0], "-test.run", "^TestPresenceChild$")
			cmd.Env = append(os.Environ(), "COVET_WS_PRESENCE_CHILD="+kind+":"+name)
			out, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			ready := make(chan string, 1)
			go func() {
				line, _ := bufio.NewReader(out).ReadString('\n')
				ready <- line
				_, _ = io.Copy(io.Discard, out)
			}()
			select {
			case line := <-ready:
				if !strings.HasPrefix(line, "READY") {
					t.Fatalf("child: %q", line)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("the child instance did not start")
			}
			presence := func() string {
				p, err := a.hub.Presence(context.Background(), "r")
				if err != nil {
					return "error: " + err.Error()
				}
				return strings.Join(p, ",")
			}
			waitLong(t, "ann (A) and bob (B, the child)", func() bool { return presence() == "ann,bob" })
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			waitLong(t, "bob to disappear after B's SIGKILL", func() bool { return presence() == "ann" })
		})
	}
}

// TestPresenceChild is instance B of TestPresenceAfterSIGKILL (a child
// process): bob in room r, then it waits to be killed.
func TestPresenceChild(t *testing.T) {
	kind, name, ok := strings.Cut(os.Getenv("COVET_WS_PRESENCE_CHILD"), ":")
	if !ok {
		t.Skip("child process of TestPresenceAfterSIGKILL")
	}
	b := presenceInstance(t, kind, name, "B")
	b.srv.Dial(t, "/rooms/r?user=bob")
	waitLong(t, "bob listed", func() bool {
		p, _ := b.hub.Presence(context.Background(), "r")
		return slices.Contains(p, "bob")
	})
	fmt.Println("READY")
	select {} // until SIGKILL
}

// presenceInstance is an app whose hub shares presence with a 2 s TTL
// through Redis (kind "redis": the broker's keys on channel name) or the
// NATS bucket name; /rooms/{name}?user= joins a room as a user.
func presenceInstance(t *testing.T, kind, name, id string) *instance {
	t.Helper()
	opts := []ws.Option{ws.WithInstanceID(id), ws.WithPresenceTTL(2 * time.Second)}
	if kind == "redis" {
		opts = append(opts, ws.WithBroker(ws.NewRedisBroker(redisClient(t), name, true)))
	} else {
		nc := natsConn(t)
		ps, err := ws.NewNATSPresence(nc, name)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, ws.WithBroker(ws.NewNATSBroker(nc, name+".live", true)), ws.WithPresenceStore(ps))
	}
	app := covet.New()
	hub := ws.NewHub(opts...)
	if err := app.Install(hub); err != nil {
		t.Fatal(err)
	}
	ws.Handle(app, "/rooms/{name}", ws.Handler[[]byte]{Hub: hub,
		Accept: func(c *covet.Context, conn *ws.Conn) error {
			conn.Join(c.Param("name"))
			conn.SetUser(c.Query("user"))
			return nil
		}})
	return &instance{hub: hub, srv: wstest.NewServer(t, app)}
}

// waitLong polls ok with a deadline for a loaded machine.
func waitLong(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
