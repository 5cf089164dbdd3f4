package graph

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/itwin-graphql/gateway/bentley"
)

// queryCacheSize is how many parsed and validated query documents are kept: a deployment's
// clients send a small, fixed set of queries, so parsing is paid once per distinct query.
const queryCacheSize = 1000

// Options configures the GraphQL handler.
type Options struct {
	// Client calls the platform.
	Client *bentley.Client
	// Logger receives unexpected errors and panics.
	Logger *slog.Logger
	// BatchWait is the loaders' batch window; DefaultBatchWait when zero.
	BatchWait time.Duration
}

// NewHandler returns the GraphQL endpoint: POST and GET transports, a parsed-query cache,
// introspection, the error presenter, and per-request loaders around it all.
func NewHandler(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.BatchWait <= 0 {
		opts.BatchWait = DefaultBatchWait
	}
	return Middleware(opts.Client, opts.BatchWait, newServer(NewExecutableSchema(Config{Resolvers: &Resolver{}}), opts))
}

// newServer configures gqlgen's server around an executable schema.
func newServer(es graphql.ExecutableSchema, opts Options) *handler.Server {
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](queryCacheSize))
	srv.Use(extension.Introspection{})
	srv.SetErrorPresenter(NewErrorPresenter(opts.Logger))
	srv.SetRecoverFunc(NewRecoverFunc(opts.Logger))
	return srv
}
