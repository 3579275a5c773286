package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
)

// newTestApp is the app on a fresh SQLite file, started (migrations
// applied) and stopped at the test's end.
func newTestApp(t *testing.T) (*covettest.Client, *Events) {
	t.Helper()
	hash, err := auth.HashPassword("secret")
	if err != nil {
		t.Fatal(err)
	}
	events := &Events{}
	app, err := NewApp(Config{
		DSN:    "sqlite://" + t.TempDir() + "/items.db",
		Secret: []byte("a test secret of at least 32 bytes!"),
		Users:  map[string]string{"johndoe": hash, "alice": hash},
		Origin: "http://localhost:3000",
		Events: events,
	})
	if err != nil {
		t.Fatal(err)
	}
	return covettest.New(t, covettest.Start(t, app)), events
}

// signIn runs the OAuth2 password grant and returns the bearer header value.
func signIn(t *testing.T, client *covettest.Client, user string) string {
	t.Helper()
	var pair auth.TokenPair
	client.Post("/token").Form(url.Values{"username": {user}, "password": {"secret"}}).Do().
		ExpectStatus(http.StatusOK).Decode(&pair)
	if pair.AccessToken == "" || pair.TokenType != "Bearer" {
		t.Fatalf("token response %+v", pair)
	}
	return "Bearer " + pair.AccessToken
}

