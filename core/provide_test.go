package covet_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/schema"
)

type pUser struct{ Name string }

type pTenant string

type pPage struct{ Offset, Limit int }

type pPageIn struct {
	Page int `query:"page" minimum:"1" default:"1" doc:"page number"`
	Size int `query:"size" minimum:"1" maximum:"100" default:"20"`
}

type pTokenParams struct {
	Token string `header:"X-Token" doc:"the caller's token"`
}

var errNoUser = errors.New("no such user")

// providerApp provides the user from the X-Token header (counting calls),
// the tenant from the user, and a page from typed query parameters.
func providerApp(t *testing.T, calls *int) *covet.App {
	t.Helper()
	app := covet.New()
	covet.Provide(app, func(c *covet.Context) (*pUser, error) {
		*calls++
		switch tok := c.Request().Header.Get("X-Token"); tok {
		case "":
			return nil, covet.NewError(http.StatusUnauthorized, "a token is required")
		case "unknown":
			return nil, errNoUser
		case "boom":
			panic("provider exploded")
		default:
			return &pUser{Name: tok}, nil
		}
	}, covet.ProvideParams(pTokenParams{}))
	covet.Provide(app, func(c *covet.Context) (pTenant, error) {
		u, err := covet.Resolve[*pUser](c)
		if err != nil {
			return "", err
		}
		return pTenant("t-" + u.Name), nil
	}, covet.DependsOn[*pUser]())
	covet.ProvideIn(app, func(c *covet.Context, in *pPageIn) (pPage, error) {
		return pPage{Offset: (in.Page - 1) * in.Size, Limit: in.Size}, nil
	})
	covet.TranslateError(app, func(c *covet.Context, e error) *covet.Error {
		if errors.Is(e, errNoUser) {
			return covet.NewError(http.StatusForbidden, "unknown user")
		}
		return nil
	})
	return app
}

type pListIn struct {
	User   *pUser
	Tenant pTenant
	Page   pPage
	Q      string `query:"q"`
}

type pListOut struct {
	User   string `json:"user"`
	Tenant string `json:"tenant"`
	Offset int    `json:"offset"`
	Limit  int    `json:"limit"`
	Q      string `json:"q"`
	Again  string `json:"again"`
}

func TestProvide(t *testing.T) {
	var calls int
	app := providerApp(t, &calls)
	covet.Get(app, "/items", func(c *covet.Context, in *pListIn) (*pListOut, error) {
		again, err := covet.Resolve[*pUser](c) // cached: no second call
		if err != nil {
			return nil, err
		}
		return &pListOut{User: in.User.Name, Tenant: string(in.Tenant), Offset: in.Page.Offset, Limit: in.Page.Limit, Q: in.Q, Again: again.Name}, nil
	})
	covet.Post(app, "/notes", func(c *covet.Context, in *struct {
		User *pUser
		Body struct {
			Text string `json:"text"`
		}
	}) (*pListOut, error) {
		return &pListOut{User: in.User.Name, Q: in.Body.Text}, nil
	})
	cl := covettest.New(t, app)

	t.Run("resolved once per request", func(t *testing.T) {
		calls = 0
		cl.Get("/items").Header("X-Token", "ann").Query("page", "3").Query("size", "10").Query("q", "x").Do().
			ExpectStatus(200).
			ExpectJSON(map[string]any{"user": "ann", "tenant": "t-ann", "offset": 20, "limit": 10, "q": "x", "again": "ann"})
		if calls != 1 {
			t.Fatalf("user provider called %d times in one request, want 1", calls)
		}
		cl.Get("/items").Header("X-Token", "bob").Do().ExpectStatus(200).
			ExpectJSON(map[string]any{"user": "bob", "tenant": "t-bob", "offset": 0, "limit": 20, "q": "", "again": "bob"})
		if calls != 2 {
			t.Fatalf("user provider called %d times in two requests, want 2 (no cache across requests)", calls)
		}
	})
	t.Run("provider error keeps its status", func(t *testing.T) {
		p := cl.Get("/items").Do().ExpectStatus(401).Problem()
		if p.Detail != "a token is required" {
			t.Fatalf("detail %q", p.Detail)
		}
	})
	t.Run("translators apply", func(t *testing.T) {
		cl.Get("/items").Header("X-Token", "unknown").Do().ExpectStatus(403).ExpectBodyContains("unknown user")
	})
	t.Run("panic is a 500", func(t *testing.T) {
		cl.Get("/items").Header("X-Token", "boom").Do().ExpectStatus(500).ExpectBodyContains(`"status":500`)
	})
	t.Run("provider input is validated", func(t *testing.T) {
		cl.Get("/items").Header("X-Token", "ann").Query("size", "500").Do().ExpectStatus(422).
			ExpectBodyContains(`"field":"size"`)
	})
	t.Run("a JSON body cannot set a provided field", func(t *testing.T) {
		cl.Post("/notes").Header("X-Token", "ann").RawJSON(`{"text":"hi","User":{"Name":"mallory"}}`).Do().
			ExpectStatus(200).ExpectBodyContains(`"user":"ann"`)
	})
}

func TestProvideCycle(t *testing.T) {
	type a struct{ V int }
	type b struct{ V int }
	app := covet.New()
	covet.Provide(app, func(c *covet.Context) (a, error) {
		v, err := covet.Resolve[b](c)
		return a(v), err
	})
	covet.Provide(app, func(c *covet.Context) (b, error) {
		v, err := covet.Resolve[a](c)
		return b(v), err
	})
	var got error
	app.GET("/", func(c *covet.Context) error {
		_, got = covet.Resolve[a](c)
		return got
	})
	covettest.New(t, app).Get("/").Do().ExpectStatus(500)
	if got == nil || !strings.Contains(got.Error(), "provider cycle") || !strings.Contains(got.Error(), "→") {
		t.Fatalf("cycle error = %v", got)
	}
	for _, name := range []string{".a", ".b"} {
		if !strings.Contains(got.Error(), name) {
			t.Fatalf("cycle error %q does not name %s", got, name)
		}
	}
}

