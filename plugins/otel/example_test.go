package otel_test

import (
	"fmt"
	"net/http/httptest"

	covet "github.com/covetgo/covet/core"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/covetgo/covet/plugins/otel"
)

// Every request gets a server span named by its route pattern; here the
// spans go to an in-memory recorder, as in a test.
func Example() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))

	app := covet.New()
	if err := app.Install(otel.New(otel.WithTracerProvider(tp))); err != nil {
		panic(err)
	}
	app.GET("/tasks/{id:int}", func(c *covet.Context) error { return c.Text(200, "task") })

	req := httptest.NewRequest("GET", "/tasks/42", nil)
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	app.ServeHTTP(httptest.NewRecorder(), req)

	s := rec.Ended()[0]
	fmt.Println(s.Name(), s.SpanKind())
	fmt.Println("trace", s.SpanContext().TraceID(), "parent", s.Parent().SpanID())
	for _, kv := range s.Attributes() {
		if kv.Key == "http.route" || kv.Key == "http.response.status_code" {
			fmt.Println(kv.Key, kv.Value.Emit())
		}
	}
	// Output:
	// GET /tasks/{id:int} server
	// trace 0af7651916cd43dd8448eb211c80319c parent b7ad6b7169203331
	// http.route /tasks/{id:int}
	// http.response.status_code 200
}
