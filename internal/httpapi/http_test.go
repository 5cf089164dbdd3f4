package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

func TestGraphQLOverHTTP(t *testing.T) {
	e := testenv.New(t)
	const (
		gqlJSON = "application/graphql-response+json"
		ok      = `{"query":"{ me { id } }"}`
		invalid = `{"query":"{ nope }"}`
	)
	q := "?query=" + url.QueryEscape("{ me { id } }")
	mutation := "?query=" + url.QueryEscape("mutation { me { id } }")
	cases := []struct {
		name, method, query, contentType, accept, body string
		status                                         int
		responseType                                   string
	}{
		{"POST application/json", "POST", "", "application/json", "application/json", ok, 200, "application/json"},
		{"POST graphql-response+json", "POST", "", "application/json", gqlJSON, ok, 200, gqlJSON},
		{"no Accept means application/json", "POST", "", "application/json", "", ok, 200, "application/json"},
		{"Accept with priorities", "POST", "", "application/json", gqlJSON + ", application/json;q=0.9", ok, 200, gqlJSON},
		{"invalid query, application/json: 200", "POST", "", "application/json", "application/json", invalid, 200, "application/json"},
		{"invalid query, graphql-response+json: 400", "POST", "", "application/json", gqlJSON, invalid, 400, gqlJSON},
		{"unparsable query, graphql-response+json: 400", "POST", "", "application/json", gqlJSON, `{"query":"{"}`, 400, gqlJSON},
		{"malformed JSON body: 400", "POST", "", "application/json", gqlJSON, `{"query":`, 400, ""},
		{"POST without JSON: 415", "POST", "", "text/plain", "", "{ me { id } }", 415, "application/json"},
		{"Accept nothing we produce: 406", "POST", "", "application/json", "text/html", ok, 406, "application/json"},
		{"Accept refusing JSON with q=0.0: 406", "POST", "", "application/json", "application/json;q=0.0, text/html", ok, 406, "application/json"},
		{"GET query", "GET", q, "", gqlJSON, "", 200, gqlJSON},
		{"GET mutation: 405", "GET", mutation, "", "", "", 405, "application/json"},
		{"PUT: 405", "PUT", "", "application/json", "", ok, 405, "application/json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.Send(t, tc.method, tc.query, tc.contentType, tc.accept, tc.body)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); tc.responseType != "" && !strings.HasPrefix(ct, tc.responseType) {
				t.Errorf("Content-Type %q, want %s", ct, tc.responseType)
			}
			var out map[string]any
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Errorf("body is not JSON: %s", body)
			}
			if tc.status == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
}

func TestAutomaticPersistedQueries(t *testing.T) {
	e := testenv.New(t)
	query := `query Me { me { id email } }`
	sum := sha256.Sum256([]byte(query))
	hash := hex.EncodeToString(sum[:])
	ext := `"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}}`

	// 1. The hash alone, unknown yet: the client is told to send the query.
	_, body := e.Send(t, "POST", "", "application/json", "", `{`+ext+`}`)
	if !strings.Contains(body, "PERSISTED_QUERY_NOT_FOUND") {
		t.Fatalf("hash only, first time: %s", body)
	}
	// 2. Query and hash: answered and stored.
	q, _ := json.Marshal(query)
	_, body = e.Send(t, "POST", "", "application/json", "", `{"query":`+string(q)+`,`+ext+`}`)
	if !strings.Contains(body, e.Show.Token[5:]) && !strings.Contains(body, "ada.lovelace") {
		t.Fatalf("query with hash: %s", body)
	}
	// 3. The hash alone again, now over GET as Apollo sends it: answered from the store.
	params := url.Values{"operationName": {"Me"}, "extensions": {`{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}}`}}
	resp, body := e.Send(t, "GET", "?"+params.Encode(), "", "", "")
	if resp.StatusCode != 200 || !strings.Contains(body, "ada.lovelace@contoso.example") {
		t.Fatalf("hash only over GET: %d %s", resp.StatusCode, body)
	}
	// A query that does not match its hash is refused.
	_, body = e.Send(t, "POST", "", "application/json", "", `{"query":"{ me { id } }",`+ext+`}`)
	if !strings.Contains(body, "errors") || strings.Contains(body, "ada.lovelace") {
		t.Errorf("mismatched hash: %s", body)
	}
}

