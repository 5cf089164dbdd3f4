// Package auth decides which platform token a request's calls carry and who the caller is for
// fair shares: the caller's own bearer token (pass-through, the default), or the gateway's service
// token for callers presenting a valid API key. It decides; it never writes a response.
package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"
)

// apiKeys checks callers' X-Api-Key in constant time. Keys are compared as SHA-256 digests, so
// every comparison takes the same time whatever the key's length, and all keys are compared.
type APIKeys [][32]byte

func NewAPIKeys(keys []string) APIKeys {
	out := make(APIKeys, 0, len(keys))
	for _, k := range keys {
		out = append(out, sha256.Sum256([]byte(k)))
	}
	return out
}

func (a APIKeys) Valid(presented string) bool {
	if presented == "" {
		return false
	}
	sum := sha256.Sum256([]byte(presented))
	ok := 0
	for i := range a {
		ok |= subtle.ConstantTimeCompare(sum[:], a[i][:])
	}
	return ok == 1
}

// serviceAuthenticate acts for callers with the gateway's own platform token. The gateway never
// acts for an anonymous caller unless the operator said so (allowAnonymous).
func Service(tokens *ServiceTokens, keys APIKeys, allowAnonymous bool, logger *slog.Logger) Func {
	return func(r *http.Request) (string, string, error) {
		// Only a valid key names the caller for fair shares: an anonymous caller (when allowed)
		// sending keys of its own choosing shares the anonymous callers' one share.
		key := r.Header.Get("X-Api-Key")
		valid := keys.Valid(key)
		if !valid {
			if !allowAnonymous {
				return "", "", ErrUnauthenticated
			}
			key = ""
		}
		token, err := tokens.Token(r.Context())
		if err != nil {
			// The token source logs its failures once each; a line per refused request would
			// flood the log during an outage of the token endpoint.
			logger.DebugContext(r.Context(), "no platform token for a service-mode request", "error", err.Error())
			return "", "", err
		}
		return token, key, nil
	}
}

// Authenticate decides which bearer token a request's platform calls carry, and who the caller
// is for fair shares: an identity the gateway has validated (an API key in service mode), or ""
// to key the shares on the token's hash. It returns "" and no error to go on without a token
// (fields then answer UNAUTHENTICATED), ErrUnauthenticated to refuse the request with 401, and
// any other error to refuse it with 503. A header the gateway has not validated never becomes
// the caller: anyone could send a fresh one per request and so take a fresh share.
type Func func(r *http.Request) (token, caller string, err error)

// ErrUnauthenticated refuses a request whose caller the gateway may not act for.
var ErrUnauthenticated = errors.New("the caller is not allowed to use this gateway")

// PassThrough is the default Authenticate: the caller's own bearer token goes upstream, and its
// hash keys the caller's shares.
func PassThrough(r *http.Request) (string, string, error) {
	token, _ := BearerToken(r)
	return token, "", nil
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header.
func BearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
