package openapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
)

type provUser struct{ Name string }

type provPage struct{ Offset, Limit int }

type provPageIn struct {
	Page int `query:"page" minimum:"1" default:"1" doc:"page number"`
	Size int `query:"size" minimum:"1" maximum:"100" default:"20"`
}

type provAuthParams struct {
	Token string `header:"X-Token" doc:"the caller's token"`
}

type provListIn struct {
	User *provUser
	Page provPage
	Q    string `query:"q"`
}

// TestProvidedParams: the parameters dependency providers read are in the
// document on every route using the provided type, and the provided
// fields themselves are neither parameters nor a request body.
func TestProvidedParams(t *testing.T) {
	app := covet.New()
	covet.Provide(app, func(c *covet.Context) (*provUser, error) {
		return &provUser{Name: c.Request().Header.Get("X-Token")}, nil
	}, covet.ProvideParams(provAuthParams{}))
	covet.ProvideIn(app, func(c *covet.Context, in *provPageIn) (provPage, error) {
		return provPage{Offset: (in.Page - 1) * in.Size, Limit: in.Size}, nil
	})
	covet.Get(app, "/tasks", func(c *covet.Context, in *provListIn) (*[]Task, error) { return &[]Task{}, nil })
	covet.Delete(app, "/tasks/{id}", func(c *covet.Context, in *struct {
		User *provUser
		ID   int `path:"id"`
	}) (*struct{}, error) {
		return nil, nil
	})
	if err := app.Install(openapi.New()); err != nil {
		t.Fatal(err)
	}
	rec := get(t, app, "/openapi.json")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name, In    string
				Description string
				Schema      map[string]any
			}
			RequestBody any
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	params := func(path, method string) map[string]string {
		op, ok := doc.Paths[path][method]
		if !ok {
			t.Fatalf("no %s %s in %v", method, path, doc.Paths)
		}
		if op.RequestBody != nil {
			t.Errorf("%s %s documents a request body: %v", method, path, op.RequestBody)
		}
		m := map[string]string{}
		for _, p := range op.Parameters {
			m[p.In+" "+p.Name] = p.Description
		}
		return m
	}
	list := params("/tasks", "get")
	for _, want := range []string{"query q", "header X-Token", "query page", "query size"} {
		if _, ok := list[want]; !ok {
			t.Errorf("GET /tasks lacks parameter %s: %v", want, list)
		}
	}
	if len(list) != 4 {
		t.Errorf("GET /tasks parameters %v, want 4", list)
	}
	if list["header X-Token"] != "the caller's token" || list["query page"] != "page number" {
		t.Errorf("descriptions lost: %v", list)
	}
	del := params("/tasks/{id}", "delete")
	if _, ok := del["header X-Token"]; !ok || len(del) != 2 {
		t.Errorf("DELETE /tasks/{id} parameters %v, want path id and header X-Token", del)
	}
}
