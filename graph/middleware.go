package graph

import (
	"errors"
	"net/http"
	"strings"

	"github.com/itwin-graphql/gateway/bentley"
)

// Authenticate decides which bearer token a request's platform calls carry, and who the caller
// is for fair shares: an identity the gateway has validated (an API key in service mode), or ""
// to key the shares on the token's hash. It returns "" and no error to go on without a token
// (fields then answer UNAUTHENTICATED), ErrUnauthenticated to refuse the request with 401, and
// any other error to refuse it with 503. A header the gateway has not validated never becomes
// the caller: anyone could send a fresh one per request and so take a fresh share.
type Authenticate func(r *http.Request) (token, caller string, err error)

// ErrUnauthenticated refuses a request whose caller the gateway may not act for.
var ErrUnauthenticated = errors.New("the caller is not allowed to use this gateway")

// PassThrough is the default Authenticate: the caller's own bearer token goes upstream, and its
// hash keys the caller's shares.
func PassThrough(r *http.Request) (string, string, error) {
	token, _ := bearerToken(r)
	return token, "", nil
}

// authenticate puts the platform token and the caller's identity that authenticate chose into
// the request's context, or refuses the request.
func authenticate(authenticate Authenticate, next http.Handler) http.Handler {
	if authenticate == nil {
		authenticate = PassThrough
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		token, caller, err := authenticate(r)
		switch {
		case errors.Is(err, ErrUnauthenticated):
			w.Header().Set("WWW-Authenticate", `ApiKey header="X-Api-Key"`)
			writeRequestError(w, http.StatusUnauthorized, CodeUnauthenticated, "a valid X-Api-Key header is required")
			return
		case err != nil:
			writeRequestError(w, http.StatusServiceUnavailable, CodeUpstreamUnavailable, "the gateway could not obtain a platform token; try again later")
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
func Middleware(client *bentley.Client, opts LoaderOptions, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(WithLoaders(r.Context(), NewLoaders(client, opts))))
	})
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
