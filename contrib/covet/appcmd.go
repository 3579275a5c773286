package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// cmdApp runs `go run . <name> <args>` in the app's directory: the app
// answers through covet.App.Main. It sets command.Env (core/command) so that
// an app without that hook fails at once with command.ErrNoMain instead of
// serving.
func cmdApp(name string, args []string, stdout, stderr io.Writer) error {
	dir := "."
	var rest []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--dir" || a == "-dir":
			if i+1 >= len(args) {
				return fmt.Errorf("%w: %s: --dir needs a value", errUsage, name)
			}
			dir = args[i+1]
			i++
		case strings.HasPrefix(a, "--dir=") || strings.HasPrefix(a, "-dir="):
			dir = a[strings.IndexByte(a, '=')+1:]
		default:
			rest = append(rest, a)
		}
	}
	if name == "migrate" && len(rest) == 0 {
		return fmt.Errorf("%w: migrate: missing up, down, status or create NAME", errUsage)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
			return fmt.Errorf("%s: %s is not a Go application directory (no go.mod or main.go); use --dir", name, dir)
		}
	}
	cmd := exec.Command("go", append([]string{"run", ".", name}, rest...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), commandEnv+"="+name)
	var errBuf bytes.Buffer
	cmd.Stdout = stdout
	cmd.Stderr = io.MultiWriter(stderr, &errBuf)
	cmd.Stdin = nil
	err := cmd.Run()
	if err == nil {
		return nil
	}
	msg := errBuf.String()
	switch {
	case strings.Contains(msg, noMainMessage):
		return fmt.Errorf("%s: the app in %s has no command hook: its main serves with Run instead of\n"+
			"  if err := app.Main(addr, os.Args[1:]); err != nil { log.Fatal(err) }\n"+
			"(covet.App.Main, core v0.2.0 or later), so it cannot answer %q", name, absDir(dir), name)
	case strings.Contains(msg, fmt.Sprintf("unknown command %q", name)):
		hint := map[string]string{
			"openapi": "install the openapi plugin: app.Install(openapi.New())",
			"migrate": "install the orm plugin with orm.WithMigrations",
			"routes":  "update core to v0.2.0 or later",
		}[name]
		return fmt.Errorf("%s: the app in %s has no %q command: %s", name, absDir(dir), name, hint)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() > 0 {
		return exitError(exit.ExitCode()) // the app's own message is above
	}
	return fmt.Errorf("%s: go run: %w", name, err)
}

func absDir(dir string) string {
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return dir
}
