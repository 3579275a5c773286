// Package openapitest checks an app's OpenAPI document against the app
// itself, in tests:
//
//   - CheckCoverage: every route that is not hidden is an operation of the
//     document, and every operation is a route;
//   - CheckConstraints: the document and the validator agree. For each
//     typed route it builds a valid request from the document's schemas and
//     sends it (it must not be refused with 422); then, for every
//     constraint the document declares (minLength, maxLength, pattern,
//     format, enum, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
//     multipleOf, minItems, maxItems, uniqueItems, required), a request
//     that breaks exactly that constraint must be a 422 naming the field,
//     and leaving out an optional field must not be; and every constraint
//     the input's struct tags declare must be in the document.
//
// "Exactly that constraint" is checked with a reference JSON Schema
// validator (santhosh-tekuri/jsonschema) on the field's schema: a broken
// value is used only when the reference finds that one keyword failing.
//
// Requests go through app.ServeHTTP in-process; they reach the handlers
// when they are valid (the checker creates what a POST creates), so run
// the checks on an app with test storage. WithRequest adds credentials
// when routes need them.
package openapitest
