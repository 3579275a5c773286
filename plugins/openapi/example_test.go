package openapi_test

import (
	"fmt"
	"net/http/httptest"
	"os"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
)

type Greeting struct {
	Message string `json:"message" example:"hello, Ada"`
}

type GreetIn struct {
	Name string `path:"name" minLength:"1" maxLength:"40"`
}

func greet(c *covet.Context, in *GreetIn) (*Greeting, error) {
	return &Greeting{Message: "hello, " + in.Name}, nil
}

// Install the plugin: the app serves its OpenAPI document at /openapi.json
// and /openapi.yaml, Swagger UI at /docs and ReDoc at /redoc.
func ExampleNew() {
	app := covet.New()
	covet.Get(app, "/hello/{name}", greet).Summary("Say hello").Tags("greetings")
	if err := app.Install(openapi.New(openapi.WithInfo("Greeter", "1.0.0"))); err != nil {
		panic(err)
	}

	for _, path := range []string{"/openapi.json", "/openapi.yaml", "/docs", "/redoc"} {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Code, rec.Header().Get("Content-Type"))
	}
	// Output:
	// /openapi.json 200 application/json
	// /openapi.yaml 200 application/yaml
	// /docs 200 text/html; charset=utf-8
	// /redoc 200 text/html; charset=utf-8
}

// Export writes the document without serving it (for CI diffs and client
// generators); here in YAML, as OpenAPI 3.0.3.
func ExampleExport() {
	app := covet.New()
	covet.Get(app, "/hello/{name}", greet).Summary("Say hello")
	err := openapi.Export(app, os.Stdout, openapi.WithInfo("Greeter", "1.0.0"),
		openapi.WithSpecVersion(openapi.V30), openapi.WithFormat(openapi.YAML))
	if err != nil {
		panic(err)
	}
	// Output:
	// openapi: "3.0.3"
	// info:
	//   title: Greeter
	//   version: "1.0.0"
	// paths:
	//   /hello/{name}:
	//     get:
	//       summary: Say hello
	//       operationId: getHelloByName
	//       parameters:
	//         - name: name
	//           in: path
	//           required: true
	//           schema:
	//             type: string
	//             minLength: 1
	//             maxLength: 40
	//       responses:
	//         "200":
	//           description: OK
	//           content:
	//             application/json:
	//               schema:
	//                 $ref: "#/components/schemas/Greeting"
	//         "422":
	//           description: "The request does not validate: every failing field is listed in errors."
	//           content:
	//             application/problem+json:
	//               schema:
	//                 $ref: "#/components/schemas/ValidationProblem"
	// components:
	//   schemas:
	//     FieldError:
	//       type: object
	//       properties:
	//         location:
	//           type: string
	//         field:
	//           type: string
	//         pointer:
	//           type: string
	//         message:
	//           type: string
	//         value: {}
	//       required:
	//         - location
	//         - field
	//         - message
	//     Greeting:
	//       type: object
	//       properties:
	//         message:
	//           type: string
	//           example: "hello, Ada"
	//       required:
	//         - message
	//     Problem:
	//       type: object
	//       properties:
	//         type:
	//           type: string
	//         title:
	//           type: string
	//         status:
	//           type: integer
	//           format: int64
	//         detail:
	//           type: string
	//         instance:
	//           type: string
	//         request_id:
	//           type: string
	//         errors:
	//           type: array
	//           items:
	//             $ref: "#/components/schemas/FieldError"
	//       required:
	//         - type
	//         - title
	//         - status
	//     ValidationProblem:
	//       description: "A validation problem (RFC 9457): every field that failed binding or validation, with its location and JSON pointer."
	//       allOf:
	//         - $ref: "#/components/schemas/Problem"
	//         - type: object
	//           properties:
	//             errors:
	//               type: array
	//               items:
	//                 $ref: "#/components/schemas/FieldError"
	//               minItems: 1
	//           required:
	//             - errors
}

// An application's main runs the "openapi" command itself, so
// `go run ./cmd/server openapi --version 3.0 > openapi.json` exports it.
func ExampleCommand() {
	app := covet.New()
	covet.Get(app, "/hello/{name}", greet)
	args := []string{"openapi", "--format", "json"} // os.Args[1:]
	if ran, err := openapi.Command(app, args, os.Stdout); ran {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		return
	}
	// otherwise: app.Run(addr)
}
