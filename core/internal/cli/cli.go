// Package cli holds the mechanics of covet's App.Main: its built-in
// commands (serve, routes, help) and the tables they print, the listening
// socket handed over by `covet dev`, the merging of the commands by name
// and the parsing of serve's arguments. covet's command.go keeps Main and
// RunCommand; Command and Commander are in core/command. It does not import
// covet.
package cli

import (
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/covetgo/covet/core/command"
)

// Route is one row of the route table.
type Route struct {
	Method, Pattern, Name string
	File                  string
	Line                  int
	Input, Output         reflect.Type
}

// PrintRoutes prints the route table: method, pattern, name, handler
// (where it was registered) and the typed input and output.
func PrintRoutes(out io.Writer, routes []Route) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METHOD\tPATTERN\tNAME\tHANDLER\tIN\tOUT")
	for _, r := range routes {
		handler := "-"
		if r.File != "" {
			handler = shortFile(r.File) + ":" + strconv.Itoa(r.Line)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Method, r.Pattern, dash(r.Name), handler, typeName(r.Input), typeName(r.Output))
	}
	return tw.Flush()
}

// PrintHelp prints the command listing.
func PrintHelp(out io.Writer, cmds []command.Command) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "commands:")
	for _, c := range cmds {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.Name, c.Usage, c.Summary)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "-"
	}
	return t.String()
}

// shortFile keeps the last two elements of a path: "cmd/app/main.go".
func shortFile(f string) string {
	parts := strings.Split(f, "/")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}

// ListenerFromEnv returns the listener handed over in the environment
// variable env (the number of an inherited file descriptor), or nil when
// the variable is unset.
func ListenerFromEnv(env string) (net.Listener, error) {
	v := os.Getenv(env)
	if v == "" {
		return nil, nil
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("covet: %s=%q is not an inherited file descriptor (3 or more)", env, v)
	}
	f := os.NewFile(uintptr(fd), "covet-listener")
	ln, err := net.FileListener(f)
	f.Close() // FileListener dup'ed it
	if err != nil {
		return nil, fmt.Errorf("covet: %s=%d: %w", env, fd, err)
	}
	return ln, nil
}
