package httpapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/itwin-graphql/gateway/graph"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Trusted documents ("persisted documents" used as an allow-list): the operations a deployment's
// apps were built with, from the manifest their build emitted. In enforce mode nothing else
// reaches the parser, let alone the platform.

// Trusted document modes.
const (
	TrustedEnforce = "enforce" // refuse documents not in the manifest
	TrustedLog     = "log"     // serve them, and log each unlisted one once (for a migration)
)

// BypassHeader lets a request with the configured key send any document in enforce mode: for
// GraphiQL and operators, never for apps.
const BypassHeader = "X-Trusted-Documents-Bypass"

// manifest is one loaded manifest: every way a request may name a document, and the texts.
type manifest struct {
	byID   map[string]string // documentId / APQ hash forms -> text
	byText map[string]bool
	// operations are the names of the documents' operations.
	operations map[string]bool
}

// LoadManifest reads a trusted documents manifest in either format clients emit:
//   - graphql-codegen's client preset (persisted-documents.json): {"<hash>": "<document>", ...}
//   - Apollo's persisted query manifest: {"format": "apollo-persisted-query-manifest",
//     "version": 1, "operations": [{"id", "name", "type", "body"}, ...]}
//
// Each document is known by its manifest id, and also by the SHA-256 of its text (the
// GraphQL-over-HTTP "sha256:<hex>" identifier, and APQ's hash), whatever the manifest's ids are.
func LoadManifest(raw []byte) (*manifest, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	m := &manifest{byID: map[string]string{}, byText: map[string]bool{}, operations: map[string]bool{}}
	if format, ok := top["format"]; ok {
		var apollo struct {
			Format     string
			Version    int
			Operations []struct{ ID, Name, Type, Body string }
		}
		if err := json.Unmarshal(raw, &apollo); err != nil {
			return nil, fmt.Errorf("apollo manifest: %w", err)
		}
		if apollo.Format != "apollo-persisted-query-manifest" || apollo.Version != 1 {
			return nil, fmt.Errorf("unknown manifest format %s version %d", format, apollo.Version)
		}
		for i, op := range apollo.Operations {
			if op.ID == "" || op.Body == "" {
				return nil, fmt.Errorf("apollo manifest: operation %d has no id or body", i)
			}
			m.add(op.ID, op.Body)
		}
	} else {
		for id, rawText := range top {
			var text string
			if err := json.Unmarshal(rawText, &text); err != nil || text == "" {
				return nil, fmt.Errorf("persisted documents: the value of %q is not a document string", id)
			}
			m.add(id, text)
		}
	}
	if len(m.byText) == 0 {
		return nil, errors.New("the manifest lists no documents")
	}
	return m, nil
}

