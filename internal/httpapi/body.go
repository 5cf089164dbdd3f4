package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/itwin-graphql/gateway/graph"
)

// readBody reads a POST body before gqlgen does, and before the request takes an execution slot:
// through MAX_BODY_BYTES, under its own deadline (timeout, from the first byte awaited) and the
// budget of bytes all bodies may hold. It refuses what gqlgen would answer by echoing the body
// back (its decode errors quote it, variables and all) or with no extensions.code: a body over
// the limit (413), one that could not be read in time (408, with nothing of the connection in the
// message), one past the budget (503 OVERLOADED), one sent compressed (415), and one that is
// empty, not JSON, a batch (a JSON array) or not the shape of a GraphQL request (400
// BAD_REQUEST). With trusted documents, the fields it parsed go to their check. gqlgen then
// decodes the buffer.
func readBody(max int64, timeout time.Duration, budget *bodyBudget, trusted *TrustedDocuments, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			if msg := checkQueryParams(r.URL.Query()); msg != "" {
				writeRequestError(w, http.StatusBadRequest, graph.CodeBadRequest, msg)
				return
			}
			// No body to wait for: the server's whole-request read deadline must not cut off an
			// execution that outlasts it.
			_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
			trusted.serve(w, r, nil, next)
			return
		}
		if enc := r.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
			writeRequestError(w, http.StatusUnsupportedMediaType, graph.CodeBadRequest, "compressed request bodies are not accepted; send the JSON as it is")
			return
		}
		if r.ContentLength > max {
			tooLarge(w, max)
			return
		}
		rc := http.NewResponseController(w)
		// The deadline is the body's alone: once read, the connection's reads are unbounded
		// again, so an execution that outlasts it is not cut off by it.
		_ = rc.SetReadDeadline(time.Now().Add(timeout))
		body, held, err := readAllBudgeted(r.Body, r.ContentLength, max, budget)
		defer budget.give(held)
		_ = rc.SetReadDeadline(time.Time{})
		if err != nil && r.ProtoMajor == 1 {
			// The rest of the body is not worth reading: without this the server would read it
			// to keep the connection, at the client's pace, before answering.
			w.Header().Set("Connection", "close")
		}
		switch {
		case errors.Is(err, errBodyTooLarge):
			tooLarge(w, max)
			return
		case errors.Is(err, errBodyBudget):
			w.Header().Set("Retry-After", "1")
			writeRequestError(w, http.StatusServiceUnavailable, graph.CodeOverloaded, "the gateway is receiving as many request bodies as it may; retry shortly")
			return
		case err != nil && isTimeout(err):
			writeRequestError(w, http.StatusRequestTimeout, graph.CodeBadRequest, "the request body was not received in time")
			return
		case err != nil:
			writeRequestError(w, http.StatusBadRequest, graph.CodeBadRequest, "the request body could not be read")
			return
		}
		fields, msg := checkRequestJSON(body)
		if msg != "" {
			writeRequestError(w, http.StatusBadRequest, graph.CodeBadRequest, msg)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		trusted.serve(w, r, fields, next) // the fields just parsed, not parsed again
	})
}

// requestFields are the members of a GraphQL-over-HTTP request body that gqlgen or the
// trusted-documents check read. encoding/json matches struct fields case-insensitively (with
// Unicode folding: "ſ" for "s") and keeps the last of repeated keys, skipping nulls; a map keeps
// the last key exactly as spelt. A body whose keys differ only in case, or repeat, would be read
// one way by the check and another by gqlgen, so such a body is refused: what is checked is then
// exactly what executes.
var requestFields = []string{"query", "operationName", "variables", "extensions", "documentId"}

// checkRequestJSON says what is wrong with a GraphQL-over-HTTP request body, in words of its own
// that quote nothing of the body; "" when nothing is.
func checkRequestJSON(body []byte) (fields map[string]json.RawMessage, msg string) {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return nil, `the request body is empty; send {"query": "..."}`
	case trimmed[0] == '[':
		return nil, "batched requests (a JSON array) are not supported; send one operation per request"
	}
	// One pass: Unmarshal validates the whole body while it splits out the top-level fields.
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &fields) != nil {
		return nil, "the request body is not a JSON object"
	}
	if msg := checkKeys(trimmed, fields); msg != "" {
		return nil, msg
	}
	for name, want := range map[string]byte{"query": '"', "operationName": '"', "variables": '{', "extensions": '{'} {
		raw := bytes.TrimSpace(fields[name])
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		if raw[0] != want {
			kind := "a string"
			if want == '{' {
				kind = "an object"
			}
			return nil, name + " must be " + kind
		}
	}
	return fields, ""
}

// checkKeys refuses a body (a valid JSON object, decoded into fields) whose top-level keys repeat
// or spell a GraphQL-over-HTTP field in another case. Keys are compared decoded, as both readers
// see them ("\u0071uery" is "query"). A near miss shows among the decoded keys; a repeat as more
// members than keys, counted without decoding anything, so a well-formed body costs no allocation
// here.
func checkKeys(obj []byte, fields map[string]json.RawMessage) string {
	for key := range fields {
		for _, f := range requestFields {
			if key != f && strings.EqualFold(key, f) {
				return "the request body has a key that differs from " + f + " only in case; GraphQL-over-HTTP fields are spelt exactly"
			}
		}
	}
	if topLevelMembers(obj) == len(fields) {
		return ""
	}
	// Some key repeats: name it if it is a GraphQL-over-HTTP field (a rare, refused body, so it
	// may be decoded again).
	dec := json.NewDecoder(bytes.NewReader(obj))
	_, _ = dec.Token() // '{'
	seen := make(map[string]bool, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := tok.(string)
		if seen[key] && slices.Contains(requestFields, key) {
			return "the request body names " + key + " more than once"
		}
		seen[key] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			break
		}
	}
	return "the request body repeats a key"
}

// topLevelMembers counts the members of a valid JSON object: the colons outside strings at its
// first level.
func topLevelMembers(obj []byte) int {
	n, depth, inString := 0, 0, false
	for i := 0; i < len(obj); i++ {
		c := obj[i]
		switch {
		case inString:
			switch c {
			case '\\':
				i++ // the escaped byte
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == ':' && depth == 1:
			n++
		}
	}
	return n
}

// checkQueryParams refuses a GET request that names a GraphQL-over-HTTP parameter twice: the
// check and gqlgen both read the first today, but nothing should hang on that.
func checkQueryParams(q url.Values) string {
	for _, f := range requestFields {
		if len(q[f]) > 1 {
			return "the request names " + f + " more than once"
		}
	}
	return ""
}

func tooLarge(w http.ResponseWriter, max int64) {
	writeRequestError(w, http.StatusRequestEntityTooLarge, graph.CodeRequestTooLarge, fmt.Sprintf("the request body is larger than %d bytes", max))
}
