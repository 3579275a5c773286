package ws_test

// Memory per idle connection, side by side in one run (opt-in):
//
//	COVET_WS_SCALE=10000 go test -run TestScaleIdleMemory -v -timeout 10m .
//
// Each server runs in a child process (this test binary), so that its RSS
// is its own; the clients (gorilla dialers that never read: no goroutine
// each) stay in the test process. bytes/conn = (RSS(N) - RSS(0)) / N after
// 5 s idle, as the anchor measured (../shared/anchors/websocket-scale.md);
// RSS(0) after one connection was served and closed and a GC returned all
// free memory (see warmUp below). "after GC" is RSS after another forced
// GC and release at the end.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ws"
	gobwas "github.com/gobwas/ws"
	"github.com/gorilla/websocket"
)

func TestScaleIdleMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("COVET_WS_SCALE"))
	if n <= 0 {
		t.Skip("set COVET_WS_SCALE=10000 to measure memory per idle connection")
	}
	kinds := []string{"covet-ws", "gobwas-noloop", "gorilla-tuned", "gorilla-default"}
	if k := os.Getenv("COVET_WS_SCALE_KINDS"); k != "" {
		kinds = strings.Split(k, ",")
	}
	type row struct {
		kind             string
		rss0, rssN       int64
		goroutines       int
		perConn, perGoro float64
		afterGC          float64
		heap, stack      float64 // Go heap in use and goroutine stacks per conn, after a GC
	}
	var rows []row
	for _, kind := range kinds {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestScaleServer$")
		cmd.Env = append(os.Environ(), "COVET_WS_SCALE_SERVER="+kind)
		out, _ := cmd.StdoutPipe()
		stdin, _ := cmd.StdinPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(out)
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		addr := strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
		// RSS(0) is that of a server which has served (one connection,
		// closed: the plugin starts its pollers at the first upgrade, a
		// fixed cost that is not per connection) and holds no garbage
		// (GC, pages returned): the lowest baseline, the same for every
		// server, so that nothing of the baseline is counted as released
		// per connection.
		warmUp(t, addr)
		time.Sleep(2 * time.Second)
		fmt.Fprintln(stdin, "gc")
		_, _ = br.ReadString('\n')
		fmt.Fprintln(stdin, "heap")
		hl0, _ := br.ReadString('\n')
		var heap0, stack0, sys0 int64
		fmt.Sscanf(hl0, "H %d %d %d", &heap0, &stack0, &sys0)
		rss0 := rssOf(cmd.Process.Pid)
		conns := dialManyOpts(t, addr, n, kind == "covet-ws-deflate")
		time.Sleep(5 * time.Second)
		rssN := rssOf(cmd.Process.Pid)
		fmt.Fprintln(stdin, "stats")
		gl, _ := br.ReadString('\n')
		g, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(gl, "G ")))
		fmt.Fprintln(stdin, "heap")
		hl, _ := br.ReadString('\n')
		var heapN, stackN, sysN int64
		fmt.Sscanf(hl, "H %d %d %d", &heapN, &stackN, &sysN)
		fmt.Fprintln(stdin, "gc")
		_, _ = br.ReadString('\n')
		rssGC := rssOf(cmd.Process.Pid)
		rows = append(rows, row{kind: kind, rss0: rss0, rssN: rssN, goroutines: g,
			perConn: float64(rssN-rss0) / float64(n), afterGC: float64(rssGC-rss0) / float64(n), perGoro: float64(g) / float64(n),
			heap: float64(heapN-heap0) / float64(n), stack: float64(stackN-stack0) / float64(n)})
		for _, c := range conns {
			c.Close()
		}
		stdin.Close()
		_ = cmd.Wait()
	}
	t.Logf("N = %d idle connections, %s/%s, GOMAXPROCS %d", n, runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	t.Logf("%-16s %10s %10s %12s %10s %10s %10s %12s %8s", "server", "RSS(0) MB", "RSS(N) MB", "bytes/conn", "after GC", "heap/conn", "stack/conn", "goroutines", "ratio")
	base := rows[0].perConn
	for _, r := range rows {
		t.Logf("%-16s %10.1f %10.1f %12.0f %10.0f %10.0f %10.0f %12d %7.2fx", r.kind, float64(r.rss0)/1e6, float64(r.rssN)/1e6, r.perConn, r.afterGC, r.heap, r.stack, r.goroutines, r.perConn/base)
	}
}

