package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// The token endpoint stands in for Bentley's IMS (POST https://ims.bentley.com/connect/token):
// the client-credentials grant of a service application, form-encoded, answering OAuth2 JSON.

// EndpointToken names the token endpoint in counters and fault rules.
const EndpointToken = "ims.token"

// Demo service application credentials the emulator accepts.
const (
	DemoClientID     = "demo-service-client"
	DemoClientSecret = "demo-service-secret"
	// DemoScope is the platform's one scope.
	DemoScope = "itwin-platform"
)

// DefaultTokenLifetime is how long issued tokens live: an hour, as on the platform.
const DefaultTokenLifetime = time.Hour

// issuedToken is a token the endpoint handed out.
type issuedToken struct {
	principal *user
	expires   time.Time
}

// SetTokenLifetime changes the lifetime of tokens issued from now on (tests of refresh).
func (e *Emulator) SetTokenLifetime(d time.Duration) {
	e.mu.Lock()
	e.tokenLifetime = d
	e.mu.Unlock()
}

// ServiceClientID returns the user id the demo service application acts as.
func (e *Emulator) ServiceClientID() string { return e.data.service.id }

// lookupToken resolves a bearer token: a demo user's fixed token, or an issued one still valid.
func (e *Emulator) lookupToken(token string) *user {
	if u := e.data.byToken[token]; u != nil {
		return u
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.issued[token]
	if !ok {
		return nil
	}
	if !time.Now().Before(t.expires) {
		delete(e.issued, token)
		return nil
	}
	return t.principal
}

// issueToken answers the client-credentials grant.
func (e *Emulator) issueToken(w http.ResponseWriter, r *http.Request) {
	oauthError := func(status int, code, description string) {
		writeJSON(w, status, map[string]string{"error": code, "error_description": description})
	}
	if err := r.ParseForm(); err != nil {
		oauthError(http.StatusBadRequest, "invalid_request", "the body must be form-encoded")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported here")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != DemoClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(DemoClientSecret)) != 1 {
		oauthError(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	if !strings.Contains(" "+r.PostForm.Get("scope")+" ", " "+DemoScope+" ") {
		oauthError(http.StatusBadRequest, "invalid_scope", "the scope must include itwin-platform")
		return
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	token := "svc-" + hex.EncodeToString(b[:])
	e.mu.Lock()
	lifetime := e.tokenLifetime
	e.issued[token] = issuedToken{principal: e.data.service, expires: time.Now().Add(lifetime)}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"token_type":   "Bearer",
		"expires_in":   int(lifetime.Seconds()),
		"scope":        DemoScope,
	})
}
