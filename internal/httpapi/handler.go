// Package httpapi is the gateway's HTTP surface: the GraphQL endpoint's assembly around the core
// (gqlgen's server, transports, caches and extensions), GraphQL over HTTP, CORS, the request body
// and document limits, admission (execution places and the body budget), APQ and trusted
// documents, and the refusals made before execution, in the GraphQL error shape.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/auth"
	"github.com/itwin-graphql/gateway/internal/sharedstate"
	"github.com/itwin-graphql/gateway/internal/telemetry"
)

// queryCacheSize is how many parsed and validated query documents are kept: a deployment's
// clients send a small, fixed set of queries, so parsing is paid once per distinct query.
// QueryCacheBytes bounds them too.
const queryCacheSize = 1000

// Defaults of the memory bounds; see Options.
const (
	DefaultQueryCacheBytes = 32 << 20
	DefaultAPQCacheBytes   = 8 << 20
	DefaultMaxInFlight     = 64
)

// astBytesPerQueryByte and ASTBytesPerToken estimate a parsed document's heap from its text: a
// dense document's AST measured about 23 bytes per byte of text (76 per token), and a sparse one
// (a long comment or string) is bounded by its token count instead. ASTBytesPerToken rounds the
// measurement up with room to spare; the parsed-query cache and the worst-case heap both use it.
const (
	astBytesPerQueryByte = 25
	ASTBytesPerToken     = 120
)

// DefaultRequestTimeout bounds one GraphQL request, upstream retries included.
const DefaultRequestTimeout = 30 * time.Second

// Options configures the GraphQL handler.
type Options struct {
	// Client calls the platform.
	Client *bentley.Client
	// Logger receives unexpected errors and panics.
	Logger *slog.Logger
	// BatchWait is how long a batch of keys nobody foresaw stays open (the dataloader's window);
	// DefaultBatchWait when zero.
	BatchWait time.Duration
	// RequestTimeout bounds each request; DefaultRequestTimeout when zero.
	RequestTimeout time.Duration
	// Limits bound each request; zero fields take DefaultLimits.
	Limits graph.Limits
	// DisableIntrospection turns off introspection and "did you mean" suggestions, which
	// reveal the schema, for deployments that do not publish it.
	DisableIntrospection bool
	// Observer, when set, receives per-query records, the admission gauges and loader batch
	// sizes for metrics.
	Observer EndpointObserver
	// CORSAllowedOrigins may call the endpoint from a browser; none when empty, any with "*".
	CORSAllowedOrigins []string
	// APQCacheSize is how many automatic persisted queries are kept; DefaultAPQCacheSize when 0.
	APQCacheSize int
	// APQCacheBytes bounds the persisted queries' text; DefaultAPQCacheBytes when 0.
	APQCacheBytes int64
	// QueryCacheBytes bounds the parsed-query cache, estimated from each document's size and
	// tokens; DefaultQueryCacheBytes when 0.
	QueryCacheBytes int64
	// MaxInFlight bounds the GraphQL requests executing at once; those past it wait up to 2s and
	// then get 503 with OVERLOADED. DefaultMaxInFlight when 0.
	MaxInFlight int
	// MaxInFlightPerCaller is each caller's share of MaxInFlight while others wait;
	// DefaultMaxInFlightPerCaller when 0, negative for none.
	MaxInFlightPerCaller int
	// InFlight, when set, is the in-flight bound shared with other handlers (the plain endpoint
	// and the subgraph count against one limit); MaxInFlight is then unused.
	InFlight *InFlightLimit
	// BodyReadTimeout bounds the reading of one request body; DefaultBodyReadTimeout when 0.
	BodyReadTimeout time.Duration
	// BodyBufferBytes bounds the bytes of all request bodies held at once, read or being read;
	// DefaultBodyBufferBytes when 0. Bodies, when set, is that budget shared with other handlers.
	BodyBufferBytes int64
	Bodies          *BodyBudget
	// Trusted, when set, resolves documentId and APQ hashes from the manifest and, enforced,
	// refuses every other document before parsing.
	Trusted *TrustedDocuments
	// Shared, when set, is the store replicas share (Redis): APQ queries registered on any
	// replica are served by all, kept for SharedAPQTTL.
	Shared       bentley.SharedStore
	SharedAPQTTL time.Duration
	// Subgraph serves the Apollo Federation v2 subgraph schema (graph/subgraph: the same graph
	// plus _service and _entities) instead of the plain one.
	Subgraph bool
	// Authenticate picks each request's platform token; PassThrough when nil.
	Authenticate auth.Func
	// CursorKey, when set, signs connection cursors with HMAC-SHA-256 (every replica needs the
	// same key); without it cursors carry a plain checksum.
	CursorKey []byte
	// TracerProvider, when set, gets a span per GraphQL operation.
	TracerProvider trace.TracerProvider
}

