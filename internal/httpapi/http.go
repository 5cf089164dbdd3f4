package httpapi

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/itwin-graphql/gateway/graph"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// GraphQL over HTTP (https://graphql.github.io/graphql-over-http/). gqlgen's transports negotiate
// the response media type and set the statuses of application/graphql-response+json; overHTTP
// adds what they leave out:
//
//   - methods other than GET, POST and OPTIONS: 405 with Allow;
//   - GET for anything but a query (a mutation or subscription): 405 with Allow: POST;
//   - a POST body that is not application/json: 415;
//   - an Accept header naming no media type the server can produce: 406.
func overHTTP(maxTokens int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		case http.MethodGet:
			for _, name := range []string{"variables", "extensions"} {
				if v := strings.TrimSpace(r.URL.Query().Get(name)); v != "" && (v[0] != '{' || !json.Valid([]byte(v))) {
					writeRequestError(w, http.StatusBadRequest, graph.CodeBadRequest, name+" must be a JSON object")
					return
				}
			}
			if q := r.URL.Query().Get("query"); q != "" && !isQueryOperation(q, r.URL.Query().Get("operationName"), maxTokens) {
				w.Header().Set("Allow", "POST")
				writeRequestError(w, http.StatusMethodNotAllowed, graph.CodeBadRequest, "GET requests may only carry query operations; send mutations and subscriptions with POST")
				return
			}
		case http.MethodPost:
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				writeRequestError(w, http.StatusUnsupportedMediaType, graph.CodeBadRequest, "POST requests must have Content-Type: application/json")
				return
			}
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			writeRequestError(w, http.StatusMethodNotAllowed, graph.CodeBadRequest, "use GET or POST")
			return
		}
		if !acceptable(r.Header.Get("Accept")) {
			writeRequestError(w, http.StatusNotAcceptable, graph.CodeBadRequest,
				"the Accept header names no media type this server produces: application/graphql-response+json or application/json")
			return
		}
		next.ServeHTTP(legacyStatus{w}, r)
	})
}

// legacyStatus answers 200 instead of gqlgen's 422 when the response is application/json: for
// that media type the specification says a well-formed request SHOULD get 200 whatever GraphQL
// errors it raises. application/graphql-response+json keeps its 4xx statuses.
type legacyStatus struct{ http.ResponseWriter }

func (l legacyStatus) WriteHeader(code int) {
	if code == http.StatusUnprocessableEntity && strings.HasPrefix(l.Header().Get("Content-Type"), "application/json") {
		code = http.StatusOK
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l legacyStatus) Unwrap() http.ResponseWriter { return l.ResponseWriter }

// acceptable reports whether an Accept header allows a GraphQL response. No header means
// application/json, as the specification says for legacy clients.
func acceptable(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q <= 0 {
			continue // q=0 means "not this one"
		}
		switch mt {
		case "application/graphql-response+json", "application/json", "application/*", "*/*":
			return true
		}
	}
	return false
}

// isQueryOperation reports whether the operation a GET request selects is a query. A document
// that does not parse is let through: gqlgen answers it with the proper parse error.
func isQueryOperation(query, operationName string, maxTokens int) bool {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, maxTokens)
	if err != nil {
		return true
	}
	op := doc.Operations.ForName(operationName)
	return op == nil || op.Operation == ast.Query
}