// TestTutorial walks FastAPI's tutorial against the app: sign-in, CRUD with
// validation, the provided page, the background task, an upload, CORS, the
// HTML page and the OpenAPI document.
func TestTutorial(t *testing.T) {
	client, events := newTestApp(t)

	// Sign-in: a wrong password is OAuth's invalid_grant; no token, no write.
	client.Post("/token").Form(url.Values{"username": {"johndoe"}, "password": {"nope"}}).Do().
		ExpectStatus(http.StatusBadRequest).ExpectBodyContains(`"error":"invalid_grant"`)
	client.Post("/items").JSON(map[string]any{"name": "Foo", "price": 1}).Do().ExpectStatus(http.StatusUnauthorized)
	john := signIn(t, client, "johndoe")
	client.Get("/users/me").Header("Authorization", john).Do().
		ExpectStatus(http.StatusOK).ExpectJSON(map[string]any{"username": "johndoe", "scopes": []any{"items:write"}})

	// Create, with every failing field listed at once.
	p := client.Post("/items").Header("Authorization", john).JSON(map[string]any{"name": "", "price": -1, "tax": -2}).Do().
		ExpectStatus(http.StatusUnprocessableEntity).Problem()
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	slices.Sort(fields)
	if !slices.Equal(fields, []string{"name", "price", "tax"}) {
		t.Fatalf("422 fields %v, want name, price, tax", fields)
	}
	var foo Item
	client.Post("/items").Header("Authorization", john).JSON(map[string]any{"name": "Foo", "price": 35.4, "tax": 3.2}).Do().
		ExpectStatus(http.StatusCreated).Decode(&foo)
	if foo.ID == 0 || foo.Owner != "johndoe" || foo.Tax == nil || *foo.Tax != 3.2 {
		t.Fatalf("created %+v", foo)
	}
	client.Post("/items").Header("Authorization", john).JSON(map[string]any{"name": "Bar", "price": 62}).Do().
		ExpectStatus(http.StatusCreated)

	// The background task ran after the responses.
	deadline := time.Now().Add(10 * time.Second)
	for len(events.List()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := events.List(); !slices.Contains(got, "created Foo for johndoe") || !slices.Contains(got, "created Bar for johndoe") {
		t.Fatalf("background events %q", got)
	}

	// Read: path, query and the provided page.
	client.Get("/items/" + itoa(foo.ID)).Do().ExpectStatus(http.StatusOK).ExpectBodyContains(`"name":"Foo"`)
	client.Get("/items/999").Do().ExpectStatus(http.StatusNotFound)
	client.Get("/items/abc").Do().ExpectStatus(http.StatusNotFound) // {item_id:int} does not match
	var list []Item
	client.Get("/items").Query("q", "Ba").Do().ExpectStatus(http.StatusOK).Decode(&list)
	if len(list) != 1 || list[0].Name != "Bar" {
		t.Fatalf("search: %+v", list)
	}
	client.Get("/items").Query("skip", "1").Query("limit", "1").Do().ExpectStatus(http.StatusOK).Decode(&list)
	if len(list) != 1 || list[0].Name != "Bar" {
		t.Fatalf("page: %+v", list)
	}
	client.Get("/items").Query("limit", "1000").Do().ExpectStatus(http.StatusUnprocessableEntity).ExpectBodyContains(`"field":"limit"`)

	// Update and delete: the owner only.
	alice := signIn(t, client, "alice")
	client.Put("/items/"+itoa(foo.ID)).Header("Authorization", alice).JSON(map[string]any{"name": "Mine", "price": 1}).Do().
		ExpectStatus(http.StatusNotFound)
	client.Put("/items/"+itoa(foo.ID)).Header("Authorization", john).JSON(map[string]any{"name": "Foo 2", "price": 40}).Do().
		ExpectStatus(http.StatusOK).ExpectBodyContains(`"name":"Foo 2"`)

	// Upload.
	client.Post("/items/"+itoa(foo.ID)+"/image").Header("Authorization", john).File("file", "foo.png", []byte("\x89PNG fake")).Do().
		ExpectStatus(http.StatusOK).ExpectJSON(map[string]any{"filename": "foo.png", "content_type": "image/png", "size": 9})

	// CORS preflight from the front end.
	client.Options("/items").Header("Origin", "http://localhost:3000").Header("Access-Control-Request-Method", "POST").
		Header("Access-Control-Request-Headers", "authorization,content-type").Do().
		ExpectStatus(http.StatusNoContent).ExpectHeader("Access-Control-Allow-Origin", "http://localhost:3000")

	// The HTML page, escaped by html/template.
	client.Post("/items").Header("Authorization", john).JSON(map[string]any{"name": "<b>Baz</b>", "price": 1}).Do().ExpectStatus(http.StatusCreated)
	page := client.Get("/").Do().ExpectStatus(http.StatusOK).ExpectHeader("Content-Type", "text/html; charset=utf-8").Text()
	for _, want := range []string{"<title>Items (3)</title>", "Foo 2: 40.00", "&lt;b&gt;Baz&lt;/b&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}

	client.Delete("/items/"+itoa(foo.ID)).Header("Authorization", alice).Do().ExpectStatus(http.StatusNotFound)
	client.Delete("/items/"+itoa(foo.ID)).Header("Authorization", john).Do().ExpectStatus(http.StatusNoContent)
	client.Get("/items/" + itoa(foo.ID)).Do().ExpectStatus(http.StatusNotFound)
}

// TestOpenAPI checks the document FastAPI users expect at /openapi.json
// and that Swagger UI is served at /docs.
func TestOpenAPI(t *testing.T) {
	client, _ := newTestApp(t)
	client.Get("/docs").Do().ExpectStatus(http.StatusOK).ExpectBodyContains("swagger")
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type  string `json:"type"`
				Flows struct {
					Password struct {
						TokenURL string `json:"tokenUrl"`
					} `json:"password"`
				} `json:"flows"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	client.Get("/openapi.json").Do().ExpectStatus(http.StatusOK).Decode(&doc)
	for path, methods := range map[string][]string{
		"/token": {"post"}, "/users/me": {"get"}, "/items": {"get", "post"},
		"/items/{item_id}": {"get", "put", "delete"}, "/items/{item_id}/image": {"post"},
	} {
		for _, m := range methods {
			if _, ok := doc.Paths[path][m]; !ok {
				t.Errorf("no %s %s in the document", m, path)
			}
		}
	}
	if got := doc.Components.SecuritySchemes[schemePassword].Flows.Password.TokenURL; got != "/token" {
		t.Errorf("password flow token URL %q", got)
	}
	list := string(doc.Paths["/items"]["get"])
	for _, want := range []string{`"skip"`, `"limit"`, `"q"`} {
		if !strings.Contains(list, want) {
			t.Errorf("GET /items does not document %s: %s", want, list)
		}
	}
	if token := string(doc.Paths["/token"]["post"]); !strings.Contains(token, "application/x-www-form-urlencoded") || !strings.Contains(token, `"username"`) {
		t.Errorf("POST /token does not document its form: %s", token)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
