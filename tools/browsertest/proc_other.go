//go:build !linux

package browsertest

import (
	"os/exec"
	"syscall"
)

// childAttr: only Linux can tie a child's life to its parent's.
func childAttr() *syscall.SysProcAttr { return nil }

func startProcess(cmd *exec.Cmd) error { return cmd.Start() }
