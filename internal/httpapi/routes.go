package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/http/pprof"

	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/httpapi/graphiql"
	"github.com/klauspost/compress/gzhttp"
)

// compressMinBytes is the smallest response worth compressing: below it the encoding's own
// overhead and CPU outweigh the bytes saved.
const compressMinBytes = 1024

// fallback answers what no route took, in the GraphQL error shape with a code like every other
// refusal: 405 with Allow for a known path asked with another method, 404 for anything else.
func fallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probe := r.Clone(r.Context())
		probe.Method = http.MethodGet
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			w.Header().Set("Allow", "GET, HEAD")
			WriteError(w, http.StatusMethodNotAllowed, graph.CodeBadRequest, "use GET for "+r.URL.Path)
			return
		}
		WriteError(w, http.StatusNotFound, graph.CodeNotFound, "no such path; GraphQL is served at /graphql")
	})
}

// SubgraphKeyHeader carries the secret a router sends with each subgraph request (SUBGRAPH_KEY).
const SubgraphKeyHeader = "X-Subgraph-Key"

// routerKey admits only requests carrying key in SubgraphKeyHeader (compared in constant time,
// as digests); an empty key admits all.
func routerKey(key string, next http.Handler) http.Handler {
	if key == "" {
		return next
	}
	want := sha256.Sum256([]byte(key))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get(SubgraphKeyHeader)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			WriteError(w, http.StatusUnauthorized, graph.CodeUnauthenticated, "the subgraph serves only the federation router: send its "+SubgraphKeyHeader)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Routes are what the gateway serves: the GraphQL endpoints, the probes, /metrics, GraphiQL and,
// when asked, Go's profiler, with the fallback that answers every other path in the GraphQL
// error shape.
type Routes struct {
	// GraphQL serves /graphql.
	GraphQL http.Handler
	// Subgraph, when set, serves /subgraph: on a listener of its own when SubgraphApart, else
	// beside /graphql; only requests carrying SubgraphKey in SubgraphKeyHeader when it is set.
	Subgraph      http.Handler
	SubgraphApart bool
	SubgraphKey   string
	// Ready serves /readyz and Metrics /metrics.
	Ready   *Readiness
	Metrics http.Handler
	// GraphiQL, when set, is served at / with its assets.
	GraphiQL *graphiql.Options
	// Pprof serves Go's profiler at /debug/pprof/, for diagnosis only.
	Pprof bool
	// Compression compresses answers of compressMinBytes or more, as Accept-Encoding allows.
	Compression bool
}

// Handlers returns the public listener's handler and, with SubgraphApart, the subgraph
// listener's (nil otherwise).
func (rt Routes) Handlers() (public, subgraph http.Handler, err error) {
	mux := http.NewServeMux()
	mux.Handle("/graphql", rt.GraphQL)
	if rt.Subgraph != nil {
		sub := routerKey(rt.SubgraphKey, rt.Subgraph)
		if rt.SubgraphApart {
			own := http.NewServeMux()
			own.Handle("/subgraph", sub)
			own.Handle("/", fallback(own))
			subgraph = own
		} else {
			mux.Handle("/subgraph", sub)
		}
	}
	mux.Handle("GET /readyz", rt.Ready)
	mux.Handle("GET /metrics", rt.Metrics)
	if rt.GraphiQL != nil {
		mux.Handle("GET /{$}", graphiql.Page(*rt.GraphiQL))
		mux.Handle("GET "+graphiql.AssetsPath, graphiql.Assets())
	}
	if rt.Pprof {
		// Go's profiler, for diagnosis: go tool pprof http://HOST:PORT/debug/pprof/profile?seconds=10
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	}
	mux.HandleFunc("GET /healthz", Healthz)
	mux.Handle("/", fallback(mux))
	public = mux
	if rt.Compression {
		compress, err := gzhttp.NewWrapper(gzhttp.MinSize(compressMinBytes))
		if err != nil {
			return nil, nil, fmt.Errorf("compression: %w", err)
		}
		public = compress(mux)
	}
	return public, subgraph, nil
}
