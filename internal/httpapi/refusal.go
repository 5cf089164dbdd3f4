package httpapi

import (
	"encoding/json"
	"net/http"
)

// WriteError answers a request refused outside GraphQL execution in the GraphQL error shape,
// with a stable extensions.code, for the gateway's other routes.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	writeRequestError(w, status, code, message)
}

// writeRequestError answers a request refused before GraphQL execution, in the GraphQL error shape.
func writeRequestError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
		"message": message, "extensions": map[string]any{"code": code},
	}}})
}
