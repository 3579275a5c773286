package callgrind

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

//go:embed probe/main.go.txt
var probeSource []byte

// Probe checks that valgrind can run a Go binary on this machine: it builds
// a tiny program (runtime lock contention, channels, a GC: the paths where
// the runtime reads the CPU's cycle counter) and runs it under callgrind
// with godebug as its GODEBUG (GODEBUG, the setting Measure uses, unless a
// test passes another). The error, when it fails, carries the end of
// valgrind's output: an instruction valgrind cannot execute shows up there
// as "unhandled instruction bytes" and SIGILL.
func Probe(ctx context.Context, godebug string) error {
	if err := Available(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "covet-callgrind-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), probeSource, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module probe\n\ngo 1.22\n"), 0o644); err != nil {
		return err
	}
	bin := filepath.Join(dir, "probe")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("callgrind: build the probe: %v\n%s", err, out)
	}
	var out bytes.Buffer
	// The probe takes seconds; on a loaded machine a Go program under
	// valgrind (which runs one thread at a time) now and then makes no
	// progress until killed. A second try, with valgrind's fair scheduler,
	// tells such a stall from a machine where valgrind cannot run Go.
	for try, extra := range [][]string{nil, {"--fair-sched=yes"}} {
		out.Reset()
		tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		args := append([]string{"--tool=callgrind", "--callgrind-out-file=" + filepath.Join(dir, "cg.out")}, extra...)
		run := exec.CommandContext(tctx, "valgrind", append(args, bin)...)
		run.Env = append(os.Environ(), "GODEBUG="+godebug, "GOGC=off")
		run.Stdout, run.Stderr = &out, &out
		err = run.Run()
		stalled := tctx.Err() != nil && ctx.Err() == nil
		cancel()
		if !stalled || try == 1 {
			break
		}
	}
	if err == nil && strings.Contains(out.String(), "probe ok") {
		return nil
	}
	if err == nil {
		err = errors.New(`it did not print "probe ok"`)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	var keep []string
	for _, l := range lines {
		// valgrind's banner and summary say nothing about the failure.
		if strings.HasPrefix(l, "==") {
			continue
		}
		keep = append(keep, l)
	}
	if len(keep) > 25 {
		keep = keep[:25]
	}
	return fmt.Errorf("callgrind: valgrind cannot run Go binaries on this machine with GODEBUG=%s (%v); the probe's output begins:\n%s",
		godebug, err, strings.Join(keep, "\n"))
}
