package openapi_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"

	"github.com/covetgo/covet/plugins/openapi"
)

func TestCommand(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		ran     bool
		out     string
		wantErr string
	}{
		{"not the command", []string{"serve"}, false, "", ""},
		{"no arguments", nil, false, "", ""},
		{"default", []string{"openapi"}, true, `"openapi": "3.1.0"`, ""},
		{"3.0 YAML", []string{"openapi", "--version", "3.0", "--format", "yaml"}, true, `openapi: "3.0.3"`, ""},
		{"plugin options apply", []string{"openapi"}, true, `"title": "Test API"`, ""},
		{"bad version", []string{"openapi", "--version", "2"}, true, "", "unknown OpenAPI version"},
		{"bad format", []string{"openapi", "--format", "xml"}, true, "", "unknown format"},
		{"bad flag", []string{"openapi", "--nope"}, true, "", "flag provided but not defined"},
		{"extra argument", []string{"openapi", "extra"}, true, "", "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			ran, err := openapi.Command(newTestApp(), tt.args, &out)
			if ran != tt.ran {
				t.Fatalf("ran %v", ran)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tt.out) {
				t.Errorf("output lacks %q: %.200s", tt.out, out.String())
			}
		})
	}
}

// TestMainRunsOpenAPICommand: the installed plugin offers "openapi" to
// covet.App.Main and RunCommand, which `covet openapi` relies on.
func TestMainRunsOpenAPICommand(t *testing.T) {
	app := newTestApp()
	var out bytes.Buffer
	if err := app.RunCommand(context.Background(), &out, []string{"openapi", "--format", "yaml"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "openapi: 3.1.0") && !strings.Contains(out.String(), `openapi: "3.1.0"`) {
		t.Fatalf("not a YAML 3.1 document: %.200s", out.String())
	}
	bare := covet.New()
	if err := bare.RunCommand(context.Background(), &out, []string{"openapi"}); err == nil {
		t.Fatal("openapi ran in an app without the plugin")
	}
}
