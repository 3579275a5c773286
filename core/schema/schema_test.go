package schema_test

import (
	"encoding/json"
	"fmt"
	"github.com/covetgo/covet/core/covettest"
	"reflect"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/schema"
)

// Problem shares its name with covet.Problem, to test component naming.
type Problem struct {
	Code int `json:"code"`
}

type Page[T any] struct {
	Items []T `json:"items"`
	Next  *string
}

type schemaUser struct {
	ID    int64    `json:"id" minimum:"1" doc:"The user's id" example:"7"`
	Email string   `json:"email" format:"email"`
	Role  string   `json:"role" enum:"admin,user" default:"user"`
	Tags  []string `json:"tags,omitempty" maxItems:"3" maxLength:"10" uniqueItems:"true"`
	Small int8     `json:"small,omitempty"`
	Boss  *schemaUser
	Old   string `json:"old,omitempty" deprecated:"true"`
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSchemaRegistry(t *testing.T) {
	reg := schema.NewRegistry("")
	s, err := reg.Schema(reflect.TypeFor[Page[schemaUser]]())
	if err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, s); got != `{"$ref":"#/components/schemas/PageSchemaUser"}` {
		t.Errorf("page ref %s", got)
	}
	comps := reg.Components()
	want := map[string]string{
		"PageSchemaUser": `{"type":"object","properties":{"items":{"type":"array","items":{"$ref":"#/components/schemas/schemaUser"}},"Next":{"type":["string","null"]}},"required":["items"]}`,
		"schemaUser": `{"type":"object","properties":{"id":{"type":"integer","format":"int64","description":"The user's id","examples":[7],"minimum":1},` +
			`"email":{"type":"string","format":"email"},"role":{"type":"string","default":"user","enum":["admin","user"]},` +
			`"tags":{"type":"array","items":{"type":"string","maxLength":10},"maxItems":3,"uniqueItems":true},` +
			`"small":{"type":"integer","format":"int32","minimum":-128,"maximum":127},` +
			`"Boss":{"anyOf":[{"$ref":"#/components/schemas/schemaUser"},{"type":"null"}]},"old":{"type":"string","deprecated":true}},"required":["id","email"]}`,
	}
	for name, w := range want {
		if got := mustJSON(t, comps[name]); got != w {
			t.Errorf("component %s:\n got  %s\n want %s", name, got, w)
		}
	}
	if len(comps) != 2 {
		t.Errorf("components %v", reg.Names())
	}
}

func TestSchemaNamesQualifiedOnlyOnCollision(t *testing.T) {
	reg := schema.NewRegistry("#/$defs/")
	first, _ := reg.Schema(reflect.TypeFor[Problem]())
	if first.Ref != "#/$defs/Problem" {
		t.Fatalf("first ref %s", first.Ref)
	}
	second, _ := reg.Schema(reflect.TypeFor[covet.Problem]())
	// The ref handed out first is renamed in place.
	if first.Ref != "#/$defs/schema_test.Problem" || second.Ref != "#/$defs/covet.Problem" {
		t.Fatalf("refs %s and %s", first.Ref, second.Ref)
	}
	if got := strings.Join(reg.Names(), " "); got != "FieldError covet.Problem schema_test.Problem" {
		t.Errorf("names %s", got)
	}
}

type docIn struct {
	ID     int           `path:"id" doc:"Item id"`
	Limit  int           `query:"limit" default:"10" maximum:"100"`
	Tags   []string      `query:"tag"`
	Token  string        `header:"x-token" required:"true"`
	Title  string        `form:"title" minLength:"1" required:"true"`
	Upload *covet.File   `form:"upload"`
	More   []*covet.File `form:"more"`
}

type docOut struct {
	Location string `header:"Location" doc:"Where the item lives"`
	Body     schemaUser
}

