package ws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
	"github.com/nats-io/nats.go"
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
