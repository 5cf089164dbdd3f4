package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"

	"github.com/itwin-graphql/gateway/bentley"
)

// queryCacheSize is how many parsed and validated query documents are kept: a deployment's
// clients send a small, fixed set of queries, so parsing is paid once per distinct query.
const queryCacheSize = 1000

// DefaultRequestTimeout bounds one GraphQL request, upstream retries included.
const DefaultRequestTimeout = 30 * time.Second

// Options configures the GraphQL handler.
type Options struct {
	// Client calls the platform.
	Client *bentley.Client
	// Logger receives unexpected errors and panics.
	Logger *slog.Logger
	// BatchWait is the loaders' batch window; DefaultBatchWait when zero.
	BatchWait time.Duration
	// RequestTimeout bounds each request; DefaultRequestTimeout when zero.
	RequestTimeout time.Duration
	// Limits bound each request; zero fields take DefaultLimits.
	Limits Limits
	// DisableIntrospection turns off introspection and "did you mean" suggestions, which
	// reveal the schema, for deployments that do not publish it.
	DisableIntrospection bool
	// Observer, when set, receives per-query records and loader batch sizes for metrics.
	Observer Observer
	// CORSAllowedOrigins may call the endpoint from a browser; none when empty, any with "*".
	CORSAllowedOrigins []string
	// APQCacheSize is how many automatic persisted queries are kept; DefaultAPQCacheSize when 0.
	APQCacheSize int
	// Authenticate picks each request's platform token; PassThrough when nil.
	Authenticate Authenticate
	// TracerProvider, when set, gets a span per GraphQL operation.
	TracerProvider trace.TracerProvider
}

// DefaultAPQCacheSize is the default number of automatic persisted queries kept in memory.
const DefaultAPQCacheSize = 1000

// NewHandler returns the GraphQL endpoint: POST and GET transports, a parsed-query cache,
// introspection, the error presenter, the request limits, and per-request loaders.
func NewHandler(opts Options) http.Handler {
	opts = opts.withDefaults()
	es := NewExecutableSchema(Config{Resolvers: NewResolver(opts.Limits.MaxUserIDs, opts.Logger), Complexity: complexity()})
	srv := newServer(es, opts)
	loaders := LoaderOptions{Wait: opts.BatchWait, CallBudget: opts.Limits.CallBudget, Observer: opts.Observer}
	return cors(opts.CORSAllowedOrigins,
		observe(opts.Logger, opts.Observer,
			overHTTP(opts.Limits.MaxTokens,
				withTimeout(opts.RequestTimeout,
					limitBody(opts.Limits.MaxBodyBytes,
						Middleware(opts.Client, opts.Authenticate, loaders, srv))))))
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.BatchWait <= 0 {
		o.BatchWait = DefaultBatchWait
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.APQCacheSize <= 0 {
		o.APQCacheSize = DefaultAPQCacheSize
	}
	o.Limits = o.Limits.withDefaults()
	return o
}

// newServer configures gqlgen's server around an executable schema.
func newServer(es graphql.ExecutableSchema, opts Options) *handler.Server {
	opts = opts.withDefaults()
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](queryCacheSize))
	// Apollo's automatic persisted queries: a client sends a query's hash, and the query itself
	// only the first time. In memory, least recently used evicted first.
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](opts.APQCacheSize)})
	srv.SetParserTokenLimit(opts.Limits.MaxTokens)
	if opts.DisableIntrospection {
		srv.SetDisableSuggestion(true)
	} else {
		srv.Use(extension.Introspection{})
	}
	// The shape check first: it is linear, and it keeps fragment bombs from the complexity walk.
	srv.Use(shapeLimit{maxDepth: opts.Limits.MaxDepth, maxAliases: opts.Limits.MaxAliases, maxFields: opts.Limits.MaxComplexity})
	srv.Use(extension.FixedComplexityLimit(opts.Limits.MaxComplexity))
	if opts.TracerProvider != nil {
		srv.Use(operationSpans{tracer: opts.TracerProvider.Tracer(tracingName)})
	}
	srv.Use(observeResponses{maxTokens: opts.Limits.MaxTokens})
	srv.SetErrorPresenter(NewErrorPresenter(opts.Logger))
	srv.SetRecoverFunc(NewRecoverFunc(opts.Logger))
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