func TestSchemaRouteDoc(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/items/{id}", func(c *covet.Context, in *docIn) (*docOut, error) { return nil, nil }).Status(201)
	covet.Delete(app, "/items/{id}", func(c *covet.Context, in *struct {
		ID int `path:"id"`
	}) (*struct{}, error) {
		return nil, nil
	})
	app.GET("/plain", func(c *covet.Context) error { return nil })
	reg := schema.NewRegistry("")
	routes := app.Routes()
	var docs []*schema.RouteDoc
	for i := range routes {
		d, err := reg.Route(&routes[i])
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	post := docs[0]
	var params []string
	for _, p := range post.Input.Params {
		params = append(params, fmt.Sprintf("%s:%s:%v:%s", p.In, p.Name, p.Required, mustJSON(t, p.Schema)))
	}
	wantParams := []string{
		`path:id:true:{"type":"integer","format":"int64","description":"Item id"}`,
		`query:limit:false:{"type":"integer","format":"int64","default":10,"maximum":100}`,
		`query:tag:false:{"type":"array","items":{"type":"string"}}`,
		`header:X-Token:true:{"type":"string"}`,
	}
	if strings.Join(params, "\n") != strings.Join(wantParams, "\n") {
		t.Errorf("params:\n%s\nwant:\n%s", strings.Join(params, "\n"), strings.Join(wantParams, "\n"))
	}
	body := post.Input.Body
	if body == nil || len(body.Content) != 1 || body.Content[0].ContentType != "multipart/form-data" || !body.Required {
		t.Fatalf("body %+v", body)
	}
	if got := mustJSON(t, body.Content[0].Schema); got != `{"type":"object","properties":{"title":{"type":"string","minLength":1},"upload":{"type":"string","format":"binary"},"more":{"type":"array","items":{"type":"string","format":"binary"}}},"required":["title"]}` {
		t.Errorf("form schema %s", got)
	}
	if !post.Validates || post.Output.Status != 201 || mustJSON(t, post.Output.Body.Schema) != `{"$ref":"#/components/schemas/schemaUser"}` ||
		len(post.Output.Headers) != 1 || post.Output.Headers[0].Name != "Location" {
		t.Errorf("output %+v", post.Output)
	}
	if del := docs[1]; del.Output.Status != 204 || del.Output.Body != nil || !del.Validates {
		t.Errorf("delete %+v", del)
	}
	if plain := docs[len(docs)-1]; plain.Typed || plain.Validates || plain.Output.Body != nil || plain.Output.Status != 200 || !post.Typed {
		t.Errorf("plain %+v", plain)
	}
}

// UUID stands for github.com/google/uuid.UUID (core does not import it):
// any encoding.TextUnmarshaler binds, and a type named UUID is documented
// with format uuid.
type UUID [16]byte

func (u *UUID) UnmarshalText(b []byte) error {
	s := strings.ReplaceAll(string(b), "-", "")
	if len(s) != 32 {
		return fmt.Errorf("invalid UUID length %d", len(b))
	}
	for i := 0; i < 16; i++ {
		var v byte
		if _, err := fmt.Sscanf(s[2*i:2*i+2], "%02x", &v); err != nil {
			return fmt.Errorf("invalid UUID %q", b)
		}
		u[i] = v
	}
	return nil
}

func (u UUID) MarshalText() ([]byte, error) {
	return []byte(fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])), nil
}

