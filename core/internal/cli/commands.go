package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Merge returns the commands of lists by name, sorted: where names
// collide, a later list wins over an earlier one (App.Commands passes the
// built-in commands, the plugins' and the app's own, in that order). key
// returns a command's name and whether it is usable; unusable ones are
// left out.
func Merge[C any](key func(C) (string, bool), lists ...[]C) []C {
	byName := map[string]C{}
	for _, l := range lists {
		for _, c := range l {
			if name, ok := key(c); ok {
				byName[name] = c
			}
		}
	}
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make([]C, len(names))
	for i, name := range names {
		out[i] = byName[name]
	}
	return out
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
func Find[C any](cmds []C, name func(C) string, args []string) (C, error) {
	var zero C
	if len(args) == 0 {
		return zero, errors.New("covet: no command given")
	}
	var names []string
	for _, c := range cmds {
		if n := name(c); n == args[0] {
			if n == "serve" {
				return zero, errors.New("covet: serve runs through App.Main")
			}
			return c, nil
		}
		names = append(names, name(c))
	}
	return zero, fmt.Errorf("covet: unknown command %q (commands: %s)", args[0], strings.Join(names, ", "))
}

// Add appends cmd, named name, to cmds (App.AddCommand); an empty name, a
// flag-like one, a command without a Run function (hasRun false) or a name
// used twice panics.
func Add[C any](cmds []C, cmd C, name string, hasRun bool, nameOf func(C) string) []C {
	if name == "" || !hasRun || strings.HasPrefix(name, "-") {
		panic(fmt.Sprintf("covet: AddCommand %q: a command needs a name (not a flag) and a Run function", name))
	}
	for _, c := range cmds {
		if nameOf(c) == name {
			panic(fmt.Sprintf("covet: AddCommand: command %q added twice", name))
		}
	}
	return append(cmds, cmd)
}
