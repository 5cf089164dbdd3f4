package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"go.opentelemetry.io/otel/trace"
)

// QueryObserver is told of every GraphQL request answered, for metrics. It must be safe for
// concurrent use. Nothing passed to it carries a token or a variable.
type QueryObserver interface {
	// QueryFinished reports one finished GraphQL request.
	QueryFinished(QueryRecord)
}

// Query outcomes.
const (
	OutcomeOK       = "ok"       // executed without errors
	OutcomePartial  = "partial"  // executed; some fields failed
	OutcomeRejected = "rejected" // refused before execution (bad request, parse, validation, limits)
)

// QueryRecord describes one GraphQL request once it is answered.
type QueryRecord struct {
	RequestID string
	// Operation is the operation name the client gave, "" when anonymous.
	Operation     string
	Outcome       string
	Status        int
	Duration      time.Duration
	UpstreamCalls int
	// ErrorCodes are the distinct extensions.code values of the answer, sorted.
	ErrorCodes []string
}

// record collects a request's facts while it is served.
type record struct {
	mu        sync.Mutex
	operation string
	executed  bool
	codes     []string
	stats     graph.Stats
}

type recordKey struct{}

func recordFrom(ctx context.Context) *record {
	r, _ := ctx.Value(recordKey{}).(*record)
	return r
}

// observeResponses is a response interceptor that notes, for every answer gqlgen produces
// (refusals included), the operation name, whether it executed, and its error codes.
type ObserveResponses struct {
	maxTokens int // the parser's token limit, for re-reading a refused query's name
}

func (ObserveResponses) ExtensionName() string                          { return "ObserveResponses" }
func (ObserveResponses) Validate(schema graphql.ExecutableSchema) error { return nil }

func (o ObserveResponses) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	rec := recordFrom(ctx)
	if rec == nil || resp == nil {
		return resp
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if graphql.HasOperationContext(ctx) {
		if oc := graphql.GetOperationContext(ctx); oc != nil {
			rec.operation = operationName(oc, o.maxTokens)
		}
	}
	// A refused request is answered without data; an executed one always has some.
	rec.executed = len(resp.Data) > 0
	for _, e := range resp.Errors {
		if code, ok := e.Extensions["code"].(string); ok && !slices.Contains(rec.codes, code) {
			rec.codes = append(rec.codes, code)
		}
	}
	return resp
}

// maxOperationName bounds the operation name in logs, metrics and traces: a name is the client's
// to choose, and a 900 KB one must not become a 900 KB log line.
const maxOperationName = 100

// operationName is the operation's name, also for a request refused before an operation was
// selected: then the client's operationName, or the document's only operation. A name longer
// than maxOperationName is cut there and marked with "...".
func operationName(oc *graphql.OperationContext, maxTokens int) string {
	name := fullOperationName(oc, maxTokens)
	if len(name) > maxOperationName {
		name = strings.ToValidUTF8(name[:maxOperationName], "") + "..."
	}
	return name
}

func fullOperationName(oc *graphql.OperationContext, maxTokens int) string {
	switch {
	case oc.Operation != nil:
		return oc.Operation.Name
	case oc.OperationName != "":
		return oc.OperationName
	case oc.Doc != nil && len(oc.Doc.Operations) == 1:
		return oc.Doc.Operations[0].Name
	case oc.Doc == nil && oc.RawQuery != "":
		// Refused in validation, which leaves no document: parse again, for the name only.
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: oc.RawQuery}, maxTokens)
		if err == nil && len(doc.Operations) == 1 {
			return doc.Operations[0].Name
		}
	}
	return ""
}

// observe gives each request an id (the caller's X-Request-Id when it is sane), counts it in
// flight, and when it is answered writes one log line and reports it to the observer.
func RequestLog(logger *slog.Logger, obs QueryObserver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		rec := &record{}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		ctx := graph.WithStats(context.WithValue(r.Context(), recordKey{}, rec), &rec.stats)
		next.ServeHTTP(sw, r.WithContext(ctx))

		rec.mu.Lock()
		q := QueryRecord{
			RequestID: id, Operation: rec.operation, Status: sw.status, Duration: time.Since(start),
			ErrorCodes: slices.Sorted(slices.Values(rec.codes)),
		}
		q.UpstreamCalls = rec.stats.UpstreamCalls()
		switch {
		case !rec.executed || sw.status != http.StatusOK:
			q.Outcome = OutcomeRejected
		case len(rec.codes) > 0:
			q.Outcome = OutcomePartial
		default:
			q.Outcome = OutcomeOK
		}
		rec.mu.Unlock()
		if r.Method == http.MethodOptions {
			return // a CORS preflight is not a query
		}
		attrs := []slog.Attr{slog.String("request_id", q.RequestID)}
		if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
			// Joins the log line to the request's trace.
			attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "graphql query", append(attrs,
			slog.String("operation", q.Operation),
			slog.String("outcome", q.Outcome),
			slog.Int("status", q.Status),
			slog.Float64("duration_ms", float64(q.Duration.Microseconds())/1000),
			slog.Int("upstream_calls", q.UpstreamCalls),
			slog.Any("error_codes", q.ErrorCodes))...)
		if obs != nil {
			obs.QueryFinished(q)
		}
	})
}

// saneRequestID accepts a caller's request id only if it is short and plain, so it can go into
// logs as is.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// NewObserveResponses returns the response interceptor behind the request log; maxTokens is the
// parser's token limit, for re-reading a refused query's name.
func NewObserveResponses(maxTokens int) ObserveResponses {
	return ObserveResponses{maxTokens: maxTokens}
}
