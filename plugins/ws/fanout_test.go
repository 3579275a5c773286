package ws_test

// Broadcast against the write(2) floor and echo latency (opt-in):
//
//	COVET_WS_BCAST=10000 go test -run TestScaleBroadcast -v -timeout 10m .
//	COVET_WS_ECHO=1000 go test -run TestScaleEcho -v -timeout 10m .
//
// Servers run in child processes (TestScaleServer), the clients here.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

type child struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	addr string
}

func startChild(t *testing.T, kind string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestScaleServer$")
	cmd.Env = append(os.Environ(), "COVET_WS_SCALE_SERVER="+kind)
	out, _ := cmd.StdoutPipe()
	in, _ := cmd.StdinPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return &child{cmd: cmd, in: in, out: br, addr: strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))}
}

func (c *child) ask(cmd string) string {
	fmt.Fprintln(c.in, cmd)
	l, _ := c.out.ReadString('\n')
	return strings.TrimSpace(l)
}

func (c *child) stop() {
	c.in.Close()
	_ = c.cmd.Wait()
}

// TestScaleBroadcast times one 64-byte broadcast to N idle connections
// (until the last socket's write returned, in the server) against the
// no-library floor, one write(2) of the same 66-byte frame per socket,
// in the same run, alternating the two.
func TestScaleBroadcast(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("COVET_WS_BCAST"))
	if n <= 0 {
		t.Skip("set COVET_WS_BCAST=10000 to time a broadcast against the write(2) floor")
	}
	const rounds, perRound = 3, 5
	times := map[string][]time.Duration{}
	cpus := map[string][]time.Duration{}
	for r := 0; r < rounds; r++ {
		for _, kind := range []string{"floor", "covet-ws"} {
			c := startChild(t, kind)
			var closers []io.Closer
			if kind == "floor" {
				for i := 0; i < n; i++ {
					nc, err := net.Dial("tcp", c.addr)
					if err != nil {
						t.Fatal(err)
					}
					closers = append(closers, nc)
				}
				// Wait until the server accepted them all.
				time.Sleep(500 * time.Millisecond)
			} else {
				for _, wc := range dialMany(t, c.addr, n) {
					closers = append(closers, wc.NetConn())
				}
			}
			time.Sleep(time.Second)
			for i := 0; i < perRound; i++ {
				var wall, cpu int64
				fmt.Sscanf(c.ask("bcast"), "B %d %d", &wall, &cpu)
				times[kind] = append(times[kind], time.Duration(wall))
				cpus[kind] = append(cpus[kind], time.Duration(cpu))
				time.Sleep(100 * time.Millisecond)
			}
			for _, cl := range closers {
				cl.Close()
			}
			c.stop()
		}
	}
	med := func(d []time.Duration) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[len(s)/2]
	}
	t.Logf("N = %d, %d broadcasts each, alternating; median (min-max):", n, rounds*perRound)
	for _, k := range []string{"floor", "covet-ws"} {
		d, c := times[k], cpus[k]
		t.Logf("  %-9s wall %7.1f ms (%.1f-%.1f) %5.2f µs/conn; thread CPU %7.1f ms (%.1f-%.1f) %5.2f µs/conn", k,
			ms(med(d)), ms(slices.Min(d)), ms(slices.Max(d)), float64(med(d).Nanoseconds())/1e3/float64(n),
			ms(med(c)), ms(slices.Min(c)), ms(slices.Max(c)), float64(med(c).Nanoseconds())/1e3/float64(n))
	}
	ratio := func(m map[string][]time.Duration, f func([]time.Duration) time.Duration) float64 {
		return float64(f(m["covet-ws"])) / float64(f(m["floor"]))
	}
	t.Logf("  covet-ws / floor: wall median %.2f, wall min %.2f, thread CPU median %.2f, CPU min %.2f",
		ratio(times, med), ratio(times, slices.Min), ratio(cpus, med), ratio(cpus, slices.Min))
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// TestScaleEcho measures echo round trips with N connections open:
// "sequential" sends one 32-byte message at a time round-robin over all N
// (the others idle, as the anchor did); "loaded" has every connection send
// one message every 100 ms (N×10 messages/s) while each round trip is timed.
func TestScaleEcho(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("COVET_WS_ECHO"))
	if n <= 0 {
		t.Skip("set COVET_WS_ECHO=1000 to measure echo round trips")
	}
	msg := []byte(strings.Repeat("e", 32))
	for _, kind := range []string{"covet-ws", "gorilla-tuned"} {
		c := startChild(t, kind)
		conns := dialMany(t, c.addr, n)
		time.Sleep(time.Second)
		var seq []time.Duration
		for round := 0; round < 3; round++ {
			for _, wc := range conns {
				start := time.Now()
				if err := wc.WriteMessage(websocket.TextMessage, msg); err != nil {
					t.Fatal(err)
				}
				if _, _, err := wc.ReadMessage(); err != nil {
					t.Fatal(err)
				}
				seq = append(seq, time.Since(start))
			}
		}
		var mu sync.Mutex
		var loaded []time.Duration
		var wg sync.WaitGroup
		deadline := time.Now().Add(5 * time.Second)
		for i, wc := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i%100) * time.Millisecond) // spread the senders
				var mine []time.Duration
				for time.Now().Before(deadline) {
					start := time.Now()
					if wc.WriteMessage(websocket.TextMessage, msg) != nil {
						return
					}
					if _, _, err := wc.ReadMessage(); err != nil {
						return
					}
					d := time.Since(start)
					mine = append(mine, d)
					time.Sleep(100*time.Millisecond - d)
				}
				mu.Lock()
				loaded = append(loaded, mine...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		for _, wc := range conns {
			wc.Close()
		}
		c.stop()
		t.Logf("%-14s N=%d sequential: %s", kind, n, pct(seq))
		t.Logf("%-14s N=%d loaded (%d msg/s): %s", kind, n, n*10, pct(loaded))
	}
}

func pct(d []time.Duration) string {
	if len(d) == 0 {
		return "no samples"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	q := func(p float64) float64 { return ms(s[int(p*float64(len(s)-1))]) }
	return fmt.Sprintf("%d samples, p50 %.3f ms, p99 %.3f ms, max %.3f ms", len(s), q(0.5), q(0.99), q(1))
}
