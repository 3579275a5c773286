// Package openapi documents a Covet app with OpenAPI 3.1 and 3.0.3 and
// serves the documents with Swagger UI and ReDoc, from embedded assets.
//
// Install the plugin; the document is built once from app.Routes() when
// the app freezes its route table:
//
//	app := covet.New()
//	covet.Get(app, "/tasks/{id:int}", getTask).Summary("Get a task").Tags("tasks")
//	err := app.Install(openapi.New(openapi.WithInfo("Taskboard", "1.0.0")))
//
// It serves /openapi.json and /openapi.yaml, Swagger UI at /docs and ReDoc
// at /redoc (all paths configurable, each hidden from the document).
//
// Schemas come from core's schema registry (schema.NewRegistry, package core/schema), which
// builds them from the same compiled plans the validator runs; this package
// only assembles them into a document and converts them to OpenAPI 3.0.3
// when asked. Typed routes document their parameters, request body (JSON,
// urlencoded or multipart with binary files), success response, a 422 with
// the validation problem when they bind input, and every error documented
// with route.Response as application/problem+json with one shared Problem
// schema. Security schemes registered with app.SecurityScheme (by an auth
// plugin, or the app) and route requirements (route.Security) become
// securitySchemes and per-operation security; this package imports no
// other plugin.
//
// Export and Command write the document without serving it, for CI diffs
// and client generation. Package openapitest checks that an app's
// document lists every route and agrees with its validation.
package openapi
