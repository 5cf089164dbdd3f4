package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/internal/auth"
)

// callerOf runs authenticate on a request with the given headers and returns the key its
// platform calls share slots under.
func callerOf(t *testing.T, a auth.Func, headers map[string]string) string {
	t.Helper()
	var got string
	h := authenticate(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = bentley.CallerOf(r.Context()) }))
	req := httptest.NewRequest("POST", "/graphql", nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	h.ServeHTTP(httptest.NewRecorder(), req)
	return got
}

// In pass-through mode an X-Api-Key is nobody's word: a fresh one per request must not buy a
// fresh share of the slots, so the share keys on the token alone.
func TestUnvalidatedAPIKeysPickNoShare(t *testing.T) {
	token := callerOf(t, auth.PassThrough, map[string]string{"Authorization": "Bearer tok-1"})
	if token == "" || token != bentley.CallerOf(bentley.WithToken(context.Background(), "tok-1")) {
		t.Fatalf("pass-through caller %q, want the token's hash", token)
	}
	for _, key := range []string{"fresh-1", "fresh-2", "fresh-3"} {
		if got := callerOf(t, auth.PassThrough, map[string]string{"Authorization": "Bearer tok-1", "X-Api-Key": key}); got != token {
			t.Errorf("X-Api-Key %q moved the caller to %q", key, got)
		}
	}
	if other := callerOf(t, auth.PassThrough, map[string]string{"Authorization": "Bearer tok-2"}); other == token {
		t.Error("two tokens share one caller")
	}
}

// A caller an Authenticate has validated gets a share of its own, named by a hash only.
func TestValidatedCallersGetTheirOwnShare(t *testing.T) {
	validated := func(r *http.Request) (string, string, error) {
		switch key := r.Header.Get("X-Api-Key"); key {
		case "key-a", "key-b":
			return "service-token", key, nil
		case "":
			return "service-token", "", nil
		}
		return "", "", auth.ErrUnauthenticated
	}
	a := callerOf(t, validated, map[string]string{"X-Api-Key": "key-a"})
	b := callerOf(t, validated, map[string]string{"X-Api-Key": "key-b"})
	anonymous := callerOf(t, validated, nil)
	if a == b || a == anonymous || b == anonymous || a == "" {
		t.Errorf("callers %q %q %q: want three distinct shares", a, b, anonymous)
	}
	if a == "key-a" {
		t.Error("the caller key is the API key itself, not its hash")
	}
	rec := httptest.NewRecorder()
	authenticate(validated, http.NotFoundHandler()).ServeHTTP(rec, func() *http.Request {
		r := httptest.NewRequest("POST", "/graphql", nil)
		r.Header.Set("X-Api-Key", "forged")
		return r
	}())
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("an invalid key: %d, want 401", rec.Code)
	}
}
