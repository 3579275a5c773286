package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestProtocolMatchesCore: the copies in protocol.go say what core says.
func TestProtocolMatchesCore(t *testing.T) {
	root := repoRoot(t)
	if root == "" {
		t.Skip("not in the repository: core's source is not beside this module")
	}
	b, err := os.ReadFile(filepath.Join(root, "core", "command", "command.go"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	for _, want := range []string{
		"const Env = " + strconv.Quote(commandEnv),
		"const ListenFDEnv = " + strconv.Quote(listenFDEnv),
		"errors.New(" + strconv.Quote(noMainMessage) + ")",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("core/command/command.go lacks %s", want)
		}
	}
}
