package main

import (
	"bufio"
	"debug/elf"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestResidentMemoryAfter10kRequests builds the hello app twice, as its
// README tells: with plain `go build` (with a C compiler present that links
// libc and ld.so for the net package's cgo resolver) and statically with
// `CGO_ENABLED=0 go build`, the way the deployment kit's Dockerfile and
// container images build Go services. Each serves 10,000 requests from 8
// keep-alive clients; the test checks the server's resident memory (VmRSS,
// and the peak VmHWM) in MB (10^6 bytes; /proc reports KiB): the static
// build against issue 21's target, targetMB, the default build against
// guardMB (libc and ld.so add about 1.4 MB of RssFile, which the target
// cannot absorb in every run; see the examples README). Most of the
// file-backed part (RssFile) is the binary's whole mapped image, so the test
// also checks that image's size, which does not depend on the machine's
// load, against imageGuardMB.
func TestResidentMemoryAfter10kRequests(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	for _, b := range []struct {
		name  string
		env   []string
		bound float64
	}{
		{"static (CGO_ENABLED=0)", []string{"CGO_ENABLED=0"}, targetMB},
		{"default go build", nil, guardMB},
	} {
		t.Run(b.name, func(t *testing.T) {
			rss, hwm := residentAfter10k(t, b.env)
			if rss >= b.bound || hwm >= b.bound {
				t.Errorf("resident memory VmRSS %.2f MB / peak %.2f MB, want < %.1f MB (issue 21's target is %.0f MB)", rss, hwm, b.bound, targetMB)
			} else if rss >= targetMB {
				t.Logf("issue 21's target of VmRSS < %.0f MB is not met by this build (%.2f MB)", targetMB, rss)
			}
		})
	}
}

// residentAfter10k builds hello with env added to the environment, checks
// its mapped image, serves 10,000 requests and returns VmRSS and VmHWM in MB.
func residentAfter10k(t *testing.T, env []string) (rssMB, hwmMB float64) {
	bin := filepath.Join(t.TempDir(), "hello")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), env...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	code, ro, data := imageBytes(t, bin)
	image := float64(code+ro+data) / 1e6
	t.Logf("binary's mapped image %.2f MB (code %.2f MB, read-only data and pclntab %.2f MB, data %.2f MB)",
		image, float64(code)/1e6, float64(ro)/1e6, float64(data)/1e6)
	if image >= imageGuardMB {
		t.Errorf("hello's mapped image is %.2f MB, want < %.2f MB: the kernel maps nearly all of it, so it adds to VmRSS byte for byte (see imageGuardMB)", image, imageGuardMB)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-addr", addr)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Second}
	for i := 0; ; i++ {
		res, err := client.Get("http://" + addr + "/plaintext")
		if err == nil {
			res.Body.Close()
			break
		}
		if i > 200 {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(25 * time.Millisecond)
	}
	const total, workers = 10000, 8
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			for i := w; i < total; i += workers {
				path := "/plaintext"
				if i%2 == 1 {
					path = "/json"
				}
				res, err := client.Get("http://" + addr + path)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					errs <- fmt.Errorf("%s: %d", path, res.StatusCode)
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	rss, hwm := procMemKB(t, cmd.Process.Pid)
	anon, file := procKB(t, cmd.Process.Pid, "RssAnon"), procKB(t, cmd.Process.Pid, "RssFile")
	// RssFile is the executable's pages mapped in (the kernel maps pages
	// around each one touched, so it follows the binary's size); RssAnon is
	// the heap (up to the collector's 4 MB minimum goal) and the stacks.
	mb := func(kib int) float64 { return float64(kib) * 1024 / 1e6 }
	t.Logf("after %d requests: VmRSS %.2f MB (RssAnon %.2f MB, RssFile %.2f MB), VmHWM %.2f MB; VmRSS %d KiB",
		total, mb(rss), mb(anon), mb(file), mb(hwm), rss)
	return mb(rss), mb(hwm)
}

// targetMB is issue 21's bound on hello's resident memory after 10,000
// requests, in MB (10^6 bytes). guardMB is the figure measured on
// 2026-12-07, once core stopped linking goccy/go-json, plus about 8 % for a
// loaded machine (VmRSS 14.75, 15.13, 14.85, 15.03, 14.79 MB, VmHWM up to 15.20 MB,
// RssFile 7.9–8.1 MB, RssAnon 6.8–7.0 MB in five runs at load about 20; it
// was 16.4–17.0 MB with goccy): a regression of a megabyte fails. The
// target is met in about half the runs, so the guard cannot be it yet: the
// anonymous part is the Go runtime's floor (net/http alone under the same
// load has the same 6.5–7.3 MB), and the file-backed part follows the
// binary's size (imageGuardMB), of which core is 0.53 MB and
// plugins/settings with the binder and regexp it links 0.63 MB. Built
// static (CGO_ENABLED=0), hello maps no libc or ld.so (1.4 MB less RssFile)
// and meets the target in every run (13.1–13.6 MB at load 53–56).
const (
	targetMB = 15.0
	guardMB  = 16.4
)

// imageGuardMB bounds the file-backed part of hello's loadable segments
// (code, read-only data with the pclntab, initialised data), in MB. On
// Linux 6.18 with ext4 the page cache holds a freshly built (or read)
// binary in large folios and a fault maps the whole folio, so before the
// first request 94 % of the code and all of .rodata are resident, and after
// 10,000 requests about 90 % of the pclntab too, whether or not they run:
// RssFile follows this size, not which functions start-up or the requests
// touch.
// Measured 2026-12-07 with go1.26.8 linux/amd64: 7.29 MB (code 3.32 MB,
// read-only 3.59 MB, data 0.38 MB; 7.30 MB before plugins/settings stopped
// linking godotenv for programs without WithEnvFiles); net/http alone
// serving the same two routes is 6.13 MB. The guard is that plus about 2 %
// (160 kB); re-measure it when the Go version changes.
const imageGuardMB = 7.45

// imageBytes returns the file sizes of bin's loadable segments: executable
// (code), read-only (rodata, pclntab, type links) and writable (data; the
// zero-filled bss is not file-backed).
func imageBytes(t *testing.T, bin string) (code, ro, data uint64) {
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		switch {
		case p.Flags&elf.PF_X != 0:
			code += p.Filesz
		case p.Flags&elf.PF_W != 0:
			data += p.Filesz
		default:
			ro += p.Filesz
		}
	}
	return code, ro, data
}

// procKB returns one kB field of /proc/PID/status.
func procKB(t *testing.T, pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

func procMemKB(t *testing.T, pid int) (rss, hwm int) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm
}

// TestCleanStopExitsZero: SIGTERM stops the app gracefully and the process
// exits 0 (Run returns nil after a clean shutdown; log.Fatal(app.Run(...))
// would print <nil> and exit 1).
func TestCleanStopExitsZero(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hello")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-addr", addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	for i := 0; ; i++ {
		res, err := http.Get("http://" + addr + "/plaintext")
		if err == nil {
			res.Body.Close()
			break
		}
		if i > 200 {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(25 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	waited = true
	if err != nil {
		t.Fatalf("after SIGTERM the app exited with %v, want status 0", err)
	}
}
