package cli

import (
	"context"
	"io"
	"slices"
	"testing"

	"github.com/covetgo/covet/core/command"
)

func TestMerge(t *testing.T) {
	run := func(context.Context, []string, io.Writer) error { return nil }
	cmds := func(from string, names ...string) []command.Command {
		var out []command.Command
		for _, n := range names {
			out = append(out, command.Command{Name: n, Summary: from, Run: run})
		}
		return out
	}
	noRun := command.Command{Name: "broken", Summary: "plugin"}
	got := Merge(cmds("builtin", "serve", "routes", "help"),
		append(cmds("plugin", "migrate", "routes", ""), noRun),
		cmds("app", "routes", "seed"))
	var rows []string
	for _, c := range got {
		rows = append(rows, c.Name+"/"+c.Summary)
	}
	want := []string{"help/builtin", "migrate/plugin", "routes/app", "seed/app", "serve/builtin"}
	if !slices.Equal(rows, want) {
		t.Fatalf("Merge = %v, want %v", rows, want)
	}
}

func TestServeArgs(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		addr  string
		serve bool
		err   bool
	}{
		{nil, ":8080", true, false},
		{[]string{"serve"}, ":8080", true, false},
		{[]string{"--addr", ":9"}, ":9", true, false},
		{[]string{"serve", "--addr=:9"}, ":9", true, false},
		{[]string{"serve", "extra"}, "", true, true},
		{[]string{"--bogus"}, "", true, true},
		{[]string{"routes"}, "", false, false},
		{[]string{"migrate", "--addr", ":9"}, "", false, false},
	} {
		addr, serve, err := ServeArgs(":8080", tc.args)
		if addr != tc.addr || serve != tc.serve || (err != nil) != tc.err {
			t.Errorf("ServeArgs(%q) = %q, %v, %v", tc.args, addr, serve, err)
		}
	}
}
