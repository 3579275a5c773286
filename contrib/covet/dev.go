package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// debounce is how long dev waits after the last file event before it
// rebuilds: an editor's save is often several events.
const debounce = 150 * time.Millisecond

// cmdDev serves the app in --dir, rebuilding and restarting it when a file
// changes. covet dev itself holds the listening socket and hands it to each
// build of the app as an inherited file descriptor (command.ListenFDEnv in core/command), so
// the socket never closes: while a new build starts, connections wait in
// the socket's backlog instead of being refused. The new process starts
// before the old one is told to stop (SIGTERM, graceful), so both accept for
// a moment and the old one finishes its requests. A failed build is printed
// and the last good build keeps serving.
func cmdDev(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", ".", "the app's directory")
	addr := fs.String("addr", "localhost:8080", "address to listen on")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("%w: dev [--dir D] [--addr host:port]", errUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := newDevServer(*dir, *addr, stdout, stderr)
	if err != nil {
		return err
	}
	return d.run(ctx)
}

type devServer struct {
	dir            string
	ln             net.Listener
	lnFile         *os.File
	tmp            string
	stdout, stderr io.Writer
	watcher        *fsnotify.Watcher
	builds         int
	child          *devChild
}

type devChild struct {
	cmd  *exec.Cmd
	bin  string
	done chan struct{}
}

func newDevServer(dir, addr string, stdout, stderr io.Writer) (*devServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dev: %w", err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("dev: %w", err)
	}
	tmp, err := os.MkdirTemp("", "covet-dev-")
	if err != nil {
		ln.Close()
		f.Close()
		return nil, fmt.Errorf("dev: %w", err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		ln.Close()
		f.Close()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("dev: %w", err)
	}
	d := &devServer{dir: dir, ln: ln, lnFile: f, tmp: tmp, stdout: stdout, stderr: stderr, watcher: w}
	if err := d.watchTree(dir); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *devServer) close() {
	d.watcher.Close()
	d.lnFile.Close()
	d.ln.Close()
	os.RemoveAll(d.tmp)
}

// skipDir reports directories dev does not watch.
func skipDir(name string) bool {
	return name != "." && (strings.HasPrefix(name, ".") || name == "tmp" || name == "vendor" || name == "node_modules" || name == "testdata")
}

// watchTree watches dir and its subdirectories.
func (d *devServer) watchTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			return nil
		}
		if p != dir && skipDir(e.Name()) {
			return filepath.SkipDir
		}
		if err := d.watcher.Add(p); err != nil {
			return fmt.Errorf("dev: watch %s: %w", p, err)
		}
		return nil
	})
}

// relevant reports whether a file event should trigger a rebuild.
func relevant(ev fsnotify.Event) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	base := filepath.Base(ev.Name)
	if strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~") || strings.HasSuffix(base, "_test.go") {
		return false
	}
	switch filepath.Ext(base) {
	case ".go", ".mod", ".sum", ".html", ".gohtml", ".tmpl", ".sql", ".css", ".js", ".json", ".yaml", ".yml", ".toml":
		return true
	}
	return false
}

func (d *devServer) run(ctx context.Context) error {
	defer d.close()
	fmt.Fprintf(d.stdout, "covet dev: listening on http://%s (the socket stays open across rebuilds)\n", d.ln.Addr())
	d.rebuild()
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		var exited chan struct{}
		if d.child != nil {
			exited = d.child.done
		}
		select {
		case <-ctx.Done():
			d.stopChild(d.child)
			fmt.Fprintln(d.stdout, "covet dev: stopped")
			return nil
		case ev, ok := <-d.watcher.Events:
			if !ok {
				return errors.New("dev: file watcher closed")
			}
			if ev.Op&fsnotify.Create != 0 {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() && !skipDir(filepath.Base(ev.Name)) {
					_ = d.watchTree(ev.Name)
				}
			}
			if !relevant(ev) {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(debounce)
			} else {
				timer.Reset(debounce)
			}
			fire = timer.C
		case err, ok := <-d.watcher.Errors:
			if ok {
				fmt.Fprintf(d.stderr, "covet dev: watching files: %v\n", err)
			}
		case <-fire:
			fire = nil
			fmt.Fprintln(d.stdout, "covet dev: change detected, rebuilding")
			d.rebuild()
		case <-exited:
			fmt.Fprintf(d.stderr, "covet dev: the app exited (%v); waiting for a change to rebuild\n", d.child.cmd.ProcessState)
			os.Remove(d.child.bin)
			d.child = nil
		}
	}
}

// rebuild builds the app; on success it starts the new build and then stops
// the old one, on failure it prints the compiler's output and leaves the
// old one serving.
func (d *devServer) rebuild() {
	d.builds++
	bin := filepath.Join(d.tmp, fmt.Sprintf("app-%d", d.builds))
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = d.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Fprintf(d.stderr, "\ncovet dev: BUILD FAILED (%v)\n%s\n", err, indent(string(out)))
		if d.child != nil {
			fmt.Fprintln(d.stderr, "covet dev: the last good build keeps serving; fix the error and save")
		}
		return
	}
	child := &devChild{bin: bin, done: make(chan struct{})}
	child.cmd = exec.Command(bin)
	child.cmd.Dir = d.dir
	child.cmd.Stdout, child.cmd.Stderr = d.stdout, d.stderr
	child.cmd.ExtraFiles = []*os.File{d.lnFile} // fd 3 in the child
	child.cmd.Env = append(os.Environ(), listenFDEnv+"=3")
	if err := child.cmd.Start(); err != nil {
		fmt.Fprintf(d.stderr, "covet dev: start the app: %v\n", err)
		return
	}
	go func() { _ = child.cmd.Wait(); close(child.done) }()
	fmt.Fprintf(d.stdout, "covet dev: built in %s, serving (pid %d)\n", time.Since(start).Round(time.Millisecond), child.cmd.Process.Pid)
	old := d.child
	d.child = child
	d.stopChild(old)
}

// stopChild asks a build to stop (SIGTERM: graceful shutdown) and kills it
// if it has not exited after 10 seconds.
func (d *devServer) stopChild(c *devChild) {
	if c == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	os.Remove(c.bin)
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
