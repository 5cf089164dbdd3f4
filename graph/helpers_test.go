package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/httpapi"
)

// env is a gateway served over real HTTP in front of an emulator, also over real HTTP.
type env struct {
	emu  *emulator.Emulator
	url  string
	show emulator.Showcase
	logs *lockedWriter
	// upstream is the transport of the gateway's platform client.
	upstream *http.Transport
	// platform is the emulator's URL.
	platform string
	// client is the gateway's platform client.
	client *bentley.Client
	// requests counts the requests the gateway's server has started reading.
	requests *atomic.Int64
}

// newEnv serves the gateway, with each option applied to its handler options.
func newEnv(t *testing.T, options ...func(*httpapi.Options)) *env {
	t.Helper()
	return newEnvWith(t, nil, options...)
}

// newEnvWith is newEnv with options for the platform client too.
func newEnvWith(t *testing.T, clientOpts []bentley.Option, options ...func(*httpapi.Options)) *env {
	t.Helper()
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	t.Cleanup(upstream.Close)
	t.Cleanup(emu.Close)
	transport := bentley.NewTransport()
	t.Cleanup(transport.CloseIdleConnections)
	client, err := bentley.NewClient(append([]bentley.Option{
		bentley.WithBaseURL(upstream.URL),
		bentley.WithTimeout(2 * time.Second),
		bentley.WithHTTPClient(&http.Client{Transport: transport}),
	}, clientOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedWriter{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	opts := httpapi.Options{Client: client, Logger: logger, BatchWait: testBatchWait, BatchIdle: testBatchIdle}
	for _, o := range options {
		o(&opts)
	}
	gw := httptest.NewUnstartedServer(httpapi.NewHandler(opts))
	var requests atomic.Int64
	gw.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateActive {
			requests.Add(1)
		}
	}
	gw.Start()
	t.Cleanup(gw.Close)
	return &env{emu: emu, url: gw.URL, show: emu.Showcase(), logs: logs, upstream: transport, platform: upstream.URL, client: client, requests: &requests}
}

// platformGet reads a platform answer straight from the emulator, as the showcase caller, to
// compare the gateway's answers with.
func (e *env) platformGet(t *testing.T, path string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.platform+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.show.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// gqlError is one entry of a GraphQL response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []gqlError                 `json:"errors"`
	status int
}

// query POSTs a GraphQL request with the given bearer token ("" sends none).
func (e *env) query(t *testing.T, token, query string, vars map[string]any) gqlResponse {
	t.Helper()
	resp, err := e.post(token, query, vars)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// post is query without a testing.T, for goroutines.
func (e *env) post(token, query string, vars map[string]any) (gqlResponse, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return gqlResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return gqlResponse{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return gqlResponse{}, err
	}
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return gqlResponse{}, fmt.Errorf("response is not JSON: %v\n%s", err, raw)
	}
	out.status = resp.StatusCode
	return out, nil
}

// field decodes data[name] into v, failing the test when it cannot.
func (r gqlResponse) field(t *testing.T, name string, v any) {
	t.Helper()
	if err := r.decode(name, v); err != nil {
		t.Fatal(err)
	}
}

// decode decodes data[name] into v; safe to call from any goroutine.
func (r gqlResponse) decode(name string, v any) error {
	raw, ok := r.Data[name]
	if !ok {
		return fmt.Errorf("no data.%s in response (errors: %+v)", name, r.Errors)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("data.%s: %v", name, err)
	}
	return nil
}

// isNull reports whether data[name] is present and null.
func (r gqlResponse) isNull(name string) bool {
	raw, ok := r.Data[name]
	return ok && string(raw) == "null"
}

// errorAt returns the error whose path starts with the given segments.
func (r gqlResponse) errorAt(path ...any) *gqlError {
	for i := range r.Errors {
		p := r.Errors[i].Path
		if len(p) < len(path) {
			continue
		}
		match := true
		for j := range path {
			if p[j] != path[j] {
				match = false
			}
		}
		if match {
			return &r.Errors[i]
		}
	}
	return nil
}

func (e *gqlError) code() string {
	if e == nil {
		return ""
	}
	c, _ := e.Extensions["code"].(string)
	return c
}

// lockedWriter serialises writes from concurrent loggers into one buffer.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// eventually waits until cond holds, polling, and fails the test if it does not within 20 s
// (generous: the machines are small and shared, and -race slows everything).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}
