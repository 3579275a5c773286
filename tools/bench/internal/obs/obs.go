// Package obs builds the tracer providers of the observability variants of
// the benchmark servers: spans go through the OpenTelemetry SDK, the batch
// span processor and the OTLP exporter's transform and protobuf encoding,
// and only the network write is left out (the client discards the bytes),
// so the figures are the server's own cost.
package obs

import (
	"context"
	"io"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// discardClient is an OTLP client that encodes each batch and drops it.
type discardClient struct{}

func (discardClient) Start(context.Context) error { return nil }
func (discardClient) Stop(context.Context) error  { return nil }
func (discardClient) UploadTraces(_ context.Context, spans []*tracepb.ResourceSpans) error {
	for _, rs := range spans {
		if _, err := proto.Marshal(rs); err != nil {
			return err
		}
	}
	return nil
}

// Provider returns an SDK provider exporting in batches through the OTLP
// exporter to discardClient; sampled says whether every trace is sampled
// (else none is: parent-based never-sample).
func Provider(sampled bool) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(sdktrace.WithSampler(Sampler(sampled)), sdktrace.WithBatcher(Exporter()))
}

// Sampler is the sampler of Provider: always on when sampled, else
// parent-based never-sample.
func Sampler(sampled bool) sdktrace.Sampler {
	if sampled {
		return sdktrace.AlwaysSample()
	}
	return sdktrace.ParentBased(sdktrace.NeverSample())
}

// Exporter is Provider's exporter: the OTLP exporter's transform and
// protobuf encoding, to discardClient. For plugins/otel's own provider
// (otel.WithExporter), which then decides sampling before the SDK.
func Exporter() sdktrace.SpanExporter {
	exp, err := otlptrace.New(context.Background(), discardClient{})
	if err != nil {
		panic(err)
	}
	return exp
}

// discardTransport answers every OTLP/HTTP export 200 after reading its
// body: the request is built and encoded, only the network is left out.
type discardTransport struct{}

func (discardTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/x-protobuf"}}, Body: io.NopCloser(strings.NewReader("")),
		Request: r,
	}, nil
}

// HTTPClient is an HTTP client for OTLP/HTTP exports that reads each
// request and answers 200 without a network (otel.WithHTTPClient): the
// plugin's default OTLP/HTTP path, measured as apps use it, minus the
// network write.
func HTTPClient() *http.Client { return &http.Client{Transport: discardTransport{}} }

// Endpoint is the OTEL_EXPORTER_OTLP_ENDPOINT the servers using HTTPClient
// set (never dialled).
const Endpoint = "http://127.0.0.1:4318"