var (
	scaleHub *ws.Hub
	floorMu  sync.Mutex
	floorFDs []int
	// 64 bytes of JSON: a string of 62 characters in quotes.
	bcastPayload = []byte(`"` + strings.Repeat("x", 62) + `"`)
)

// warmUp opens one connection to addr and closes it.
func warmUp(t *testing.T, addr string) {
	for _, c := range dialMany(t, addr, 1) {
		c.Close()
	}
}

// countFDs is the number of open file descriptors of this process.
func countFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}

func rssOf(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func dialMany(t *testing.T, addr string, n int) []*websocket.Conn {
	return dialManyOpts(t, addr, n, false)
}

// dialManyOpts dials n connections; compress offers permessage-deflate
// (and checks that it was negotiated).
func dialManyOpts(t *testing.T, addr string, n int, compress bool) []*websocket.Conn {
	return dialManyFrom(t, addr, n, compress, "")
}

// dialManyFrom is dialManyOpts from the local address source ("" for any).
func dialManyFrom(t *testing.T, addr string, n int, compress bool, source string) []*websocket.Conn {
	nd := &net.Dialer{Timeout: 60 * time.Second}
	if source != "" {
		nd.LocalAddr = &net.TCPAddr{IP: net.ParseIP(source)}
	}
	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	var mu sync.Mutex
	var firstErr error
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			h := http.Header{"Origin": {"http://" + addr}}
			d := websocket.Dialer{ReadBufferSize: 256, WriteBufferSize: 256, EnableCompression: compress,
				NetDialContext: nd.DialContext, HandshakeTimeout: 60 * time.Second}
			c, resp, err := d.Dial("ws://"+addr+"/ws", h)
			if err == nil && compress && resp.Header.Get("Sec-Websocket-Extensions") == "" {
				err = fmt.Errorf("permessage-deflate not negotiated")
			}
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			conns[i] = c
		}(i)
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("dial: %v", firstErr)
	}
	return conns
}

