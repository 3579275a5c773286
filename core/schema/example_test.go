package schema_test

import (
	"encoding/json"
	"fmt"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/schema"
)

type Pet struct {
	Name string   `json:"name" minLength:"1" doc:"The pet's name"`
	Kind string   `json:"kind" enum:"cat,dog"`
	Age  *int     `json:"age" minimum:"0"`
	Tags []string `json:"tags,omitempty" maxItems:"3"`
}

// A documentation plugin describes each route with a Registry: the
// parameters, the request body and the response, from the same compiled
// plans the validator runs, plus one component per named struct.
func ExampleRegistry() {
	app := covet.New()
	covet.Post(app, "/owners/{owner}/pets", func(c *covet.Context, in *struct {
		Owner int `path:"owner" minimum:"1"`
		Body  Pet
	}) (*Pet, error) {
		return &in.Body, nil
	}).Status(201)

	reg := schema.NewRegistry("")
	routes := app.Routes()
	doc, err := reg.Route(&routes[0])
	if err != nil {
		panic(err)
	}
	for _, p := range doc.Input.Params {
		s, _ := json.Marshal(p.Schema)
		fmt.Printf("param %s in %s, required %v: %s\n", p.Name, p.In, p.Required, s)
	}
	body, _ := json.Marshal(doc.Input.Body.Content[0].Schema)
	fmt.Printf("body %s: %s\n", doc.Input.Body.Content[0].ContentType, body)
	out, _ := json.Marshal(doc.Output.Body.Schema)
	fmt.Printf("response %d: %s (validates input: %v)\n", doc.Output.Status, out, doc.Validates)
	pet, _ := json.Marshal(reg.Components()["Pet"])
	fmt.Printf("components: %v\nPet: %s\n", reg.Names(), pet)
	// Output:
	// param owner in path, required true: {"type":"integer","format":"int64","minimum":1}
	// body application/json: {"$ref":"#/components/schemas/Pet"}
	// response 201: {"$ref":"#/components/schemas/Pet"} (validates input: true)
	// components: [Pet]
	// Pet: {"type":"object","properties":{"name":{"type":"string","description":"The pet's name","minLength":1},"kind":{"type":"string","enum":["cat","dog"]},"age":{"type":["integer","null"],"format":"int64","minimum":0},"tags":{"type":"array","items":{"type":"string"},"maxItems":3}},"required":["name","kind"]}
}
