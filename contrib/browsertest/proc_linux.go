package browsertest

import "syscall"

// childAttr makes the kernel kill a browser process when the test binary
// that started it dies, so no browser outlives a killed test run.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
