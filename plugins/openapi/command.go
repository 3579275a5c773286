package openapi

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/command"
)

// Command runs the "openapi" command of an application's own binary: when
// args (the program's arguments, os.Args[1:]) start with "openapi", it
// writes the app's document to w and returns true; otherwise it does
// nothing and returns false, so main goes on to serve:
//
//	func main() {
//		app := newApp()
//		if ran, err := openapi.Command(app, os.Args[1:], os.Stdout); ran {
//			if err != nil {
//				fmt.Fprintln(os.Stderr, err)
//				os.Exit(2)
//			}
//			return
//		}
//		if err := app.Run(":8080"); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// Then `go run ./cmd/server openapi > openapi.json` exports the document.
// Flags: --version 3.1|3.0 (default: the plugin's), --format json|yaml
// (default json). opts apply on top of the installed plugin's options.
func Command(app *covet.App, args []string, w io.Writer, opts ...Option) (bool, error) {
	if len(args) == 0 || args[0] != "openapi" {
		return false, nil
	}
	fs := flag.NewFlagSet("openapi", flag.ContinueOnError)
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	version := fs.String("version", "", "OpenAPI version: 3.1 or 3.0")
	format := fs.String("format", "json", "encoding: json or yaml")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.PrintDefaults()
			return true, fmt.Errorf("usage: openapi [--version 3.1|3.0] [--format json|yaml]\n%s", usage.String())
		}
		return true, fmt.Errorf("openapi: %v", err)
	}
	if fs.NArg() > 0 {
		return true, fmt.Errorf("openapi: unexpected argument %q (usage: openapi [--version 3.1|3.0] [--format json|yaml])", fs.Arg(0))
	}
	f, err := ParseFormat(*format)
	if err != nil {
		return true, err
	}
	opts = append(opts, WithFormat(f))
	if *version != "" {
		v, err := ParseSpecVersion(*version)
		if err != nil {
			return true, err
		}
		opts = append(opts, WithSpecVersion(v))
	}
	return true, Export(app, w, opts...)
}

var zeroTime time.Time

// joinPath joins a path prefix and a pattern segment with one slash.
func joinPath(prefix, rest string) string {
	for len(prefix) > 0 && prefix[len(prefix)-1] == '/' {
		prefix = prefix[:len(prefix)-1]
	}
	return prefix + "/" + rest
}

// Commands offers the "openapi" command to covet.App.Main, so that
// `go run . openapi [--format yaml]` (and `covet openapi`) prints the
// document of an app with the plugin installed.
func (p *Plugin) Commands() []command.Command {
	return []command.Command{{
		Name:    "openapi",
		Usage:   "[--format json|yaml] [--version 3.1|3.0]",
		Summary: "print the OpenAPI document",
		Run: func(_ context.Context, args []string, out io.Writer) error {
			_, err := Command(p.app, append([]string{"openapi"}, args...), out)
			return err
		},
	}}
}

var _ command.Commander = (*Plugin)(nil)
