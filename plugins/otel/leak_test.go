package otel_test

import (
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/otel"
	"github.com/covetgo/covet/plugins/otel/oteltest"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
)

// TestFailedStartLeavesNothing installs tracing with an exporter and runs
// covettest.FailedStartLeavesNothing: the app's Start fails after it and
// before it, and it is installed from an Install that fails; no goroutine is
// left behind (goleak), and the rolled-back app answers exactly as one
// without it.
func TestFailedStartLeavesNothing(t *testing.T) {
	newPlugin := func(t *testing.T) covet.Plugin {
		return otel.New(otel.WithExporter(tracetest.NewInMemoryExporter()))
	}
	covettest.FailedStartLeavesNothing(t, newPlugin,
		covettest.LeakVerify(func(t *testing.T) func() {
			ignore := goleak.IgnoreCurrent()
			return func() { goleak.VerifyNone(t, ignore) }
		}),
	)
}

// TestFailedStartLeavesNothingFastPath: the same with the fast path's
// exporter (OTLP/HTTP from the environment, to a receiver).
func TestFailedStartLeavesNothingFastPath(t *testing.T) {
	rv := &oteltest.Receiver{}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	newPlugin := func(t *testing.T) covet.Plugin {
		return otel.New(otel.WithSampler(sdktrace.AlwaysSample()))
	}
	covettest.FailedStartLeavesNothing(t, newPlugin,
		covettest.LeakVerify(func(t *testing.T) func() {
			ignore := goleak.IgnoreCurrent()
			return func() { goleak.VerifyNone(t, ignore) }
		}),
	)
}
