package browsertest

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// childAttr makes the kernel kill a browser process when the test binary
// that started it dies, so no browser outlives a killed test run.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// Pdeathsig fires when the OS thread that started the child exits, not the
// process, and Go does end threads (a goroutine that exits while locked to
// its thread takes the thread with it): Xvfb was seen killed moments after
// its start. Children are therefore started from one goroutine locked to a
// thread that lives as long as the test binary.
var (
	spawnOnce sync.Once
	spawnReqs chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func startProcess(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnReqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread must not exit
			for r := range spawnReqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawnReqs <- spawnReq{cmd, done}
	return <-done
}