func TestCORS(t *testing.T) {
	closed := testenv.New(t)
	resp, _ := closed.Send(t, "POST", "", "application/json", "", `{"query":"{ me { id } }"}`, "Origin", "https://app.example")
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("with no allowed origins, a cross-origin request got an Allow-Origin header")
	}

	open := testenv.New(t, func(o *httpapi.Options) { o.CORSAllowedOrigins = []string{"https://app.example"} })
	resp, _ = open.Send(t, "OPTIONS", "", "", "", "", "Origin", "https://app.example",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("allowed preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, body := open.Send(t, "POST", "", "application/json", "", `{"query":"{ me { id } }"}`, "Origin", "https://app.example")
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || !strings.Contains(body, `"me"`) {
		t.Errorf("allowed request: %v %s", resp.Header, body)
	}
	resp, _ = open.Send(t, "OPTIONS", "", "", "", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = open.Send(t, "POST", "", "application/json", "", `{"query":"{ me { id } }"}`, "Origin", "https://evil.example")
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("a request from another origin got an Allow-Origin header")
	}
}

func TestRefusalsCarryACodeAndEchoNothing(t *testing.T) {
	e := testenv.New(t)
	cases := []struct {
		name, method, contentType, body, query string
		status                                 int
	}{
		{"empty body", "POST", "application/json", "", "", 400},
		{"truncated JSON", "POST", "application/json", `{"query": "{ me { id } } SECRETBODY"`, "", 400},
		{"not JSON", "POST", "application/json", "SECRETBODY not json", "", 400},
		{"a batch", "POST", "application/json", `[{"query":"query SECRETBODY { __typename }"}]`, "", 400},
		{"query not a string", "POST", "application/json", `{"query": 5, "x": "SECRETBODY"}`, "", 400},
		{"variables not an object", "POST", "application/json", `{"query":"{ __typename }","variables":"SECRETBODY"}`, "", 400},
		{"extensions not an object", "POST", "application/json", `{"query":"{ __typename }","extensions":["SECRETBODY"]}`, "", 400},
		{"GET variables not JSON", "GET", "", "", "query=%7B__typename%7D&variables=SECRETBODY", 400},
		{"GET extensions not an object", "GET", "", "", "query=%7B__typename%7D&extensions=%5B%22SECRETBODY%22%5D", 400},
		{"wrong method", "PUT", "application/json", `{"query":"SECRETBODY"}`, "", 405},
		{"wrong media type", "POST", "text/plain", "SECRETBODY", "", 415},
		{"too large", "POST", "application/json", `{"query":"` + strings.Repeat("x", 2<<20) + `SECRETBODY"}`, "", 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, e.URL+"/graphql?"+tc.query, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var out struct {
				Errors []testenv.Error `json:"errors"`
			}
			if resp.StatusCode != tc.status || json.Unmarshal(raw, &out) != nil || len(out.Errors) != 1 || out.Errors[0].Code() == "" {
				t.Errorf("%d %s; want %d with one error and its code", resp.StatusCode, raw, tc.status)
			}
			if strings.Contains(string(raw), "SECRETBODY") {
				t.Errorf("the answer echoes the request: %s", raw)
			}
		})
	}
	if n := e.Emu.TotalCalls(); n != 0 {
		t.Errorf("%d upstream calls for refused requests", n)
	}
}

func TestSlowBodyIsA408WithoutAddresses(t *testing.T) {
	e := testenv.New(t)
	// A handler that reads the body through a reader failing like a server read timeout.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = io.NopCloser(timeoutReader{})
		r.ContentLength = -1
		httpapi.NewHandler(httpapi.Options{Client: e.Client, Logger: slog.New(slog.DiscardHandler)}).ServeHTTP(w, r)
	}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(raw), `"code":"BAD_REQUEST"`) || strings.Contains(string(raw), "127.0.0.1") {
		t.Errorf("%d %s", resp.StatusCode, raw)
	}
}

// timeoutReader fails as a connection does when the server's read deadline passes, quoting the
// addresses as the real error does.
type timeoutReader struct{}

func (timeoutReader) Read([]byte) (int, error) { return 0, timeoutError{} }

type timeoutError struct{}

func (timeoutError) Error() string   { return "read tcp 127.0.0.1:8080->127.0.0.1:53211: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