func (m *manifest) add(id, text string) {
	m.byText[text] = true
	if doc, err := parser.ParseQuery(&ast.Source{Input: text}); err == nil {
		for _, op := range doc.Operations {
			if op.Name != "" {
				m.operations[op.Name] = true
			}
		}
	}
	sum := sha256.Sum256([]byte(text))
	hash := hex.EncodeToString(sum[:])
	for _, key := range []string{id, hash, "sha256:" + hash} {
		m.byID[key] = text
	}
	if isSHA256Hex(id) {
		m.byID["sha256:"+strings.ToLower(id)] = text
	}
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// TrustedDocuments holds the manifest in force, swapped whole on Reload, so requests in flight
// keep the one they started with and none waits on a reload.
type TrustedDocuments struct {
	path   string
	mode   string
	bypass []byte // SHA-256 of the bypass key; nil: no bypass
	logger *slog.Logger
	docs   atomic.Pointer[manifest]

	mu     sync.Mutex
	logged map[string]bool // unlisted documents already logged (log mode), bounded
}

// NewTrustedDocuments loads the manifest at path. mode is TrustedEnforce or TrustedLog;
// bypassKey, when not empty, lets requests carrying it in BypassHeader send any document.
func NewTrustedDocuments(path, mode, bypassKey string, logger *slog.Logger) (*TrustedDocuments, error) {
	if mode != TrustedEnforce && mode != TrustedLog {
		return nil, fmt.Errorf("mode %q is not enforce or log", mode)
	}
	t := &TrustedDocuments{path: path, mode: mode, logger: logger, logged: map[string]bool{}}
	if bypassKey != "" {
		sum := sha256.Sum256([]byte(bypassKey))
		t.bypass = sum[:]
	}
	if err := t.Reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// Reload reads the manifest again; on any error the one in force stays.
func (t *TrustedDocuments) Reload() error {
	raw, err := os.ReadFile(t.path)
	if err != nil {
		return fmt.Errorf("trusted documents: %w", err)
	}
	m, err := LoadManifest(raw)
	if err != nil {
		return fmt.Errorf("trusted documents %s: %w", t.path, err)
	}
	t.docs.Store(m)
	t.logger.Info("trusted documents loaded", "path", t.path, "documents", len(m.byText), "mode", t.mode)
	return nil
}

// ListsOperation reports whether the manifest in force has an operation of that name: the
// metrics give series to those names only.
func (t *TrustedDocuments) ListsOperation(name string) bool { return t.docs.Load().operations[name] }

// Enforced reports whether documents outside the manifest are refused.
func (t *TrustedDocuments) Enforced() bool { return t != nil && t.mode == TrustedEnforce }

// Bypassable reports whether a bypass key is configured (GraphiQL stays usable in enforce mode).
func (t *TrustedDocuments) Bypassable() bool { return t != nil && t.bypass != nil }

// maxLoggedUnlisted bounds the set of unlisted documents log mode remembers having logged.
const maxLoggedUnlisted = 10000

// serve resolves documentId and APQ hashes from the manifest, and in enforce mode refuses any
// document it does not hold, before gqlgen parses anything; then it hands the request to next.
// readBody calls it with a POST body's top-level fields, already parsed (nil for GET). Without
// trusted documents (t nil) it only calls next.
func (t *TrustedDocuments) serve(w http.ResponseWriter, r *http.Request, fields map[string]json.RawMessage, next http.Handler) {
	if t == nil || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
		next.ServeHTTP(w, r)
		return
	}
	if t.bypass != nil {
		if key := r.Header.Get(BypassHeader); key != "" {
			sum := sha256.Sum256([]byte(key))
			if subtle.ConstantTimeCompare(sum[:], t.bypass) == 1 {
				next.ServeHTTP(w, r)
				return
			}
		}
	}
	params, err := readParams(r, fields)
	if err != nil {
		writeRequestError(w, http.StatusBadRequest, graph.CodeBadRequest, "the request parameters could not be read")
		return
	}
	docs := t.docs.Load()
	id := params.documentID
	if id == "" {
		id = params.apqHash
	}
	switch {
	case id != "":
		text, ok := docs.byID[id]
		if !ok {
			if params.documentID == "" && t.mode == TrustedLog {
				next.ServeHTTP(w, r) // an APQ hash: automatic persisted queries as usual
				return
			}
			writeRequestError(w, http.StatusBadRequest, graph.CodePersistedQueryNotFound,
				"the document this request names is not among the trusted documents")
			return
		}
		if params.query != "" && params.query != text && t.mode == TrustedEnforce {
			writeRequestError(w, http.StatusBadRequest, graph.CodePersistedQueryNotFound,
				"the request's document differs from the trusted document it names")
			return
		}
		params.setQuery(r, text)
	case params.query != "":
		if !docs.byText[params.query] {
			if t.mode == TrustedEnforce {
				writeRequestError(w, http.StatusForbidden, graph.CodePersistedQueryNotInList,
					"this gateway serves only its trusted documents, and this document is not one of them")
				return
			}
			t.logUnlisted(params)
		}
	}
	next.ServeHTTP(w, r)
}

func (t *TrustedDocuments) logUnlisted(p requestParams) {
	sum := sha256.Sum256([]byte(p.query))
	hash := hex.EncodeToString(sum[:])
	t.mu.Lock()
	seen := t.logged[hash]
	if !seen {
		if len(t.logged) >= maxLoggedUnlisted {
			clear(t.logged)
		}
		t.logged[hash] = true
	}
	t.mu.Unlock()
	if !seen {
		t.logger.Warn("operation not among the trusted documents; served (TRUSTED_DOCUMENTS_MODE=log)",
			"operation", graph.Truncate(p.operationName, 100), "document_sha256", hash, "bytes", len(p.query))
	}
}

// requestParams are the parts of a GraphQL-over-HTTP request that name its document.
type requestParams struct {
	query, documentID, apqHash, operationName string
	// body is the decoded POST body, rewritten by setQuery; nil for GET.
	body map[string]json.RawMessage
}

func readParams(r *http.Request, fields map[string]json.RawMessage) (requestParams, error) {
	var p requestParams
	var extensions json.RawMessage
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		p.query, p.documentID, p.operationName = q.Get("query"), q.Get("documentId"), q.Get("operationName")
		if e := q.Get("extensions"); e != "" {
			extensions = json.RawMessage(e)
		}
	} else {
		p.body = fields
		for name, dst := range map[string]*string{"query": &p.query, "documentId": &p.documentID, "operationName": &p.operationName} {
			if v, ok := p.body[name]; ok && string(v) != "null" {
				if err := json.Unmarshal(v, dst); err != nil {
					return p, err
				}
			}
		}
		extensions = p.body["extensions"]
	}
	if len(extensions) > 0 && string(extensions) != "null" {
		var ext struct {
			PersistedQuery *struct {
				SHA256Hash string `json:"sha256Hash"`
			} `json:"persistedQuery"`
		}
		if err := json.Unmarshal(extensions, &ext); err != nil {
			return p, err
		}
		if ext.PersistedQuery != nil {
			p.apqHash = ext.PersistedQuery.SHA256Hash
		}
	}
	return p, nil
}

// setQuery makes the request carry the trusted document's text in place of its id: gqlgen's
// transports then parse exactly the manifest's text. The APQ extension goes, so it neither
// re-checks a hash of another algorithm nor stores anything.
func (p requestParams) setQuery(r *http.Request, text string) {
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		q.Set("query", text)
		q.Del("documentId")
		q.Del("extensions")
		r.URL.RawQuery = q.Encode()
		return
	}
	body := p.body
	body["query"], _ = json.Marshal(text)
	delete(body, "documentId")
	delete(body, "extensions")
	raw, _ := json.Marshal(body)
	r.Body = io.NopCloser(bytes.NewReader(raw))
	r.ContentLength = int64(len(raw))
}
