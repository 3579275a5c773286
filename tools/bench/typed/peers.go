package typed

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"
)

type reflectStructField = reflect.StructField

func jsonName(f reflect.StructField) string {
	name := strings.SplitN(f.Tag.Get("json"), ",", 2)[0]
	if name == "-" {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

// locationOf turns "handInput.body.email" into "body.email" and a
// parameter's namespace into its location.
func locationOf(ns, prefix string) string {
	ns = strings.TrimPrefix(ns, prefix+".")
	switch {
	case strings.HasPrefix(ns, "body."):
		return ns
	case ns == "org" || ns == "id":
		return "path." + ns
	case ns == "X-Request-Source":
		return "header." + ns
	case ns == "tag" || ns == "dry_run":
		return "query." + ns
	}
	if i := strings.IndexByte(ns, '.'); i >= 0 {
		return "body." + ns[i+1:]
	}
	return "body." + ns
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// --- Gin ---

type ginURI struct {
	Org string `uri:"org" validate:"min=2,max=32"`
	ID  int    `uri:"id" validate:"gte=1"`
}

type ginQuery struct {
	DryRun bool     `form:"dry_run"`
	Tag    []string `form:"tag" validate:"max=5"`
}

type ginHeader struct {
	Source string `header:"X-Request-Source" validate:"oneof=test web cli"`
}

// NewGin returns the Gin version (release mode, go-playground switched to
// the validate tag so it shares ItemBody).
func NewGin() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	if v, ok := binding.Validator.Engine().(*validator.Validate); ok {
		v.SetTagName("validate")
		v.RegisterTagNameFunc(jsonName)
	}
	r := gin.New()
	r.POST("/orgs/:org/items/:id", func(c *gin.Context) {
		var uri ginURI
		var q ginQuery
		var h ginHeader
		var body ItemBody
		for _, err := range []error{c.ShouldBindUri(&uri), c.ShouldBindQuery(&q), c.ShouldBindHeader(&h), c.ShouldBindJSON(&body)} {
			if err != nil {
				c.JSON(422, problemFrom(err, "ItemBody"))
				return
			}
		}
		c.JSON(http.StatusOK, result(uri.ID, uri.Org, h.Source, q.DryRun, q.Tag, &body))
	})
	return r
}

// --- Echo ---

type echoInput struct {
	Org    string   `param:"org" validate:"min=2,max=32" json:"-"`
	ID     int      `param:"id" validate:"gte=1" json:"-"`
	DryRun bool     `query:"dry_run" json:"-"`
	Tag    []string `query:"tag" validate:"max=5" json:"-"`
	Source string   `header:"X-Request-Source" validate:"oneof=test web cli" json:"-"`
	Body   ItemBody `json:"body"`
}

type echoValidator struct{ v *validator.Validate }

func (ev echoValidator) Validate(i any) error { return ev.v.Struct(i) }

// NewEcho returns the Echo version: Bind (path and body), then query and
// headers, then the validator.
func NewEcho() http.Handler {
	e := echo.New()
	e.Validator = echoValidator{newValidator()}
	e.POST("/orgs/:org/items/:id", func(c echo.Context) error {
		var in echoInput
		if err := c.Bind(&in.Body); err != nil {
			return err
		}
		b := &echo.DefaultBinder{}
		if err := b.BindPathParams(c, &in); err != nil {
			return err
		}
		if err := b.BindQueryParams(c, &in); err != nil {
			return err
		}
		if err := b.BindHeaders(c, &in); err != nil {
			return err
		}
		if err := c.Validate(&in); err != nil {
			return c.JSON(422, problemFrom(err, "echoInput"))
		}
		return c.JSON(http.StatusOK, result(in.ID, in.Org, in.Source, in.DryRun, in.Tag, &in.Body))
	})
	return e
}

// --- Huma ---

type humaInput struct {
	Org    string   `path:"org" minLength:"2" maxLength:"32"`
	ID     int      `path:"id" minimum:"1"`
	DryRun bool     `query:"dry_run"`
	Tag    []string `query:"tag,explode" maxItems:"5"`
	Source string   `header:"X-Request-Source" enum:"test,web,cli"`
	Body   ItemBody
}

type humaOutput struct {
	Body ItemResult
}

// NewHuma returns the Huma version on net/http's ServeMux (humago), lean
// (DefaultConfig without the $schema link transformer).
func NewHuma() http.Handler {
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("bench", "1.0.0")
	cfg.CreateHooks = nil
	api := humago.New(mux, cfg)
	huma.Register(api, huma.Operation{OperationID: "item", Method: http.MethodPost, Path: "/orgs/{org}/items/{id}"},
		func(ctx context.Context, in *humaInput) (*humaOutput, error) {
			return &humaOutput{Body: result(in.ID, in.Org, in.Source, in.DryRun, in.Tag, &in.Body)}, nil
		})
	return mux
}
