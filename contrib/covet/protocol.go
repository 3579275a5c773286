package main

// What covet and core's App.Main agree on (core's command.Env,
// command.ListenFDEnv and command.ErrNoMain). They are copied, not imported, so
// that this module has no dependency on core and no replace directive:
// `go install github.com/covetgo/covet/contrib/covet@version` refuses a
// module whose go.mod replaces anything. TestProtocolMatchesCore keeps the
// copies equal to core's.
const (
	// commandEnv is set when covet runs an app's command.
	commandEnv = "COVET_COMMAND"
	// listenFDEnv names the inherited listening socket covet dev hands over.
	listenFDEnv = "COVET_LISTEN_FD"
	// noMainMessage is the text of core's ErrNoMain.
	noMainMessage = "covet: this app does not run commands: its main calls Run or Serve instead of App.Main (see covet.App.Main)"
)
