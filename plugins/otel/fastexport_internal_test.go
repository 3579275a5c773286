package otel

import (
	"maps"
	"testing"
	"time"
)

// TestFastConfigFromEnv: the endpoint, headers, timeout, compression and
// batching the fast path reads from the variables otlptracehttp and the
// batch span processor read, and the configurations it leaves to the SDK.
func TestFastConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		url     string // "" when the SDK path is taken
		headers map[string]string
		check   func(t *testing.T, c *fastConfig)
	}{
		{name: "base endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, url: "http://collector:4318/v1/traces",
			check: func(t *testing.T, c *fastConfig) {
				if c.timeout != 10*time.Second || c.batch != 512 || c.queue != 2048 || c.delay != 5*time.Second || c.gzip {
					t.Errorf("defaults %+v", c)
				}
			}},
		{name: "base endpoint with path", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector/otlp/"}, url: "https://collector/otlp/v1/traces"},
		{name: "traces endpoint as is", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:1", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:2/custom"}, url: "http://b:2/custom"},
		{name: "traces endpoint without path", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:2"}, url: "http://b:2/"},
		{name: "insecure", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c:4318", "OTEL_EXPORTER_OTLP_INSECURE": "true"}, url: "http://c:4318/v1/traces"},
		{name: "secure", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "false"}, url: "https://c:4318/v1/traces"},
		{name: "headers, traces ones win", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_HEADERS": "a=1", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "b=x%2Cy, bad key=1,novalue,c = 3 "},
			url: "http://c/v1/traces", headers: map[string]string{"b": "x,y", "c": "3"}},
		{name: "timeout, gzip, batching", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_TIMEOUT": "2500", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip",
			"OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1000", "OTEL_BSP_SCHEDULE_DELAY": "250"}, url: "http://c/v1/traces",
			check: func(t *testing.T, c *fastConfig) {
				if c.timeout != 2500*time.Millisecond || !c.gzip || c.queue != 100 || c.batch != 100 || c.delay != 250*time.Millisecond {
					t.Errorf("config %+v", c)
				}
			}},
		{name: "grpc", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}},
		{name: "http/json", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}},
		{name: "http/protobuf", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, url: "http://c/v1/traces"},
		{name: "certificate", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c", "OTEL_EXPORTER_OTLP_CERTIFICATE": "/ca.pem"}},
		{name: "client certificate", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c", "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": "/c.pem"}},
		{name: "span limits", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "10"}},
		{name: "unknown compression", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}},
		{name: "unix socket", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "unix:///run/otel.sock"}},
		{name: "no endpoint", env: map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
				t.Setenv(k, "")
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, why := fastConfigFromEnv(nil)
			if tc.url == "" {
				if c != nil {
					t.Fatalf("fast path taken with %v (url %s)", tc.env, c.url)
				}
				if why == "" {
					t.Error("no reason given")
				}
				return
			}
			if c == nil {
				t.Fatalf("SDK path: %s", why)
			}
			if c.url != tc.url {
				t.Errorf("url %s, want %s", c.url, tc.url)
			}
			if tc.headers != nil && !maps.Equal(c.headers, tc.headers) {
				t.Errorf("headers %v, want %v", c.headers, tc.headers)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}
