package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

// benchGateway returns the gateway handler over an in-memory emulator.
func benchGateway(b *testing.B, opts ...bentley.Option) (http.Handler, *emulator.Emulator) {
	b.Helper()
	emu := emulator.New()
	client, err := bentley.NewClient(append([]bentley.Option{
		bentley.WithBaseURL("http://emulator.invalid"),
		bentley.WithHTTPClient(&http.Client{Transport: testenv.InMemory{Handler: emu}}),
	}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	return httpapi.NewHandler(httpapi.Options{Client: client, Logger: logger}), emu
}

func benchQuery(b *testing.B, h http.Handler, token string, body []byte) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func mustJSON(b *testing.B, v any) []byte {
	b.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkAggregation is the whole in-process path of the aggregation query: HTTP handler,
// parsed-query cache, resolvers, loaders, client and four emulated upstream calls. Dedup is off
// so that every iteration really makes its four calls.
func BenchmarkAggregation(b *testing.B) {
	h, emu := benchGateway(b, bentley.WithDedup(false))
	show := emu.Showcase()
	body := mustJSON(b, map[string]any{"query": aggregationQuery, "variables": map[string]any{"itwin": show.ITwinID, "member": show.MemberID}})
	benchQuery(b, h, show.Token, body)
	b.ReportMetric(float64(emu.TotalCalls())/float64(b.N), "upstream/op")
}

// BenchmarkUsersList100 resolves a 100-id users(ids:) list: one getbyidlist call.
func BenchmarkUsersList100(b *testing.B) {
	h, emu := benchGateway(b, bentley.WithDedup(false))
	var ids []string
	for _, u := range emu.DemoUsers() {
		if len(ids) < 100 {
			ids = append(ids, u.ID)
		}
	}
	body := mustJSON(b, map[string]any{"query": `query($ids: [ID!]!) { users(ids: $ids) { id email displayName } }`, "variables": map[string]any{"ids": ids}})
	benchQuery(b, h, emu.Showcase().Token, body)
	b.ReportMetric(float64(emu.TotalCalls())/float64(b.N), "upstream/op")
}

// BenchmarkEmulatorOnly is the emulator's share of BenchmarkAggregation: its four calls alone.
func BenchmarkEmulatorOnly(b *testing.B) {
	emu := emulator.New()
	show := emu.Showcase()
	paths := []string{
		"/itwins/" + show.ITwinID, "/itwins/" + show.ITwinID + "/account",
		"/accesscontrol/itwins/" + show.ITwinID + "/members/users/" + show.MemberID,
	}
	body := []byte(fmt.Sprintf("[%q]", show.MemberID))
	b.ReportAllocs()
	for b.Loop() {
		for i, p := range paths {
			req := httptest.NewRequest(http.MethodGet, p, nil)
			req.Header.Set("Authorization", "Bearer "+show.Token)
			req.Header.Set("Accept", []string{"application/vnd.bentley.itwin-platform.v1+json", "application/vnd.bentley.itwin-platform.v1+json", "application/vnd.bentley.itwin-platform.v2+json"}[i])
			emu.ServeHTTP(httptest.NewRecorder(), req)
		}
		req := httptest.NewRequest(http.MethodPost, "/users/getbyidlist", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+show.Token)
		req.Header.Set("Accept", "application/vnd.bentley.itwin-platform.v1+json")
		emu.ServeHTTP(httptest.NewRecorder(), req)
	}
}
