package covet

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/covetgo/covet/core/command"
	"github.com/covetgo/covet/core/internal/cli"
)

// AddCommand adds a command App.Main runs when the program's first argument
// is its name. An empty name, a nil Run or a name used twice panics.
func (a *App) AddCommand(cmd command.Command) {
	a.commands = cli.Add(a.commands, cmd)
}

// Commands returns every command App.Main knows, sorted by name: the
// built-in serve, routes and help, the app's (AddCommand) and the installed
// plugins' (command.Commander). Where names collide, the app's own command wins over
// a plugin's, and both over a built-in one.
func (a *App) Commands() []command.Command {
	var fromPlugins []command.Command
	for _, p := range a.plugins {
		if cm, ok := p.(command.Commander); ok {
			fromPlugins = append(fromPlugins, cm.Commands()...)
		}
	}
	return cli.Merge(cli.Builtins(a.routeRows, a.Commands), fromPlugins, a.commands)
}

// Main is an application's whole main function: it runs the command named
// by args (os.Args[1:]) with its output on standard output, or, with no
// arguments or "serve", serves on addr as Run does (serve takes --addr).
// `go run . routes` prints the route table, `go run . help` lists the
// commands; plugins add theirs (`go run . migrate up`).
func (a *App) Main(addr string, args []string) error {
	if addr, serve, err := cli.ServeArgs(addr, args); err != nil {
		return err
	} else if serve {
		a.viaMain.Store(true)
		return a.Run(addr) // Serve handles the signals itself (a second one ends the process)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return a.RunCommand(ctx, os.Stdout, args)
}

// RunCommand runs the command args[0] (any of Commands but serve) with the
// remaining arguments, writing its output to out. An unknown command is an
// error that lists the known ones.
func (a *App) RunCommand(ctx context.Context, out io.Writer, args []string) error {
	c, err := cli.Find(a.Commands(), args)
	if err != nil {
		return err
	}
	return c.Run(ctx, args[1:], out)
}

// routeRows is the route table App.Main's routes command prints.
func (a *App) routeRows() []cli.Route {
	var rows []cli.Route
	for _, r := range a.Routes() {
		rows = append(rows, cli.Route{Method: r.Method, Pattern: r.Pattern, Name: r.Name, File: r.File, Line: r.Line, Input: r.Input, Output: r.Output})
	}
	return rows
}

// commandMode reports whether serving is a mistake (command.ErrNoMain).
func (a *App) commandMode() bool { return os.Getenv(command.Env) != "" && !a.viaMain.Load() }
