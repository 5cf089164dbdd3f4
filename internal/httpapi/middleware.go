package httpapi

import (
	"errors"
	"net/http"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/auth"
)

// authenticate puts the platform token and the caller's identity that authenticate chose into
// the request's context, or refuses the request.
func authenticate(authenticate auth.Func, next http.Handler) http.Handler {
	if authenticate == nil {
		authenticate = auth.PassThrough
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		token, caller, err := authenticate(r)
		switch {
		case errors.Is(err, auth.ErrUnauthenticated):
			w.Header().Set("WWW-Authenticate", `ApiKey header="X-Api-Key"`)
			writeRequestError(w, http.StatusUnauthorized, graph.CodeUnauthenticated, "a valid X-Api-Key header is required")
			return
		case err != nil:
			writeRequestError(w, http.StatusServiceUnavailable, graph.CodeUpstreamUnavailable, "the gateway could not obtain a platform token; try again later")
			return
		case token != "":
			ctx = bentley.WithToken(ctx, token)
			if caller != "" {
				ctx = bentley.WithCaller(ctx, caller)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Middleware gives every request its own Loaders; authenticate has put the request's token and
// caller into its context for the platform calls the loaders make.
func Middleware(client *bentley.Client, opts graph.LoaderOptions, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(graph.WithLoaders(r.Context(), graph.NewLoaders(client, opts))))
	})
}
