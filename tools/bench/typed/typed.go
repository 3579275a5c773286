// Package typed holds one typed endpoint written in Covet and in its peers
// (hand-written net/http + encoding/json + go-playground/validator, Gin,
// Echo and Huma v2), doing equal work, so that the benchmarks in this
// package compare them side by side. See the module README for the command
// and the figures.
//
// The endpoint is POST /orgs/{org}/items/{id}?dry_run=true&tag=a&tag=b with
// an X-Request-Source header and a JSON body of ten fields (bounded strings,
// an email, an int range, a float, a bool, an enum, a nested struct, a
// slice), validated, answering a six-field JSON result; invalid input gets
// a 422 problem listing every failing field.
package typed

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	covet "github.com/covetgo/covet/core"
	"github.com/go-playground/validator/v10"
)

// Address is the nested part of the body.
type Address struct {
	City string `json:"city" validate:"required,min=1,max=64" minLength:"1" maxLength:"64"`
	Zip  string `json:"zip" validate:"required,len=5,numeric" pattern:"^[0-9]{5}$"`
}

// ItemBody is the request body. It carries go-playground's validate tags
// (hand-written, Gin, Echo) and the JSON Schema tags Covet and Huma share.
type ItemBody struct {
	Name        string   `json:"name" validate:"required,min=2,max=64" minLength:"2" maxLength:"64"`
	Description string   `json:"description,omitempty" validate:"omitempty,max=256" maxLength:"256"`
	Email       string   `json:"email" validate:"required,email" format:"email"`
	Quantity    int      `json:"quantity" validate:"gte=1,lte=1000" minimum:"1" maximum:"1000"`
	Price       float64  `json:"price" validate:"gte=0,lte=100000" minimum:"0" maximum:"100000"`
	Active      bool     `json:"active"`
	Kind        string   `json:"kind" validate:"required,oneof=book movie music" enum:"book,movie,music"`
	Address     Address  `json:"address" validate:"required"`
	Tags        []string `json:"tags" validate:"max=5" maxItems:"5"`
	SKU         string   `json:"sku" validate:"required,min=3,max=12" minLength:"3" maxLength:"12"`
}

// ItemResult is the response.
type ItemResult struct {
	ID     int      `json:"id"`
	Org    string   `json:"org"`
	Source string   `json:"source"`
	DryRun bool     `json:"dry_run"`
	Tags   []string `json:"tags"`
	Total  float64  `json:"total"`
}

// Request bodies and target.
var (
	ValidBody   = []byte(`{"name":"Widget Pro","description":"A very useful widget","email":"buyer@example.com","quantity":3,"price":19.99,"active":true,"kind":"book","address":{"city":"Springfield","zip":"12345"},"tags":["a","b"],"sku":"WID-001"}`)
	InvalidBody = []byte(`{"name":"Widget Pro","description":"A very useful widget","email":"not-an-email","quantity":5000,"price":19.99,"active":true,"kind":"toy","address":{"city":"Springfield","zip":"12345"},"tags":["a","b"],"sku":"WID-001"}`)
	Target      = "/orgs/acme/items/42?dry_run=true&tag=a&tag=b"
)

func result(id int, org, source string, dryRun bool, tags []string, b *ItemBody) ItemResult {
	return ItemResult{ID: id, Org: org, Source: source, DryRun: dryRun, Tags: tags, Total: b.Price * float64(b.Quantity)}
}

// --- Covet ---

// CovetInput is the typed input of the Covet version.
type CovetInput struct {
	Org    string   `path:"org" minLength:"2" maxLength:"32"`
	ID     int      `path:"id" minimum:"1"`
	DryRun bool     `query:"dry_run"`
	Tag    []string `query:"tag" maxItems:"5"`
	Source string   `header:"X-Request-Source" enum:"test,web,cli"`
	Body   ItemBody
}

// NewCovet returns the Covet version: one typed route.
func NewCovet() http.Handler {
	app := covet.New(covet.WithLogger(discardLogger()))
	covet.Post(app, "/orgs/{org}/items/{id}", func(c *covet.Context, in *CovetInput) (*ItemResult, error) {
		r := result(in.ID, in.Org, in.Source, in.DryRun, in.Tag, &in.Body)
		return &r, nil
	})
	return app
}

// --- hand-written: ServeMux + encoding/json + go-playground ---

type handInput struct {
	Org    string   `validate:"min=2,max=32" json:"org"`
	ID     int      `validate:"gte=1" json:"id"`
	DryRun bool     `json:"dry_run"`
	Tag    []string `validate:"max=5" json:"tag"`
	Source string   `validate:"oneof=test web cli" json:"X-Request-Source"`
	Body   ItemBody `json:"body"`
}

// FieldProblem is one failing field of the peers' structured 422 body.
type FieldProblem struct {
	Message  string `json:"message"`
	Location string `json:"location"`
}

// Problem is the peers' structured 422 body (Huma's shape without value).
type Problem struct {
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail"`
	Errors []FieldProblem `json:"errors"`
}

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflectStructField) string { return jsonName(f) })
	return v
}

func problemFrom(err error, prefix string) Problem {
	p := Problem{Title: "Unprocessable Entity", Status: 422, Detail: "validation failed"}
	var ves validator.ValidationErrors
	if errors.As(err, &ves) {
		for _, fe := range ves {
			msg := "failed on '" + fe.Tag() + "'"
			if fe.Param() != "" {
				msg += " (" + fe.Param() + ")"
			}
			p.Errors = append(p.Errors, FieldProblem{Message: msg, Location: locationOf(fe.Namespace(), prefix)})
		}
	} else {
		p.Errors = append(p.Errors, FieldProblem{Message: err.Error(), Location: "body"})
	}
	return p
}

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(422)
	_ = json.NewEncoder(w).Encode(p)
}

// NewHandwritten returns the hand-written version.
func NewHandwritten() http.Handler {
	v := newValidator()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orgs/{org}/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		var in handInput
		in.Org = r.PathValue("org")
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			writeProblem(w, Problem{Title: "Unprocessable Entity", Status: 422, Detail: "validation failed", Errors: []FieldProblem{{Message: "must be an integer", Location: "path.id"}}})
			return
		}
		in.ID = id
		q := r.URL.Query()
		in.DryRun, _ = strconv.ParseBool(q.Get("dry_run"))
		in.Tag = q["tag"]
		in.Source = r.Header.Get("X-Request-Source")
		if err := json.NewDecoder(r.Body).Decode(&in.Body); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		if err := v.Struct(&in); err != nil {
			writeProblem(w, problemFrom(err, "handInput"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(result(in.ID, in.Org, in.Source, in.DryRun, in.Tag, &in.Body))
	})
	return mux
}
