package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAppCommands: routes, openapi and migrate run the app's own commands
// in a new app.
func TestAppCommands(t *testing.T) {
	app := newLocalApp(t, "cmds")
	t.Chdir(app)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"routes"}, []string{"METHOD", "GET     /hello/{name}", "main.HelloInput", "POST    /notes", "notes.create", "main.Note"}},
		{[]string{"openapi", "--format", "yaml"}, []string{`openapi: "3.1.0"`, "/hello/{name}:"}},
		{[]string{"openapi"}, []string{`"openapi": "3.1.0"`}},
		{[]string{"migrate", "status"}, []string{"pending  001_notes"}},
		{[]string{"migrate", "up"}, []string{"applied 001_notes"}},
		{[]string{"migrate", "status"}, []string{"applied  001_notes"}},
		{[]string{"migrate", "create", "add_tags"}, []string{"created migrations/002_add_tags.up.sql"}},
	} {
		code, out, errOut := runCLI(t, tt.args...)
		if code != 0 {
			t.Fatalf("covet %s: exit %d\n%s%s", strings.Join(tt.args, " "), code, out, errOut)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("covet %s: output lacks %q:\n%.600s", strings.Join(tt.args, " "), w, out)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(app, "cmds.db")); err != nil {
		t.Errorf("migrate up made no database: %v", err)
	}
	// The app's own error passes through with its exit status.
	code, _, errOut := runCLI(t, "migrate", "sideways")
	if code == 0 || !strings.Contains(errOut, `unknown command "sideways"`) {
		t.Errorf("migrate sideways: exit %d\n%s", code, errOut)
	}
}

// TestAppWithoutHook: an app whose main calls Run gets a clear message
// (and is not left serving); an app without the openapi plugin is told to
// install it.
func TestAppWithoutHook(t *testing.T) {
	app := newLocalApp(t, "nohook")
	t.Chdir(app)
	main := `package main

import (
	"log"

	covet "github.com/covetgo/covet/core"
)

func main() {
	app := covet.New()
	app.GET("/", func(c *covet.Context) error { return c.Text(200, "hi") })
	if err := app.Run("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
}
`
	writeFile(t, "main.go", main)
	os.Remove("app.go")
	os.Remove("app_test.go")
	code, _, errOut := runCLI(t, "routes")
	if code != 1 || !strings.Contains(errOut, "has no command hook") || !strings.Contains(errOut, "app.Main(addr, os.Args[1:])") {
		t.Fatalf("routes without the hook: exit %d\n%s", code, errOut)
	}

	writeFile(t, "main.go", strings.Replace(main, `app.Run("127.0.0.1:0")`, `app.Main("127.0.0.1:0", os.Args[1:])`, 1))
	writeFile(t, "main.go", strings.Replace(readFile(t, "main.go"), `"log"`, "\"log\"\n\t\"os\"", 1))
	code, out, errOut := runCLI(t, "routes")
	if code != 0 || !strings.Contains(out, "GET     /") {
		t.Fatalf("routes with the hook: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "openapi")
	if code != 1 || !strings.Contains(errOut, `has no "openapi" command`) || !strings.Contains(errOut, "openapi.New()") {
		t.Fatalf("openapi without the plugin: exit %d\n%s", code, errOut)
	}
}

func TestAppCommandNotAnApp(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, errOut := runCLI(t, "routes")
	if code != 1 || !strings.Contains(errOut, "not a Go application directory") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
}

func writeFile(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
