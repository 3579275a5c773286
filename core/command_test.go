package covet_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/command"
)

type greetIn struct {
	Name string `path:"name"`
}

type greetOut struct {
	Message string `json:"message"`
}

// commandPlugin offers a command, as the orm and openapi plugins do.
type commandPlugin struct{ ran []string }

func (p *commandPlugin) Name() string             { return "cmdplugin" }
func (p *commandPlugin) Install(*covet.App) error { return nil }
func (p *commandPlugin) Commands() []command.Command {
	return []command.Command{
		{Name: "seed", Usage: "[N]", Summary: "seed the database", Run: func(_ context.Context, args []string, out io.Writer) error {
			p.ran = append(p.ran, strings.Join(args, " "))
			_, err := io.WriteString(out, "seeded\n")
			return err
		}},
		{Name: "shared", Summary: "plugin version", Run: func(_ context.Context, _ []string, out io.Writer) error {
			_, err := io.WriteString(out, "plugin\n")
			return err
		}},
	}
}

var _ command.Commander = (*commandPlugin)(nil)

func commandApp(t *testing.T) (*covet.App, *commandPlugin) {
	t.Helper()
	app := covet.New()
	covet.Get(app, "/hello/{name}", func(_ *covet.Context, in *greetIn) (*greetOut, error) {
		return &greetOut{Message: "hello " + in.Name}, nil
	}).Name("hello")
	app.GET("/plain", func(c *covet.Context) error { return c.NoContent(204) })
	p := &commandPlugin{}
	if err := app.Install(p); err != nil {
		t.Fatal(err)
	}
	app.AddCommand(command.Command{Name: "shared", Summary: "app version", Run: func(_ context.Context, _ []string, out io.Writer) error {
		_, err := io.WriteString(out, "app\n")
		return err
	}})
	return app, p
}

func TestRoutesCommand(t *testing.T) {
	app, _ := commandApp(t)
	var out bytes.Buffer
	if err := app.RunCommand(context.Background(), &out, []string{"routes"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and 2 routes, got:\n%s", out.String())
	}
	for _, want := range [][]string{
		{"METHOD", "PATTERN", "NAME", "HANDLER", "IN", "OUT"},
		{"GET", "/hello/{name}", "hello", "command_test.go:", "covet_test.greetIn", "covet_test.greetOut"},
		{"GET", "/plain", "-", "command_test.go:", "-", "-"},
	} {
		found := false
		for _, l := range lines {
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(l, w)
			}
			found = found || ok
		}
		if !found {
			t.Errorf("no line with %q in:\n%s", want, out.String())
		}
	}
}

func TestCommandsFromPluginsAndApp(t *testing.T) {
	app, p := commandApp(t)
	var out bytes.Buffer
	if err := app.RunCommand(context.Background(), &out, []string{"seed", "10"}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "seeded\n" || len(p.ran) != 1 || p.ran[0] != "10" {
		t.Fatalf("seed: out %q, ran %q", out.String(), p.ran)
	}
	out.Reset()
	if err := app.RunCommand(context.Background(), &out, []string{"shared"}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "app\n" {
		t.Fatalf("the app's command should win over the plugin's: %q", out.String())
	}
	out.Reset()
	if err := app.RunCommand(context.Background(), &out, []string{"help"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"help", "routes", "seed", "serve", "shared"} {
		if !strings.Contains(out.String(), "  "+name) {
			t.Errorf("help lacks %q:\n%s", name, out.String())
		}
	}
	err := app.RunCommand(context.Background(), &out, []string{"nope"})
	if err == nil || !strings.Contains(err.Error(), `unknown command "nope"`) || !strings.Contains(err.Error(), "routes") {
		t.Fatalf("unknown command: %v", err)
	}
}

func TestAddCommandRejectsDuplicates(t *testing.T) {
	app := covet.New()
	run := func(context.Context, []string, io.Writer) error { return nil }
	app.AddCommand(command.Command{Name: "x", Run: run})
	defer func() {
		if recover() == nil {
			t.Fatal("a second command x did not panic")
		}
	}()
	app.AddCommand(command.Command{Name: "x", Run: run})
}

func TestServeRefusesInCommandMode(t *testing.T) {
	t.Setenv(command.Env, "1")
	app := covet.New()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := app.ServeContext(context.Background(), ln); !errors.Is(err, command.ErrNoMain) {
		t.Fatalf("ServeContext under %s: %v, want ErrNoMain", command.Env, err)
	}
	if err := app.Run("127.0.0.1:0"); !errors.Is(err, command.ErrNoMain) {
		t.Fatalf("Run under %s: %v, want ErrNoMain", command.Env, err)
	}
	// Main runs the command: the hook is there.
	app.AddCommand(command.Command{Name: "ok", Run: func(context.Context, []string, io.Writer) error { return nil }})
	if err := app.Main(":0", []string{"ok"}); err != nil {
		t.Fatal(err)
	}
}
