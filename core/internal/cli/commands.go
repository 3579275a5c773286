package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/covetgo/covet/core/command"
)

// Merge returns the commands of lists by name, sorted: where names
// collide, a later list wins over an earlier one (App.Commands passes the
// built-in commands, the plugins' and the app's own, in that order).
// Commands without a name or a Run function are left out.
func Merge(lists ...[]command.Command) []command.Command {
	byName := map[string]command.Command{}
	for _, l := range lists {
		for _, c := range l {
			if c.Name != "" && c.Run != nil {
				byName[c.Name] = c
			}
		}
	}
	names := slices.Sorted(maps.Keys(byName))
	out := make([]command.Command, len(names))
	for i, name := range names {
		out[i] = byName[name]
	}
	return out
}

// Builtins returns App.Main's built-in commands: serve (run by Main
// itself), routes (printing the rows routes gives) and help (listing the
// commands all gives).
func Builtins(routes func() []Route, all func() []command.Command) []command.Command {
	return []command.Command{
		{Name: "serve", Usage: "[--addr host:port]", Summary: "serve the app (the default)", Run: func(context.Context, []string, io.Writer) error { return nil }},
		{Name: "routes", Summary: "print the route table", Run: func(_ context.Context, args []string, out io.Writer) error {
			if len(args) > 0 {
				return fmt.Errorf("covet: routes: unexpected argument %q", args[0])
			}
			return PrintRoutes(out, routes())
		}},
		{Name: "help", Summary: "list the commands", Run: func(_ context.Context, _ []string, out io.Writer) error { return PrintHelp(out, all()) }},
	}
}

// ServeArgs reads App.Main's arguments: no argument, a flag first, or
// "serve" mean serving, on addr or on the address --addr gives; anything
// else names a command (serve is false).
func ServeArgs(addr string, args []string) (serveAddr string, serve bool, err error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if args[0] != "serve" {
			return "", false, nil
		}
		args = args[1:]
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&addr, "addr", addr, "address to listen on")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return "", true, errors.New("covet: usage: serve [--addr host:port]")
	}
	return addr, true, nil
}

// Find returns the command args[0] names among cmds (any but serve, which
// runs through App.Main); an unknown name is an error listing the known ones.
func Find(cmds []command.Command, args []string) (command.Command, error) {
	if len(args) == 0 {
		return command.Command{}, errors.New("covet: no command given")
	}
	var names []string
	for _, c := range cmds {
		if c.Name == args[0] {
			if c.Name == "serve" {
				return command.Command{}, errors.New("covet: serve runs through App.Main")
			}
			return c, nil
		}
		names = append(names, c.Name)
	}
	return command.Command{}, fmt.Errorf("covet: unknown command %q (commands: %s)", args[0], strings.Join(names, ", "))
}

// Add appends cmd to cmds (App.AddCommand); an empty name, a flag-like
// one, a command without a Run function or a name used twice panics.
func Add(cmds []command.Command, cmd command.Command) []command.Command {
	if cmd.Name == "" || cmd.Run == nil || strings.HasPrefix(cmd.Name, "-") {
		panic(fmt.Sprintf("covet: AddCommand %q: a command needs a name (not a flag) and a Run function", cmd.Name))
	}
	for _, c := range cmds {
		if c.Name == cmd.Name {
			panic(fmt.Sprintf("covet: AddCommand: command %q added twice", cmd.Name))
		}
	}
	return append(cmds, cmd)
}