func TestTextUnmarshalerParametersAndBodies(t *testing.T) {
	type in struct {
		ID   UUID `path:"id"`
		Body struct {
			Owner UUID `json:"owner"`
		}
	}
	app := covet.New()
	covet.Put(app, "/things/{id}", func(c *covet.Context, in *in) (*map[string]UUID, error) {
		return &map[string]UUID{"id": in.ID, "owner": in.Body.Owner}, nil
	})
	cl := covettest.New(t, app)
	id, owner := "0b0f0a0e-1111-2222-3333-444455556666", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	cl.Put("/things/" + id).RawJSON(`{"owner":"` + owner + `"}`).Do().ExpectStatus(200).ExpectJSON(`{"id":"` + id + `","owner":"` + owner + `"}`)
	p := cl.Put("/things/nope").RawJSON(`{"owner":"x"}`).Do().ExpectStatus(422).Problem()
	if got := fieldSet(p); !strings.Contains(got, "path:id::is not a valid UUID") || !strings.Contains(got, "body:owner:/owner:is not a valid UUID") {
		t.Errorf("%s", got)
	}
	reg := schema.NewRegistry("")
	routes := app.Routes()
	doc, err := reg.Route(&routes[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, doc.Input.Params[0].Schema); got != `{"type":"string","format":"uuid"}` {
		t.Errorf("param schema %s", got)
	}
	if got := mustJSON(t, doc.Input.Body.Content[0].Schema); got != `{"type":"object","properties":{"owner":{"type":"string","format":"uuid"}},"required":["owner"]}` {
		t.Errorf("body schema %s", got)
	}
}

// fieldSet lists a problem's field errors as location:field:pointer:message.
func fieldSet(p covet.Problem) string {
	var s []string
	for _, e := range p.Errors {
		s = append(s, e.Location+":"+e.Field+":"+e.Pointer+":"+e.Message)
	}
	return strings.Join(s, "\n")
}

// schemaOddTags has tag names encoding/json refuses (it then uses the Go
// name; an embedded struct is flattened) and a field named "-".
type schemaOddTags struct {
	Price     float64 `json:"price€"`
	SchemaEmb `json:"emb€"`
	//lint:ignore SA5008 a field named "-"
	Dash string `json:"-,"`
	Skip string `json:"-"`
}

type SchemaEmb struct {
	Inner int `json:"inner"`
}

// TestSchemaUsesEncodingJSONNames: the schema names the properties as
// json.Marshal writes them and json.Unmarshal reads them.
func TestSchemaUsesEncodingJSONNames(t *testing.T) {
	reg := schema.NewRegistry("")
	if _, err := reg.Schema(reflect.TypeFor[schemaOddTags]()); err != nil {
		t.Fatal(err)
	}
	got := mustJSON(t, reg.Components()["schemaOddTags"])
	want := `{"type":"object","properties":{"Price":{"type":"number","format":"double"},"inner":{"type":"integer","format":"int64"},"-":{"type":"string"}},"required":["Price","inner","-"]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	b, err := json.Marshal(schemaOddTags{})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"Price":0,"inner":0,"-":""}` {
		t.Fatalf("encoding/json changed its naming: %s", b)
	}
}

type schemaQuoted struct {
	N int64    `json:"n,string" minimum:"1" doc:"Count"`
	U *uint8   `json:"u,string"`
	F float64  `json:"f,string,omitempty" default:"1.5"`
	B bool     `json:"b,string,omitempty"`
	S string   `json:"s,string,omitempty" example:"x"`
	L []string `json:"l,omitempty"`
}

// TestSchemaQuotedFields: a `,string` field is a string on the wire (the
// value's JSON inside it), as binding and encoding/json read it.
func TestSchemaQuotedFields(t *testing.T) {
	reg := schema.NewRegistry("")
	if _, err := reg.Schema(reflect.TypeFor[schemaQuoted]()); err != nil {
		t.Fatal(err)
	}
	got := mustJSON(t, reg.Components()["schemaQuoted"])
	want := `{"type":"object","properties":{` +
		`"n":{"type":"string","description":"Count (an integer, written in a string)","pattern":"^-?(0|[1-9][0-9]*)$"},` +
		`"u":{"type":["string","null"],"description":"(an integer, written in a string)","pattern":"^(0|[1-9][0-9]*)$"},` +
		`"f":{"type":"string","description":"(a number, written in a string)","default":"1.5","pattern":"^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$"},` +
		`"b":{"type":"string","description":"(true or false, written in a string)","enum":["true","false"]},` +
		`"s":{"type":"string","description":"(a JSON string, written in a string)","examples":["\"x\""]},` +
		`"l":{"type":"array","items":{"type":"string"}}},"required":["n"]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestSchemaJSONNumber: a json.Number is a number (binding also takes a
// string holding one, and null, as encoding/json does).
func TestSchemaJSONNumber(t *testing.T) {
	reg := schema.NewRegistry("")
	s, err := reg.Schema(reflect.TypeFor[struct {
		N json.Number `json:"n"`
	}]())
	if err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, s); got != `{"type":"object","properties":{"n":{"type":["number","null"]}}}` {
		t.Fatalf("got %s", got)
	}
}
