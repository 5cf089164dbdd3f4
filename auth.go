package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/itwin-graphql/gateway/graph"
)

// DefaultTokenURL is Bentley's IMS token endpoint.
const DefaultTokenURL = "https://ims.bentley.com/connect/token"

// platformScope is the iTwin Platform's one OAuth2 scope.
const platformScope = "itwin-platform"

// serviceTokens obtains the gateway's own platform token with the client-credentials grant and
// keeps it, fetching a new one once 80% of its lifetime has passed so no call goes out with a
// token about to expire. Concurrent callers wait for one fetch.
type serviceTokens struct {
	cfg *clientcredentials.Config
	// ctx is long-lived: it carries the HTTP client for IMS and outlives every request.
	ctx context.Context

	mu        sync.Mutex
	token     *oauth2.Token
	refreshAt time.Time
}

func newServiceTokens(ctx context.Context, clientID, clientSecret, tokenURL string) *serviceTokens {
	hc := &http.Client{Timeout: 15 * time.Second}
	return &serviceTokens{
		cfg: &clientcredentials.Config{
			ClientID: clientID, ClientSecret: clientSecret, TokenURL: tokenURL, Scopes: []string{platformScope},
			AuthStyle: oauth2.AuthStyleInParams,
		},
		ctx: context.WithValue(ctx, oauth2.HTTPClient, hc),
	}
}

// Token returns a valid access token, fetching one when none is held or the held one is due.
func (s *serviceTokens) Token() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.token != nil && now.Before(s.refreshAt) {
		return s.token.AccessToken, nil
	}
	tok, err := s.cfg.Token(s.ctx)
	if err != nil {
		if s.token != nil && s.token.Expiry.After(now) {
			return s.token.AccessToken, nil // keep using the old one while it lasts
		}
		// The error may quote IMS's answer; it never contains the secret, which travels in
		// the request body only.
		return "", fmt.Errorf("obtaining a platform token: %w", err)
	}
	s.token = tok
	s.refreshAt = now.Add(time.Duration(float64(tok.Expiry.Sub(now)) * 0.8))
	if tok.Expiry.IsZero() {
		s.refreshAt = now.Add(time.Minute)
	}
	return tok.AccessToken, nil
}

// apiKeys checks callers' X-Api-Key in constant time. Keys are compared as SHA-256 digests, so
// every comparison takes the same time whatever the key's length, and all keys are compared.
type apiKeys [][32]byte

func newAPIKeys(keys []string) apiKeys {
	out := make(apiKeys, 0, len(keys))
	for _, k := range keys {
		out = append(out, sha256.Sum256([]byte(k)))
	}
	return out
}

func (a apiKeys) valid(presented string) bool {
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
func serviceAuthenticate(tokens *serviceTokens, keys apiKeys, allowAnonymous bool, logger *slog.Logger) graph.Authenticate {
	return func(r *http.Request) (string, error) {
		if !allowAnonymous && !keys.valid(r.Header.Get("X-Api-Key")) {
			return "", graph.ErrUnauthenticated
		}
		token, err := tokens.Token()
		if err != nil {
			logger.WarnContext(r.Context(), "no platform token for a service-mode request", "error", err.Error())
			return "", err
		}
		return token, nil
	}
}
