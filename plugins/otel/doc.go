// Package otel traces Covet requests with OpenTelemetry: a server span per
// request named by the route pattern ("GET /tasks/{id}"), with the HTTP
// semantic-convention attributes, W3C trace context and baggage read from
// the request and passed on through the request's context, the response
// status, and errors and panics recorded.
//
//	app := covet.New()
//	err := app.Install(otel.New(otel.WithServiceName("taskboard"), otel.WithSampleRatio(0.1)))
//
// Spans are exported over OTLP as the standard OTEL_* environment variables
// say (OTLP/HTTP built in; gRPC with WithExporter), or go to the provider
// the application passes with WithTracerProvider. Give the same provider to
// bunotel (SQL), redisotel (Redis) and otelhttp (outgoing HTTP) so their
// spans are children of the request's.
//
// When the plugin builds the provider with a standard sampler and exports
// over OTLP/HTTP from the environment, sampled server spans skip the SDK:
// the plugin records them, encodes them as OTLP protobuf and posts them in
// batches itself (README, "Sampled spans without the SDK"; WithFastPath
// turns it off, ExportStats counts what it sent, dropped and failed).
package otel
