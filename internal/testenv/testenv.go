// Package testenv holds the tests' fixtures: the gateway over the emulator over real HTTP, a client
// for it, a log sink, and Eventually. Only _test.go files import it.
package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/httpapi"
)

// Gateway is a gateway served over real HTTP in front of an emulator, also over real HTTP.
type Gateway struct {
	Emu  *emulator.Emulator
	URL  string
	Show emulator.Showcase
	Logs *LockedWriter
	// Upstream is the transport of the gateway's platform client.
	Upstream *http.Transport
	// Platform is the emulator's URL.
	Platform string
	// Client is the gateway's platform client.
	Client *bentley.Client
	// Requests counts the requests the gateway's server has started reading.
	Requests *atomic.Int64
}

// New serves the gateway, with each option applied to its handler options.
func New(t *testing.T, options ...func(*httpapi.Options)) *Gateway {
	t.Helper()
	return NewWith(t, nil, options...)
}

// NewWith is newEnv with options for the platform client too.
func NewWith(t *testing.T, clientOpts []bentley.Option, options ...func(*httpapi.Options)) *Gateway {
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
	logs := &LockedWriter{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	opts := httpapi.Options{Client: client, Logger: logger, BatchWait: BatchWait}
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
	return &Gateway{Emu: emu, URL: gw.URL, Show: emu.Showcase(), Logs: logs, Upstream: transport, Platform: upstream.URL, Client: client, Requests: &requests}
}

// PlatformGet reads a platform answer straight from the emulator, as the showcase caller, to
// compare the gateway's answers with.
func (e *Gateway) PlatformGet(t *testing.T, path string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.Platform+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.Show.Token)
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

// Error is one entry of a GraphQL response's errors.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Response is a GraphQL answer with its HTTP status.
type Response struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []Error                    `json:"errors"`
	// Status is the answer's HTTP status.
	Status int `json:"-"`
}

// Query POSTs a GraphQL request with the given bearer token ("" sends none).
func (e *Gateway) Query(t *testing.T, token, query string, vars map[string]any) Response {
	t.Helper()
	resp, err := e.Post(token, query, vars)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Post is query without a testing.T, for goroutines.
func (e *Gateway) Post(token, query string, vars map[string]any) (Response, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, err
	}
	var out Response
	if err := json.Unmarshal(raw, &out); err != nil {
		return Response{}, fmt.Errorf("response is not JSON: %v\n%s", err, raw)
	}
	out.Status = resp.StatusCode
	return out, nil
}

// Field decodes data[name] into v, failing the test when it cannot.
func (r Response) Field(t *testing.T, name string, v any) {
	t.Helper()
	if err := r.Decode(name, v); err != nil {
		t.Fatal(err)
	}
}

// Decode decodes data[name] into v; safe to call from any goroutine.
func (r Response) Decode(name string, v any) error {
	raw, ok := r.Data[name]
	if !ok {
		return fmt.Errorf("no data.%s in response (errors: %+v)", name, r.Errors)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("data.%s: %v", name, err)
	}
	return nil
}

// IsNull reports whether data[name] is present and null.
func (r Response) IsNull(name string) bool {
	raw, ok := r.Data[name]
	return ok && string(raw) == "null"
}

// ErrorAt returns the error whose path starts with the given segments.
func (r Response) ErrorAt(path ...any) *Error {
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

func (e *Error) Code() string {
	if e == nil {
		return ""
	}
	c, _ := e.Extensions["code"].(string)
	return c
}

// LockedWriter serialises writes from concurrent loggers into one buffer.
type LockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *LockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Eventually waits until cond holds, polling, and fails the test if it does not within 20 s
// (generous: the machines are small and shared, and -race slows everything).
func Eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	EventuallyWithin(t, 20*time.Second, what, cond)
}

// EventuallyWithin is Eventually with another bound, for what takes long to start (a Node
// router), polling every few milliseconds at first and at most every 250 ms.
func EventuallyWithin(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	pause := 2 * time.Millisecond
	for deadline := time.Now().Add(bound); !cond(); time.Sleep(pause) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		pause = min(2*pause, 250*time.Millisecond)
	}
}

// Send makes one HTTP request to the gateway's endpoint and returns the response and body.
func (e *Gateway) Send(t *testing.T, method, rawQuery, contentType, accept, body string, headers ...string) (*http.Response, string) {
	t.Helper()
	all := []string{"Authorization", "Bearer " + e.Show.Token}
	if contentType != "" {
		all = append(all, "Content-Type", contentType)
	}
	if accept != "" {
		all = append(all, "Accept", accept)
	}
	return Do(t, method, e.URL+"/graphql"+rawQuery, body, append(all, headers...)...)
}

// Do makes one request (with body when it is not empty) carrying the headers given in pairs,
// later pairs winning, and returns the response and its body: every test client's one way out.
func Do(t *testing.T, method, url, body string, headers ...string) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

// SendParams POSTs a JSON body with the showcase token and decodes the answer.
func (e *Gateway) SendParams(t *testing.T, body map[string]any, headers ...string) Response {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp, answer := e.Send(t, "POST", "", "application/json", "", string(raw), headers...)
	return DecodeAnswer(t, resp, answer)
}

// SendGET GETs the url values with the showcase token and decodes the answer.
func (e *Gateway) SendGET(t *testing.T, params url.Values, headers ...string) Response {
	t.Helper()
	resp, answer := e.Send(t, "GET", "?"+params.Encode(), "", "", "", headers...)
	return DecodeAnswer(t, resp, answer)
}

// DecodeAnswer decodes a GraphQL answer, with its HTTP status.
func DecodeAnswer(t *testing.T, resp *http.Response, body string) Response {
	t.Helper()
	var out Response
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	out.Status = resp.StatusCode
	return out
}

// Raw posts a body as is (chunked: without a Content-Length) and returns status and body.
func (e *Gateway) Raw(t *testing.T, contentType, body string, chunked bool) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/graphql", strings.NewReader(body))
	if chunked {
		req.Body = io.NopCloser(strings.NewReader(body))
		req.ContentLength = -1
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+e.Show.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func WithLimits(l graph.Limits) func(*httpapi.Options) {
	return func(o *httpapi.Options) { o.Limits = l }
}

// InMemory is a RoundTripper that serves requests with a handler in the same goroutine: the
// benchmarks measure the gateway's own path without loopback TCP.
type InMemory struct{ Handler http.Handler }

func (m InMemory) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.Handler.ServeHTTP(rec, req)
	return rec.Result(), nil
}
