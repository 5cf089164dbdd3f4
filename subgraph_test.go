package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
)

// SUBGRAPH=true serves the subgraph at /subgraph beside the unchanged /graphql, and
// "gateway schema --federation" prints exactly the SDL it gives a router.
func TestSubgraphEndpointAndSchemaCommand(t *testing.T) {
	off := startGateway(t, nil)
	if status, _ := get(t, off.url+"/subgraph"); status != http.StatusNotFound {
		t.Errorf("GET /subgraph without SUBGRAPH = %d, want 404", status)
	}

	g := startGateway(t, map[string]string{"SUBGRAPH": "true"})
	req, _ := http.NewRequest("POST", g.url+"/subgraph", strings.NewReader(`{"query":"{ _service { sdl } }"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Data struct {
			Service struct{ SDL string } `json:"_service"`
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if err != nil || !strings.Contains(answer.Data.Service.SDL, `extend type ITwin @key(fields: "id")`) {
		t.Fatalf("_service at /subgraph: %v %q", err, answer.Data.Service.SDL)
	}
	if body := post(t, g.url, g.token, `{"query":"{ _service { sdl } }"}`); !strings.Contains(body, "GRAPHQL_VALIDATION_FAILED") {
		t.Errorf("/graphql answers _service with SUBGRAPH on: %s", body)
	}

	var out bytes.Buffer
	if err := run(t.Context(), []string{"schema", "--federation"}, func(string) string { return "" }, &out); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSuffix(out.String(), "\n") != answer.Data.Service.SDL {
		t.Error("gateway schema --federation differs from the SDL /subgraph serves")
	}
	out.Reset()
	if err := run(t.Context(), []string{"schema"}, func(string) string { return "" }, &out); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile("schema.graphqls")
	if out.String() != string(file) || strings.Contains(out.String(), "@key") {
		t.Error("gateway schema is not schema.graphqls")
	}
	if err := run(t.Context(), []string{"schema", "--sdl"}, func(string) string { return "" }, &out); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("gateway schema --sdl: %v, want a usage error", err)
	}
}

// PPROF=true serves Go's profiler; off by default.
func TestPprofSwitch(t *testing.T) {
	if status, _ := get(t, startGateway(t, nil).url+"/debug/pprof/"); status != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without PPROF: %d, want 404", status)
	}
	if status, body := get(t, startGateway(t, map[string]string{"PPROF": "true"}).url+"/debug/pprof/"); status != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ with PPROF=true: %d", status)
	}
}
