package tmpl_test

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"testing"
	"testing/fstest"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/tmpl"
)

type Task struct {
	ID    int
	Title string
	Link  string
}

type Page struct {
	Tasks []Task
}

func testFS() fs.FS { return os.DirFS("testdata/templates") }

// newApp returns an app with the engine installed and a log buffer.
func newApp(t *testing.T, fsys fs.FS, opts ...tmpl.Option) (*covet.App, *tmpl.Engine, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	app := covet.New(covet.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), covet.WithDevelopment(false))
	app.GET("/tasks/{id:int}", func(c *covet.Context) error { return nil }).Name("task.show")
	e := tmpl.New(fsys, opts...)
	if err := app.Install(e); err != nil {
		t.Fatal(err)
	}
	return app, e, &logs
}

func mapFS(files map[string]string) fs.FS {
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}
