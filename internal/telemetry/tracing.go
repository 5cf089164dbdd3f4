package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// serviceName is the default OTEL_SERVICE_NAME.
const serviceName = "itwin-graphql-gateway"

// propagator carries W3C trace context in from callers and out to the platform. Baggage is not
// propagated: it is whatever a caller chose to put there, and the platform is no place for it.
var Propagator = propagation.TraceContext{}

// tracingEnabled applies the standard variables: tracing is on when an OTLP endpoint or a traces
// exporter is configured, and off when none is, when OTEL_TRACES_EXPORTER=none, or when
// OTEL_SDK_DISABLED=true.
func tracingEnabled(getenv func(string) string) (bool, error) {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false, nil
	}
	switch exporter := strings.ToLower(getenv("OTEL_TRACES_EXPORTER")); exporter {
	case "none":
		return false, nil
	case "", "otlp":
		if exporter == "" && getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return false, nil
		}
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not supported; use otlp or none", exporter)
	}
	for _, v := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
		if p := getenv(v); p != "" && p != "http/protobuf" {
			return false, fmt.Errorf("%s: %q is not supported; use http/protobuf", v, p)
		}
	}
	if err := checkSampler(getenv); err != nil {
		return false, err
	}
	return true, nil
}

// samplers are the OTEL_TRACES_SAMPLER values the SDK implements; with any other it silently
// falls back to its default, so an operator's typo would go unnoticed.
var samplers = map[string]bool{
	"always_on": true, "always_off": true, "traceidratio": true,
	"parentbased_always_on": true, "parentbased_always_off": true, "parentbased_traceidratio": true,
}

// checkSampler refuses an unknown OTEL_TRACES_SAMPLER, and a ratio sampler's argument that is not
// a number from 0 to 1, as every other setting is refused at start.
func checkSampler(getenv func(string) string) error {
	sampler := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER"))
	if sampler == "" {
		return nil
	}
	if !samplers[sampler] {
		return fmt.Errorf("OTEL_TRACES_SAMPLER: %q is not a sampler; use always_on, always_off, traceidratio or a parentbased_ one", sampler)
	}
	if arg := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG")); arg != "" && strings.HasSuffix(sampler, "traceidratio") {
		if r, err := strconv.ParseFloat(arg, 64); err != nil || r < 0 || r > 1 {
			return fmt.Errorf("OTEL_TRACES_SAMPLER_ARG: %q is not a ratio from 0 to 1", arg)
		}
	}
	return nil
}

// newTracerProvider returns the OTLP/HTTP tracer provider the OTEL_* variables describe (the
// exporter, sampler and resource read them themselves), or nil when tracing is off.
func NewTracerProvider(ctx context.Context, getenv func(string) string) (*sdktrace.TracerProvider, error) {
	on, err := tracingEnabled(getenv)
	if err != nil || !on {
		return nil, err
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(serviceName)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
		resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res)), nil
}

// traced extracts the caller's trace context, so the operation span joins the caller's trace.
func Traced(tp trace.TracerProvider, h http.Handler) http.Handler {
	if tp == nil {
		return h
	}
	return otelhttp.NewHandler(h, "POST /graphql", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(Propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " /graphql" }))
}

// TracedTransport wraps a transport to the platform with a client span per call and the trace
// context injected into each request; with no tp it is rt itself.
func TracedTransport(tp trace.TracerProvider, rt http.RoundTripper) http.RoundTripper {
	if tp == nil {
		return rt
	}
	return otelhttp.NewTransport(rt,
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(Propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			// "GET itwins": the API, not the path, whose ids would make every name unique.
			api, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
			return r.Method + " " + api
		}))
}
