package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

// FuzzGraphQLRequest posts arbitrary bodies to the GraphQL endpoint. It must never panic, must
// answer with a status the endpoint uses and a JSON body, and must never echo the caller's token.
func FuzzGraphQLRequest(f *testing.F) {
	emu := emulator.New()
	show := emu.Showcase()
	client, err := bentley.NewClient(bentley.WithBaseURL("http://emulator.invalid"),
		bentley.WithHTTPClient(&http.Client{Transport: testenv.InMemory{Handler: emu}}))
	if err != nil {
		f.Fatal(err)
	}
	h := httpapi.NewHandler(httpapi.Options{Client: client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limits: graph.Limits{MaxBodyBytes: 64 << 10}})

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
