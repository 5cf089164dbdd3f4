package telemetry

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracingName is the instrumentation scope of the gateway's own spans.
const tracingName = "github.com/itwin-graphql/gateway/graph"

// operationSpans starts a span per GraphQL operation. Upstream calls made while resolving it
// become its children. It records the operation's type and name and, when fields fail, their
// error codes; never the document's literals or the variables.
type OperationSpans struct{ tracer trace.Tracer }

func (OperationSpans) ExtensionName() string                          { return "OperationSpans" }
func (OperationSpans) Validate(schema graphql.ExecutableSchema) error { return nil }

func (o OperationSpans) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	opType, name := "query", ""
	if oc.Operation != nil {
		opType, name = string(oc.Operation.Operation), operationName(oc, 0)
	}
	spanName := "graphql." + opType
	if name != "" {
		spanName += " " + name
	}
	ctx, span := o.tracer.Start(ctx, spanName, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("graphql.operation.type", opType), attribute.String("graphql.operation.name", name)))
	handler := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := handler(ctx)
		if resp != nil && len(resp.Errors) > 0 {
			var codesSeen []string
			for _, e := range resp.Errors {
				if c, ok := e.Extensions["code"].(string); ok && !slices.Contains(codesSeen, c) {
					codesSeen = append(codesSeen, c)
				}
			}
			span.SetAttributes(attribute.StringSlice("graphql.error.codes", codesSeen))
			span.SetStatus(codes.Error, "some fields failed")
		}
		span.End()
		return resp
	}
}

// NewOperationSpans returns the extension that gives each GraphQL operation a span of tp's.
func NewOperationSpans(tp trace.TracerProvider) OperationSpans {
	return OperationSpans{tracer: tp.Tracer(tracingName)}
}
