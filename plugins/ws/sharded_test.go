package ws_test

// Idle memory at 10k, 50k and 100k connections, sharded over processes
// (opt-in; one process may hold at most 20,000 files here):
//
//	COVET_WS_SHARDED=10000,50000,100000 go test -run TestScaleSharded -v -timeout 30m .
//
// Each level starts K = N/10,000 server processes (TestScaleServer) and K
// client processes (TestScaleClient), client i dialing 10,000 connections
// to server i, as ../shared/anchors/websocket-scale.md did. bytes/conn =
// (sum of the servers' RSS(N) - sum of their RSS(0)) / N after 5 s idle.
// COVET_WS_SCALE_KINDS chooses the servers (default covet-ws).

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const perShard = 10_000

func TestScaleSharded(t *testing.T) {
	levels := os.Getenv("COVET_WS_SHARDED")
	if levels == "" {
		t.Skip("set COVET_WS_SHARDED=10000,50000,100000 to measure idle memory over sharded processes")
	}
	kinds := []string{"covet-ws"}
	if k := os.Getenv("COVET_WS_SCALE_KINDS"); k != "" {
		kinds = strings.Split(k, ",")
	}
	type row struct {
		kind                  string
		n, k                  int
		rss0, rssN, rssGC     int64
		heap, stack           int64
		goroutines            int
		perConn, afterGC      float64
		heapPerConn, stackPer float64
	}
	var rows []row
	for _, kind := range kinds {
		for _, l := range strings.Split(levels, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(l))
			if err != nil || n <= 0 {
				t.Fatalf("bad level %q", l)
			}
			k := (n + perShard - 1) / perShard
			var servers []*child
			for i := 0; i < k; i++ {
				servers = append(servers, startChild(t, kind))
			}
			for _, s := range servers {
				warmUp(t, s.addr) // as TestScaleIdleMemory: RSS(0) of a server that has served
			}
			time.Sleep(2 * time.Second)
			r := row{kind: kind, n: n, k: k}
			var heap0, stack0 int64
			for _, s := range servers {
				s.ask("gc")
				var h, st, sys int64
				fmt.Sscanf(s.ask("heap"), "H %d %d %d", &h, &st, &sys)
				heap0 += h
				stack0 += st
				r.rss0 += rssOf(s.cmd.Process.Pid)
			}
			start := time.Now()
			var clients []*child
			for i, s := range servers {
				m := min(perShard, n-i*perShard)
				// Each client process dials from its own loopback
				// address (127.0.0.2, .3, ...): its own 28k ephemeral
				// ports, whatever the kernel's port reuse policy.
				clients = append(clients, startClient(t, s.addr, m, fmt.Sprintf("127.0.0.%d", 2+i%250)))
			}
			for _, c := range clients {
				if l, _ := c.out.ReadString('\n'); strings.TrimSpace(l) != "OK" {
					t.Fatalf("client: %q", l)
				}
			}
			ramp := time.Since(start)
			time.Sleep(5 * time.Second)
			for _, s := range servers {
				r.rssN += rssOf(s.cmd.Process.Pid)
			}
			for _, s := range servers {
				g, _ := strconv.Atoi(strings.TrimPrefix(s.ask("stats"), "G "))
				r.goroutines += g
				var h, st, sys int64
				fmt.Sscanf(s.ask("heap"), "H %d %d %d", &h, &st, &sys)
				r.heap += h
				r.stack += st
				s.ask("gc")
				r.rssGC += rssOf(s.cmd.Process.Pid)
			}
			r.perConn = float64(r.rssN-r.rss0) / float64(n)
			r.afterGC = float64(r.rssGC-r.rss0) / float64(n)
			r.heapPerConn = float64(r.heap-heap0) / float64(n)
			r.stackPer = float64(r.stack-stack0) / float64(n)
			rows = append(rows, r)
			t.Logf("%s N=%d over %d processes: ramp %v, %.0f bytes/conn", kind, n, k, ramp.Round(100*time.Millisecond), r.perConn)
			for _, c := range clients {
				c.stop()
			}
			for _, s := range servers {
				s.stop()
			}
			time.Sleep(2 * time.Second) // let the kernel free the sockets
		}
	}
	t.Logf("%-14s %8s %6s %12s %12s %12s %10s %10s %10s", "server", "N", "procs", "RSS(0) MB", "RSS(N) MB", "bytes/conn", "after GC", "heap/conn", "goroutines")
	for _, r := range rows {
		t.Logf("%-14s %8d %6d %12.1f %12.1f %12.0f %10.0f %10.0f %10d", r.kind, r.n, r.k,
			float64(r.rss0)/1e6, float64(r.rssN)/1e6, r.perConn, r.afterGC, r.heapPerConn, r.goroutines)
	}
}

func startClient(t *testing.T, addr string, n int, source string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestScaleClient$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("COVET_WS_SCALE_CLIENT=%s,%d,%s", addr, n, source))
	out, _ := cmd.StdoutPipe()
	in, _ := cmd.StdinPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &child{cmd: cmd, in: in, out: bufio.NewReader(out), addr: addr}
}

// TestScaleClient is a client process of TestScaleSharded: it dials n idle
// connections, says OK, and holds them until its stdin closes.
func TestScaleClient(t *testing.T) {
	v := os.Getenv("COVET_WS_SCALE_CLIENT")
	if v == "" {
		t.Skip("client process of TestScaleSharded")
	}
	f := strings.Split(v, ",")
	addr, source := f[0], ""
	n, _ := strconv.Atoi(f[1])
	if len(f) > 2 {
		source = f[2]
	}
	raiseNoFile(t)
	conns := dialManyFrom(t, addr, n, false, source)
	fmt.Println("OK")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	for _, c := range conns {
		c.Close()
	}
}

// raiseNoFile raises this process's soft limit of open files to its hard
// limit (20,000 on these machines; it cannot be raised further without
// privileges, hence one process per 10,000 connections).
func raiseNoFile(t *testing.T) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			t.Fatal(err)
		}
	}
}
