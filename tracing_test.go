package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/telemetry"
)

// TestOperationTrace runs the aggregation query under an in-memory exporter: one operation span
// in the caller's trace, a client span per upstream call below it, trace context sent upstream,
// and no variable recorded anywhere.
func TestOperationTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())

	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	client, err := bentley.NewClient(bentley.WithBaseURL(upstream.URL), bentley.WithHTTPClient(upstreamHTTPClient(tp, 128)))
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	var logsMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		logsMu.Lock()
		defer logsMu.Unlock()
		return logs.Write(p)
	}), nil))
	gw := httptest.NewServer(telemetry.Traced(tp, httpapi.NewHandler(httpapi.Options{
		Client: client, TracerProvider: tp, Logger: logger,
	})))
	defer gw.Close()

	show := emu.Showcase()
	body := fmt.Sprintf(`{"query":"query Aggregation($i: ID!, $m: ID!) { itwin(id: $i) { account { id } member(userId: $m) { user { id } } } }","variables":{"i":%q,"m":%q}}`,
		show.ITwinID, show.MemberID)
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("POST", gw.URL+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+show.Token)
	req.Header.Set("traceparent", "00-"+callerTrace+"-00f067aa0ba902b7-01")
	req.Header.Set("baggage", "user.email=ada@contoso.example,session=SECRET")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The request's log line joins the caller's trace.
	logsMu.Lock()
	line := logs.String()
	logsMu.Unlock()
	if !strings.Contains(line, `"trace_id":"`+callerTrace+`"`) || !strings.Contains(line, `"span_id":"`) {
		t.Errorf("the request's log line carries no trace_id/span_id: %s", line)
	}

	spans := exp.GetSpans()
	var op *tracetest.SpanStub
	for i := range spans {
		if spans[i].Name == "graphql.query Aggregation" {
			op = &spans[i]
		}
	}
	if op == nil {
		t.Fatalf("no operation span among %d spans", len(spans))
	}
	if op.SpanContext.TraceID().String() != callerTrace {
		t.Errorf("operation span is in trace %s, not the caller's", op.SpanContext.TraceID())
	}
	upstreamSpans := 0
	for _, s := range spans {
		if s.SpanKind != trace.SpanKindClient {
			continue
		}
		upstreamSpans++
		if s.Parent.SpanID() != op.SpanContext.SpanID() {
			t.Errorf("upstream span %q is not a child of the operation span", s.Name)
		}
		for _, a := range s.Attributes {
			if strings.Contains(a.Value.Emit(), show.Token) {
				t.Errorf("span %q records the token in %s", s.Name, a.Key)
			}
		}
	}
	if upstreamSpans != 4 {
		t.Errorf("%d upstream client spans, want 4", upstreamSpans)
	}
	for _, r := range emu.Requests() {
		if !strings.HasPrefix(r.TraceParent, "00-"+callerTrace+"-") {
			t.Errorf("%s reached the platform with traceparent %q", r.Endpoint, r.TraceParent)
		}
		if r.Baggage != "" {
			t.Errorf("the caller's baggage reached the platform: %q", r.Baggage)
		}
	}
	// Variables are not recorded: the member id appears only as part of upstream URLs, never in
	// the operation span, and the operation span has no document or variables attribute.
	for _, a := range op.Attributes {
		if v := a.Value.Emit(); strings.Contains(v, show.MemberID) || strings.Contains(v, show.ITwinID) {
			t.Errorf("operation span records a variable in %s", a.Key)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestExporterErrorsAreLoggedAsJSON(t *testing.T) {
	// With tracing on, what the SDK reports (an unreachable collector, say) is a JSON log line.
	g := startGateway(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"})
	otel.Handle(errors.New("export failed: connection refused"))
	if line := g.logs.find("tracing: the span exporter failed"); line == nil || line["error"] != "export failed: connection refused" {
		t.Errorf("exporter error not logged as a JSON line: %v", line)
	}
}

// The upstream transport keeps an idle connection for every call UPSTREAM_MAX_CONCURRENCY allows,
// so bursts at the limit reuse connections instead of churning them.
func TestUpstreamIdleConnectionsFollowConcurrency(t *testing.T) {
	for _, n := range []int{16, 128, 1024} {
		tr := upstreamHTTPClient(nil, n).Transport.(*http.Transport)
		if tr.MaxIdleConnsPerHost < n || tr.MaxIdleConns < n {
			t.Errorf("UPSTREAM_MAX_CONCURRENCY=%d: %d idle connections per host, %d in all", n, tr.MaxIdleConnsPerHost, tr.MaxIdleConns)
		}
	}
}
