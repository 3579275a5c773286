// Command covet scaffolds, inspects and runs Covet applications.
//
//	covet new NAME [--template api|web] [--module path]   a new app in ./NAME
//	covet routes                                           the app's route table
//	covet openapi [--format json|yaml]                     the app's OpenAPI document
//	covet migrate up|down|status|create NAME               the app's migrations
//	covet dev [--addr host:port]                           rebuild and restart on change
//
// routes, openapi and migrate run `go run . <command>` in the app's
// directory (--dir, default "."): the app answers them itself through
// covet.App.Main (core), so nothing is parsed from its source.
//
// Install it with:
//
//	go install github.com/covetgo/covet/contrib/covet@latest
package main
