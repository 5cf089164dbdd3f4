package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

const (
	meDoc    = "query Me { me { id displayName } }"
	itwinDoc = "query ITwin($id: ID!) { itwin(id: $id) { id displayName } }"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// writeManifest writes a manifest in graphql-codegen's format (id -> document) or Apollo's.
func writeManifest(t *testing.T, apollo bool, docs map[string]string) string {
	t.Helper()
	var v any = docs
	if apollo {
		var ops []map[string]string
		for id, body := range docs {
			ops = append(ops, map[string]string{"id": id, "name": "Op", "type": "query", "body": body})
		}
		v = map[string]any{"format": "apollo-persisted-query-manifest", "version": 1, "operations": ops}
	}
	raw, _ := json.Marshal(v)
	path := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func withTrusted(t *testing.T, path, mode, bypass string, logs io.Writer) func(*httpapi.Options) {
	return func(o *httpapi.Options) {
		logger := o.Logger
		if logs != nil {
			logger = slog.New(slog.NewJSONHandler(logs, nil))
		}
		td, err := httpapi.NewTrustedDocuments(path, mode, bypass, logger)
		if err != nil {
			t.Fatal(err)
		}
		o.Trusted = td
	}
}

func wantMe(t *testing.T, what string, resp testenv.Response) {
	t.Helper()
	if resp.Status != 200 || len(resp.Errors) > 0 || !strings.Contains(string(resp.Data["me"]), `"displayName"`) {
		t.Errorf("%s: status %d, errors %+v, data %s", what, resp.Status, resp.Errors, resp.Data["me"])
	}
}

func wantRefused(t *testing.T, what string, resp testenv.Response, status int, code string) {
	t.Helper()
	if resp.Status != status || len(resp.Errors) != 1 || resp.Errors[0].Code() != code || resp.Data != nil {
		t.Errorf("%s: status %d, errors %+v; want %d %s", what, resp.Status, resp.Errors, status, code)
	}
}

// Each manifest format, each way of naming a listed document: all served.
func TestTrustedDocumentsEveryFormAndFormat(t *testing.T) {
	for _, apollo := range []bool{false, true} {
		name := map[bool]string{false: "graphql-codegen", true: "apollo"}[apollo]
		t.Run(name, func(t *testing.T) {
			// codegen's ids are whatever hash it was told to use (sha1 here); Apollo's are SHA-256.
			id := "9d54b2e7c1f0aa0e2d7c9f1b5c3e4a6d8f0b1c2d"
			if apollo {
				id = sha256Hex(meDoc)
			}
			e := testenv.New(t, withTrusted(t, writeManifest(t, apollo, map[string]string{id: meDoc, "other": itwinDoc}), httpapi.TrustedEnforce, "", nil))
			wantMe(t, "documentId as in the manifest", e.SendParams(t, map[string]any{"documentId": id}))
			wantMe(t, "documentId sha256:<hex>", e.SendParams(t, map[string]any{"documentId": "sha256:" + sha256Hex(meDoc)}))
			wantMe(t, "APQ hash alone", e.SendParams(t, map[string]any{"extensions": map[string]any{
				"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256Hex(meDoc)}}}))
			wantMe(t, "APQ hash with its text", e.SendParams(t, map[string]any{"query": meDoc, "extensions": map[string]any{
				"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256Hex(meDoc)}}}))
			wantMe(t, "full text", e.SendParams(t, map[string]any{"query": meDoc}))
			wantMe(t, "GET with documentId", e.SendGET(t, url.Values{"documentId": {id}}))
			resp := e.SendParams(t, map[string]any{"documentId": "other", "variables": map[string]any{"id": e.Show.ITwinID}})
			if resp.Status != 200 || !strings.Contains(string(resp.Data["itwin"]), e.Show.ITwinID) {
				t.Errorf("a listed document with variables: %d %+v", resp.Status, resp.Errors)
			}
		})
	}
}

// Enforce mode refuses every unlisted document before parsing it and calls nothing upstream.
func TestTrustedDocumentsEnforce(t *testing.T) {
	e := testenv.New(t, withTrusted(t, writeManifest(t, false, map[string]string{"me": meDoc}), httpapi.TrustedEnforce, "a-long-bypass-key-for-graphiql", nil))
	e.Emu.Reset()
	wantRefused(t, "unlisted text", e.SendParams(t, map[string]any{"query": "{ me { id } }"}), 403, graph.CodePersistedQueryNotInList)
	// Not even parsed: a document gqlgen would refuse as a syntax error is refused for not being listed.
	wantRefused(t, "unlisted, unparsable text", e.SendParams(t, map[string]any{"query": "{{{{ not graphql"}), 403, graph.CodePersistedQueryNotInList)
	wantRefused(t, "unknown documentId", e.SendParams(t, map[string]any{"documentId": "sha256:" + sha256Hex("{ me { id } }")}), 400, graph.CodePersistedQueryNotFound)
	wantRefused(t, "unknown documentId over GET", e.SendGET(t, url.Values{"documentId": {"nope"}}), 400, graph.CodePersistedQueryNotFound)
	// APQ cannot register a new document: the hash with its text is refused, and stays unknown.
	unlisted := "{ me { email } }"
	apq := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256Hex(unlisted)}}
	wantRefused(t, "APQ registration", e.SendParams(t, map[string]any{"query": unlisted, "extensions": apq}), 400, graph.CodePersistedQueryNotFound)
	wantRefused(t, "APQ hash after a registration attempt", e.SendParams(t, map[string]any{"extensions": apq}), 400, graph.CodePersistedQueryNotFound)
	// A listed id with another document's text is not a way in.
	wantRefused(t, "listed id, other text", e.SendParams(t, map[string]any{"documentId": "me", "query": unlisted}), 400, graph.CodePersistedQueryNotFound)
	wantRefused(t, "wrong bypass key", e.SendParams(t, map[string]any{"query": unlisted}, httpapi.BypassHeader, "not-the-key-at-all-000"), 403, graph.CodePersistedQueryNotInList)
	if n := e.Emu.TotalCalls(); n != 0 {
		t.Errorf("refused documents made %d upstream calls", n)
	}
	// The bypass key (GraphiQL, operators) may send anything.
	resp := e.SendParams(t, map[string]any{"query": unlisted}, httpapi.BypassHeader, "a-long-bypass-key-for-graphiql")
	if resp.Status != 200 || len(resp.Errors) > 0 {
		t.Errorf("with the bypass key: %d %+v", resp.Status, resp.Errors)
	}
}

// Log mode serves unlisted documents and logs each one once, without its text.
func TestTrustedDocumentsLogMode(t *testing.T) {
	var logs testenv.LockedWriter
	e := testenv.New(t, withTrusted(t, writeManifest(t, false, map[string]string{"me": meDoc}), httpapi.TrustedLog, "", &logs))
	unlisted := "query Unlisted { me { id email } }"
	for i := 0; i < 3; i++ {
		if resp := e.SendParams(t, map[string]any{"query": unlisted, "operationName": "Unlisted"}); resp.Status != 200 || len(resp.Errors) > 0 {
			t.Fatalf("log mode refused: %d %+v", resp.Status, resp.Errors)
		}
	}
	wantMe(t, "listed", e.SendParams(t, map[string]any{"documentId": "me"}))
	text := logs.String()
	if n := strings.Count(text, "operation not among the trusted documents"); n != 1 {
		t.Errorf("the unlisted operation was logged %d times, want once:\n%s", n, text)
	}
	if !strings.Contains(text, sha256Hex(unlisted)) || !strings.Contains(text, `"operation":"Unlisted"`) || strings.Contains(text, "email }") {
		t.Errorf("the log line should name the operation and its hash, not its text:\n%s", text)
	}
	// APQ works as before in log mode.
	apq := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256Hex(unlisted)}}
	if resp := e.SendParams(t, map[string]any{"query": unlisted, "extensions": apq}); resp.Status != 200 || len(resp.Errors) > 0 {
		t.Errorf("APQ registration in log mode: %+v", resp.Errors)
	}
}

func TestTrustedDocumentsBadManifests(t *testing.T) {
	for name, raw := range map[string]string{
		"not JSON":       "{",
		"empty":          "{}",
		"not strings":    `{"a": 1}`,
		"apollo v2":      `{"format":"apollo-persisted-query-manifest","version":2,"operations":[{"id":"a","body":"{ me { id } }"}]}`,
		"apollo no body": `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"a"}]}`,
	} {
		if _, err := httpapi.LoadManifest([]byte(raw)); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := httpapi.NewTrustedDocuments(filepath.Join(t.TempDir(), "missing.json"), httpapi.TrustedEnforce, "", slog.Default()); err == nil {
		t.Error("a missing manifest loaded")
	}
}

// The allow-list judges the bytes that execute: bodies that gqlgen's case-insensitive,
// last-non-null decoding would read differently from the check are refused in both modes, before
// anything reaches the platform, and nothing unlisted can be registered over APQ.
func TestTrustedDocumentsJudgeWhatRuns(t *testing.T) {
	unlisted := "query Unlisted { me { id email } }"
	apq := `{"persistedQuery":{"version":1,"sha256Hash":"` + sha256Hex(unlisted) + `"}}`
	q, _ := json.Marshal(unlisted)
	bodies := map[string]string{
		"Query in another case":            `{"Query":` + string(q) + `}`,
		"query then query null":            `{"query":` + string(q) + `,"query":null}`,
		"APQ registration, other case":     `{"Query":` + string(q) + `,"Extensions":` + apq + `}`,
		"a listed query shadowed by Query": `{"query":"query Me { me { id displayName } }","QUERY":` + string(q) + `}`,
		"Unicode folding (long s)":         `{"query":"query Me { me { id displayName } }","extenſions":` + apq + `}`,
		"escaped key repeated":             `{"query":` + string(q) + `,"\u0071uery":null}`,
	}
	for _, mode := range []string{httpapi.TrustedEnforce, httpapi.TrustedLog} {
		t.Run(mode, func(t *testing.T) {
			var logs testenv.LockedWriter
			e := testenv.New(t, withTrusted(t, writeManifest(t, false, map[string]string{"me": meDoc}), mode, "", &logs))
			e.Emu.Reset()
			for name, body := range bodies {
				resp, answer := e.Send(t, "POST", "", "application/json", "", body)
				wantRefused(t, name, testenv.DecodeAnswer(t, resp, answer), 400, graph.CodeBadRequest)
				if strings.Contains(answer, "email") {
					t.Errorf("%s: the refusal quotes the body: %s", name, answer)
				}
			}
			resp, answer := e.Send(t, "GET", "?query="+url.QueryEscape(meDoc)+"&query="+url.QueryEscape(unlisted), "", "", "")
			wantRefused(t, "GET with query twice", testenv.DecodeAnswer(t, resp, answer), 400, graph.CodeBadRequest)
			if n := e.Emu.TotalCalls(); n != 0 {
				t.Errorf("refused bodies made %d platform calls", n)
			}
			if mode == httpapi.TrustedEnforce {
				// Nothing was registered: the hash alone is still unknown.
				wantRefused(t, "APQ hash after the attempts", e.SendParams(t, map[string]any{"extensions": json.RawMessage(apq)}), 400, graph.CodePersistedQueryNotFound)
			}
			// The same document sent plainly is judged as usual: refused, or served and logged.
			resp2 := e.SendParams(t, map[string]any{"query": unlisted})
			if mode == httpapi.TrustedEnforce {
				wantRefused(t, "plain unlisted", resp2, 403, graph.CodePersistedQueryNotInList)
			} else if resp2.Status != 200 || !strings.Contains(logs.String(), sha256Hex(unlisted)) {
				t.Errorf("log mode: status %d; the unlisted document was not logged:\n%s", resp2.Status, logs.String())
			}
		})
	}
}