func TestProvideRegistrationErrors(t *testing.T) {
	mustPanic := func(t *testing.T, want string, fn func()) {
		t.Helper()
		defer func() {
			t.Helper()
			v := recover()
			if v == nil {
				t.Fatal("no panic")
			}
			if s := v.(string); !strings.Contains(s, want) {
				t.Fatalf("panic %q does not contain %q", s, want)
			}
		}()
		fn()
	}
	t.Run("field without provider", func(t *testing.T) {
		app := covet.New()
		mustPanic(t, "provide_test.go:", func() {
			covet.Get(app, "/", func(c *covet.Context, in *struct {
				User *pUser
				Q    string `query:"q"`
			}) (*pListOut, error) {
				return nil, nil
			})
		})
		mustPanic(t, "covet.Provide", func() {
			covet.Get(app, "/", func(c *covet.Context, in *struct {
				User *pUser
				Q    string `query:"q"`
			}) (*pListOut, error) {
				return nil, nil
			})
		})
	})
	t.Run("twice", func(t *testing.T) {
		app := covet.New()
		covet.Provide(app, func(c *covet.Context) (pTenant, error) { return "", nil })
		mustPanic(t, "already has a provider", func() {
			covet.Provide(app, func(c *covet.Context) (pTenant, error) { return "", nil })
		})
	})
	t.Run("DependsOn before its provider", func(t *testing.T) {
		app := covet.New()
		mustPanic(t, "register it first", func() {
			covet.Provide(app, func(c *covet.Context) (pTenant, error) { return "", nil }, covet.DependsOn[*pUser]())
		})
	})
	t.Run("tagged provided field", func(t *testing.T) {
		app := covet.New()
		covet.Provide(app, func(c *covet.Context) (pTenant, error) { return "", nil })
		mustPanic(t, "filled by a provider", func() {
			covet.Get(app, "/", func(c *covet.Context, in *struct {
				T pTenant `query:"t"`
			}) (*pListOut, error) {
				return nil, nil
			})
		})
	})
	t.Run("provider input with a body", func(t *testing.T) {
		app := covet.New()
		mustPanic(t, "parameters only", func() {
			covet.ProvideIn(app, func(c *covet.Context, in *struct {
				Body struct{ X int }
			}) (pTenant, error) {
				return "", nil
			})
		})
	})
}

// A provider error stops the request before the handler and before the
// route's own input is validated.
func TestProvideRunsFirst(t *testing.T) {
	var calls int
	app := providerApp(t, &calls)
	ran := false
	covet.Get(app, "/x", func(c *covet.Context, in *struct {
		User *pUser
		N    int `query:"n" minimum:"1"`
	}) (*pListOut, error) {
		ran = true
		return &pListOut{}, nil
	})
	covettest.New(t, app).Get("/x").Query("n", "0").Do().ExpectStatus(401)
	if ran {
		t.Fatal("handler ran after its provider failed")
	}
}

func TestProvideDocumented(t *testing.T) {
	var calls int
	app := providerApp(t, &calls)
	covet.Get(app, "/items", func(c *covet.Context, in *pListIn) (*pListOut, error) { return nil, nil })
	covet.Get(app, "/tenant", func(c *covet.Context, in *struct{ T pTenant }) (*pListOut, error) { return nil, nil })
	covet.Get(app, "/plain", func(c *covet.Context, in *struct {
		Q string `query:"q"`
	}) (*pListOut, error) {
		return nil, nil
	})
	reg := schema.NewRegistry("#/components/schemas/")
	routes := app.Routes()
	doc, err := reg.Route(&routes[0])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range doc.Input.Params {
		got = append(got, p.In+" "+p.Name)
	}
	want := "query q,header X-Token,query page,query size"
	if strings.Join(got, ",") != want {
		t.Fatalf("params %v, want %s", got, want)
	}
	if doc.Input.Body != nil {
		t.Fatal("provided fields documented as a body")
	}
	tenant, err := reg.Route(&routes[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(tenant.Input.Params) != 1 || tenant.Input.Params[0].Name != "X-Token" {
		t.Fatalf("a route using the tenant (DependsOn the user) documents %+v, want the X-Token header", tenant.Input.Params)
	}
	plain, err := reg.Route(&routes[2])
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Input.Params) != 1 {
		t.Fatalf("route without providers documents %d params", len(plain.Input.Params))
	}
}

// BenchmarkProvided compares a typed route whose input has one provided
// field (a pointer, so no boxing) with the same route taking a query
// parameter instead:
//
//	go test -run '^$' -bench Provided -benchmem -cpu 1 .
func BenchmarkProvided(b *testing.B) {
	type out struct {
		Name string `json:"name"`
	}
	user := &pUser{Name: "ann"}
	app := covet.New()
	covet.Provide(app, func(c *covet.Context) (*pUser, error) { return user, nil })
	covet.Get(app, "/provided", func(c *covet.Context, in *struct{ User *pUser }) (*out, error) {
		return &out{Name: in.User.Name}, nil
	})
	covet.Get(app, "/query", func(c *covet.Context, in *struct {
		Name string `query:"name"`
	}) (*out, error) {
		return &out{Name: in.Name}, nil
	})
	for _, path := range []string{"/provided", "/query?name=ann"} {
		b.Run("route="+strings.SplitN(path[1:], "?", 2)[0], func(b *testing.B) {
			req := httptest.NewRequest("GET", path, nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				app.ServeHTTP(w, req)
			}
		})
	}
}
