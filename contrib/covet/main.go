package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Version is the version of this module.
const Version = "0.1.0"

const usage = `usage: covet <command> [arguments]

commands:
  new NAME [--template api|web] [--module PATH] [--no-tidy]   create an app in the new directory NAME
  routes [--dir D]                                            print the app's route table
  openapi [--dir D] [--format json|yaml] [--version 3.1|3.0]  print the app's OpenAPI document
  migrate [--dir D] up|down|status|create NAME                run the app's migrations
  dev [--dir D] [--addr host:port]                            serve, rebuilding and restarting on change
  version                                                     print covet's version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks an error whose message is enough; run prints the usage
// after it.
var errUsage = errors.New("usage")

// run runs the command in args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "new":
		err = cmdNew(args[1:], stdout, stderr)
	case "routes", "openapi", "migrate":
		err = cmdApp(args[0], args[1:], stdout, stderr)
	case "dev":
		err = cmdDev(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "covet "+Version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = fmt.Errorf("unknown command %q", args[0])
		if !errors.Is(err, errUsage) {
			err = fmt.Errorf("%w: %w", errUsage, err)
		}
	}
	if err == nil {
		return 0
	}
	var exit exitError
	if errors.As(err, &exit) {
		return int(exit)
	}
	fmt.Fprintln(stderr, "covet: "+trimUsage(err))
	if errors.Is(err, errUsage) {
		fmt.Fprint(stderr, usage)
		return 2
	}
	return 1
}

// exitError is the exit status of a child whose output was already shown.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func trimUsage(err error) string {
	s := err.Error()
	const p = "usage: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