// EndpointObserver receives everything an endpoint measures.
type EndpointObserver interface {
	graph.Observer
	telemetry.QueryObserver
	AdmissionObserver
}

// DefaultAPQCacheSize is the default number of automatic persisted queries kept in memory.
const DefaultAPQCacheSize = 1000

// NewHandler returns the GraphQL endpoint: POST and GET transports, a parsed-query cache,
// introspection, the error presenter, the request limits, and per-request loaders.
func NewHandler(opts Options) http.Handler {
	opts = opts.withDefaults()
	es, extensions := graph.NewSchema(opts.Limits.MaxUserIDs, opts.Logger, opts.Subgraph)
	srv := newServer(es, extensions, opts)
	inFlight := opts.InFlight
	if inFlight == nil {
		inFlight = NewInFlightLimit(opts.MaxInFlight, opts.MaxInFlightPerCaller)
	}
	bodies := opts.Bodies
	if bodies == nil {
		bodies = NewBodyBudget(opts.BodyBufferBytes)
	}
	loaders := graph.LoaderOptions{Wait: opts.BatchWait, CallBudget: opts.Limits.CallBudget, Observer: opts.Observer, CursorKey: opts.CursorKey}
	// The order is the admission order: nothing before the execution slot costs more than the
	// bytes a client has sent, and the slot's share is the authenticated caller's.
	return cors(opts.CORSAllowedOrigins,
		telemetry.RequestLog(opts.Logger, opts.Observer,
			overHTTP(opts.Limits.MaxTokens,
				readBody(opts.Limits.MaxBodyBytes, opts.BodyReadTimeout, bodies.b, opts.Trusted,
					authenticate(opts.Authenticate,
						inFlight.wrap(opts.Observer,
							withTimeout(opts.RequestTimeout,
								Middleware(opts.Client, loaders, srv))))))))
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.BatchWait <= 0 {
		o.BatchWait = graph.DefaultBatchWait
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.APQCacheSize <= 0 {
		o.APQCacheSize = DefaultAPQCacheSize
	}
	if o.APQCacheBytes <= 0 {
		o.APQCacheBytes = DefaultAPQCacheBytes
	}
	if o.QueryCacheBytes <= 0 {
		o.QueryCacheBytes = DefaultQueryCacheBytes
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.MaxInFlightPerCaller == 0 {
		o.MaxInFlightPerCaller = DefaultMaxInFlightPerCaller
	}
	if o.BodyReadTimeout <= 0 {
		o.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if o.BodyBufferBytes <= 0 {
		o.BodyBufferBytes = DefaultBodyBufferBytes
	}
	o.Limits = o.Limits.WithDefaults()
	return o
}

// newServer configures gqlgen's server around an executable schema.
func newServer(es graphql.ExecutableSchema, extensions []graphql.HandlerExtension, opts Options) *handler.Server {
	opts = opts.withDefaults()
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	queries := sharedstate.NewLRU[*ast.QueryDocument](queryCacheSize, opts.QueryCacheBytes)
	maxTokens := int64(opts.Limits.MaxTokens)
	queries.Cost = func(q string, _ *ast.QueryDocument) int64 {
		return int64(len(q)) + min(astBytesPerQueryByte*int64(len(q)), ASTBytesPerToken*maxTokens)
	}
	srv.SetQueryCache(queries)
	// Apollo's automatic persisted queries: a client sends a query's hash, and the query itself
	// only the first time. Stored once validated, bounded in entries and bytes.
	var apq persistedQueries
	apq.store = sharedstate.NewMemory(opts.APQCacheSize, opts.APQCacheBytes)
	if opts.Shared != nil {
		apq.store, apq.ttl = sharedstate.Tiered{Local: apq.store, Shared: hashChecked{opts.Shared}, LocalTTL: opts.SharedAPQTTL}, opts.SharedAPQTTL
	}
	srv.Use(apq)
	// The document check before validation: it is linear, and it keeps fragment bombs from
	// gqlparser's validation and gqlgen's complexity walk, introspection included.
	srv.Use(newDocumentLimit(opts.Limits, !opts.DisableIntrospection))
	srv.SetParserTokenLimit(opts.Limits.MaxTokens)
	if opts.DisableIntrospection {
		srv.SetDisableSuggestion(true)
	} else {
		srv.Use(extension.Introspection{})
	}
	for _, e := range extensions {
		srv.Use(e)
	}
	srv.Use(extension.FixedComplexityLimit(opts.Limits.MaxComplexity))
	if opts.TracerProvider != nil {
		srv.Use(telemetry.NewOperationSpans(opts.TracerProvider))
	}
	srv.Use(telemetry.NewObserveResponses(opts.Limits.MaxTokens))
	srv.SetErrorPresenter(graph.NewErrorPresenter(opts.Logger))
	srv.SetRecoverFunc(graph.NewRecoverFunc(opts.Logger))
	return srv
}

// withTimeout gives each request a deadline; upstream calls and retries stay inside it.
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