// TestScaleServer is the child process of TestScaleIdleMemory.
func TestScaleServer(t *testing.T) {
	kind := os.Getenv("COVET_WS_SCALE_SERVER")
	if kind == "" {
		t.Skip("child process of TestScaleIdleMemory")
	}
	raiseNoFile(t)
	if os.Getenv("COVET_WS_SCALE_HEAP") != "" {
		runtime.MemProfileRate = 1 // exact profile (inflates RSS: for the breakdown only)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	var keep sync.Map
	switch kind {
	case "covet-ws", "covet-ws-deflate", "covet-ws-notrim":
		app := covet.New()
		opts := []ws.Option{ws.WithPing(time.Hour, time.Hour), ws.WithMaxConnsPerClient(0)} // one client address
		if kind == "covet-ws-deflate" {
			opts = append(opts, ws.WithCompression(1, 64))
		}
		if kind == "covet-ws-notrim" {
			opts = append(opts, ws.WithIdleTrim(0, 0))
		}
		hub := ws.NewHub(opts...)
		scaleHub = hub
		_ = app.Install(hub)
		ws.Handle(app, "/ws", ws.Handler[[]byte]{Hub: hub,
			OnMessage: func(c *ws.Conn, m *[]byte) error { return c.SendText(*m) }})
		if err := app.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		go func() { _ = http.Serve(ln, app) }()
	case "gorilla-default", "gorilla-tuned":
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		if kind == "gorilla-tuned" {
			up.ReadBufferSize, up.WriteBufferSize, up.WriteBufferPool = 256, 256, &sync.Pool{}
		}
		mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			loop := func() {
				for {
					mt, m, err := c.ReadMessage()
					if err != nil {
						c.Close()
						return
					}
					_ = c.WriteMessage(mt, m)
				}
			}
			if kind == "gorilla-tuned" {
				go loop() // the handler returns: net/http's buffers go
				return
			}
			loop()
		})
		go func() { _ = http.Serve(ln, mux) }()
	case "gobwas-noloop":
		// The floor of the epoll designs: a gobwas/ws upgrade, then the
		// connection is only kept (no goroutine, no buffer; an epoll loop
		// adds its registration, not per-connection Go memory).
		go func() {
			u := gobwas.Upgrader{}
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					if _, err := u.Upgrade(c); err != nil {
						c.Close()
						return
					}
					keep.Store(c, struct{}{})
				}()
			}
		}()
	case "covet-serve":
		// The real way: ServeContext until SIGTERM, then exit
		// (TestShutdownUnderLoad).
		app := covet.New(covet.WithServer(covet.ServerConfig{ShutdownTimeout: 10 * time.Second}))
		hub := ws.NewHub(ws.WithMaxConns(200_000), ws.WithMaxConnsPerClient(0)) // one client address
		_ = app.Install(hub)
		ws.Handle(app, "/ws", ws.Handler[[]byte]{Hub: hub,
			OnMessage: func(c *ws.Conn, m *[]byte) error { return c.SendText(*m) }})
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		// What runs before the app serves (the test runner, nbio's default
		// engine, the signal watcher) is not the app's: after the shutdown
		// no more goroutines and file descriptors may remain, less the
		// goroutine of NotifyContext (it ends with the SIGTERM) and the
		// listener (the shutdown closes it).
		goroutines0, fds0 := runtime.NumGoroutine()-1, countFDs()-1
		served := make(chan error, 1)
		go func() { served <- app.ServeContext(ctx, ln) }()
		fmt.Printf("ADDR %s\n", ln.Addr())
		<-ctx.Done()
		signalled := time.Now()
		if err := <-served; err != nil {
			fmt.Printf("ERR %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("SERVED %d\n", time.Since(signalled).Nanoseconds())
		deadline := time.Now().Add(30 * time.Second)
		for (runtime.NumGoroutine() > goroutines0 || countFDs() > fds0) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if g, f := runtime.NumGoroutine(), countFDs(); g > goroutines0 || f > fds0 {
			buf := make([]byte, 1<<20)
			fmt.Fprintf(os.Stderr, "%s\n", buf[:runtime.Stack(buf, true)])
			fmt.Printf("LEFT %d goroutines (%d expected), %d fds (%d expected)\n", g, goroutines0, f, fds0)
			return
		}
		fmt.Println("DONE")
		return
	case "floor":
		// No library: accept TCP connections and keep their fds; a
		// broadcast is one write(2) of the 66-byte frame per socket.
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				rc, err := c.(*net.TCPConn).SyscallConn()
				if err != nil {
					c.Close()
					continue
				}
				_ = rc.Control(func(fd uintptr) {
					floorMu.Lock()
					floorFDs = append(floorFDs, int(fd))
					floorMu.Unlock()
				})
				keep.Store(c, struct{}{})
			}
		}()
	default:
		t.Fatalf("unknown server %q", kind)
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	in := bufio.NewReader(os.Stdin)
	for {
		l, err := in.ReadString('\n')
		if err != nil {
			return
		}
		switch strings.TrimSpace(l) {
		case "stats":
			fmt.Printf("G %d\n", runtime.NumGoroutine())
		case "gc":
			runtime.GC()
			debug.FreeOSMemory()
			fmt.Println("GC")
		case "bcast":
			// One 64-byte message to every connection; the time until the
			// last write returned (a 66-byte frame per socket).
			runtime.LockOSThread() // thread CPU time covers exactly this fan-out
			var ru0, ru1 syscall.Rusage
			_ = syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru0)
			start := time.Now()
			if kind == "floor" {
				frame := append([]byte{0x81, 64}, bcastPayload...)
				floorMu.Lock()
				for _, fd := range floorFDs {
					_, _ = syscall.Write(fd, frame)
				}
				floorMu.Unlock()
			} else {
				_ = scaleHub.BroadcastAll(context.Background(), json.RawMessage(bcastPayload))
			}
			wall := time.Since(start)
			_ = syscall.Getrusage(1, &ru1)
			runtime.UnlockOSThread()
			cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
			fmt.Printf("B %d %d\n", wall.Nanoseconds(), cpu)
		case "heap":
			// Live memory (after a GC; RSS was read before). With
			// COVET_WS_SCALE_HEAP=dir also an exact heap profile per server.
			runtime.GC()
			if dir := os.Getenv("COVET_WS_SCALE_HEAP"); dir != "" {
				f, err := os.Create(filepath.Join(dir, kind+".heap"))
				if err == nil {
					_ = pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Printf("H %d %d %d\n", ms.HeapInuse, ms.StackInuse, ms.Sys-ms.HeapReleased)
		}
	}
}
