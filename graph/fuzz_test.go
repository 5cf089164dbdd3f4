package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
)

var canonicalUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// FuzzParseID: an id either is a UUID, comes back lower-cased and safe to put in a path, or is
// refused with BAD_USER_INPUT.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"76c1102e-4f33-4dfa-ad93-bcd9ab717977", "76C1102E-4F33-4DFA-AD93-BCD9AB717977",
		"../users/me", "", "76c1102e-4f33-4dfa-ad93-bcd9ab71797%", "76c1102e_4f33_4dfa_ad93_bcd9ab717977"} {
		f.Add(s)
	}
	_, refusal := parseID("id", "not an id")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseID("id", s)
		if err != nil {
			// The same message for every refused input: nothing of the input is echoed back.
			if p, _ := classify(err); p.code != CodeBadUserInput || err.Error() != refusal.Error() {
				t.Fatalf("refusal %+v for %q", p, s)
			}
			return
		}
		if !canonicalUUID.MatchString(id) || !strings.EqualFold(id, s) {
			t.Fatalf("parseID(%q) = %q", s, id)
		}
	})
}

// inMemory serves upstream requests with the emulator in the same process.
type inMemory struct{ h http.Handler }

func (m inMemory) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// FuzzGraphQLRequest posts arbitrary bodies to the GraphQL endpoint. It must never panic, must
// answer with a status the endpoint uses and a JSON body, and must never echo the caller's token.
func FuzzGraphQLRequest(f *testing.F) {
	emu := emulator.New()
	show := emu.Showcase()
	client, err := bentley.NewClient(bentley.WithBaseURL("http://emulator.invalid"),
		bentley.WithHTTPClient(&http.Client{Transport: inMemory{emu}}))
	if err != nil {
		f.Fatal(err)
	}
	h := NewHandler(Options{Client: client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limits: Limits{MaxBodyBytes: 64 << 10}})

	seeds := []string{
		`{"query":"{ me { id email displayName } }"}`,
		`{"query":"query($i: ID!) { itwin(id: $i) { id class subClass account { id } member(userId: $i) { user { id } } } }","variables":{"i":"` + show.ITwinID + `"}}`,
		`{"query":"{ users(ids: [\"` + show.MemberID + `\", \"x\"]) { id } }"}`,
		`{"query":"{ __schema { types { name } } }"}`,
		`{"query":"{ itwin(id: \"../../users/me\") { id } }"}`,
		`{"query": "{ me { id } }", "variables": [1,2]}`,
		`{"query":"fragment F on Query { ...F } { ...F }"}`,
		`not json`,
		`{"query":"{ a: me { id } b: me { id } }","operationName":"nope"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+show.Token)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { h.ServeHTTP(rec, req); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("no answer within 2s for %q", body)
		}
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		var out map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("answer is not JSON: %v\n%s", err, rec.Body)
		}
		if _, ok := out["errors"]; !ok {
			if _, ok := out["data"]; !ok {
				t.Fatalf("answer has neither data nor errors: %s", rec.Body)
			}
		}
		if !bytes.Contains(body, []byte(show.Token)) && strings.Contains(rec.Body.String(), show.Token) {
			t.Fatalf("the token was echoed: %s", rec.Body)
		}
	})
}
