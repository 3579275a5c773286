// Package command is what an application's own subcommands are made of:
// the Command that covet.App.AddCommand adds and covet.App.Main runs
// (`go run . routes`, `./app migrate up`), the Commander interface of
// plugins that offer commands, and what the covet command-line tool
// (contrib/covet) and App.Main agree on. It does not import covet.
package command

import (
	"context"
	"errors"
	"io"
)

// Command is a subcommand of an application's own binary, run by
// covet.App.Main. The covet command-line tool runs these through the app
// instead of parsing its source.
type Command struct {
	Name    string // the first argument, which selects the command ("migrate")
	Usage   string // the synopsis without the name ("up|down|status|create NAME")
	Summary string // one line for the help listing
	// Run runs the command with the arguments after its name, writing its
	// report to out; ctx is canceled on SIGINT or SIGTERM.
	Run func(ctx context.Context, args []string, out io.Writer) error
}

// Commander is a plugin that offers commands to covet.App.Main (orm's
// "migrate", openapi's "openapi"). Commands is called when a command runs,
// after every plugin was installed.
type Commander interface {
	Commands() []Command
}

// ErrNoMain is returned by covet's Run, Serve and ServeContext when the
// covet tool started the process to run a command (Env is set) but the app
// serves without App.Main, so the tool reports it instead of waiting.
var ErrNoMain = errors.New("covet: this app does not run commands: its main calls Run or Serve instead of App.Main (see covet.App.Main)")

// Env is the environment variable the covet tool sets when it runs an
// app's command; see ErrNoMain.
const Env = "COVET_COMMAND"

// ListenFDEnv is the environment variable that hands covet's Run an
// inherited listening socket by file descriptor number (3 for the first of
// exec.Cmd.ExtraFiles): `covet dev` keeps the socket open across restarts.
const ListenFDEnv = "COVET_LISTEN_FD"
