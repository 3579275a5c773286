package covet_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	covet "github.com/covetgo/covet/core"
)

type Account struct{ Name string }

type Page struct{ Offset, Limit int }

type PageIn struct {
	Page int `query:"page" minimum:"1" default:"1"`
	Size int `query:"size" minimum:"1" maximum:"50" default:"10"`
}

type ListIn struct {
	Account *Account // filled by its provider
	Page    Page     // filled by its provider, from ?page= and ?size=
	Status  string   `query:"status" enum:"open,done"`
}

// Providers make values injectable into typed handlers, as FastAPI's
// Depends does: a field of a provided type is filled per request, once,
// and the provider's error answers instead of the handler.
func ExampleProvide() {
	app := covet.New()
	covet.Provide(app, func(c *covet.Context) (*Account, error) {
		name := c.Request().Header.Get("X-Account")
		if name == "" {
			return nil, covet.NewError(http.StatusUnauthorized, "who are you?")
		}
		return &Account{Name: name}, nil
	})
	covet.ProvideIn(app, func(c *covet.Context, in *PageIn) (Page, error) {
		return Page{Offset: (in.Page - 1) * in.Size, Limit: in.Size}, nil
	})
	covet.Get(app, "/tasks", func(c *covet.Context, in *ListIn) (*[]string, error) {
		out := []string{fmt.Sprintf("%s: %s tasks %d..%d", in.Account.Name, in.Status, in.Page.Offset, in.Page.Offset+in.Page.Limit)}
		return &out, nil
	})

	get := func(url, account string) {
		r := httptest.NewRequest("GET", url, nil)
		if account != "" {
			r.Header.Set("X-Account", account)
		}
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r)
		b, _ := io.ReadAll(w.Body)
		fmt.Println(w.Code, string(b))
	}
	get("/tasks?status=open&page=3", "ann")
	get("/tasks", "")
	// Output:
	// 200 ["ann: open tasks 20..30"]
	// 401 {"type":"about:blank","title":"Unauthorized","status":401,"detail":"who are you?","instance":"/tasks"}
}
