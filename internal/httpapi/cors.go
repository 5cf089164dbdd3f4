package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// corsAllowedHeaders are the request headers browsers may send cross-origin.
var corsAllowedHeaders = []string{
	"Authorization", "Content-Type", "Accept", "X-Api-Key", "X-Request-Id",
	"Apollo-Require-Preflight", "Apollographql-Client-Name", "Apollographql-Client-Version",
	"Traceparent", "Tracestate",
}

// cors lets browsers on the allowed origins call the endpoint. github.com/rs/cors does the same and
// more; the policy here is an exact allow-list, one method set, a fixed header list and one
// exposed header, tested in full, and the library's options for everything else (credentials,
// wildcard subdomains, private network access) are what this gateway must not enable. With no origins configured no
// cross-origin request is allowed; "*" allows every origin (no cookies are used, the token
// travels in the Authorization header).
func cors(allowed []string, next http.Handler) http.Handler {
	if len(allowed) == 0 {
		return next
	}
	any := slices.Contains(allowed, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		ok := any || slices.Contains(allowed, origin)
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if !ok {
			if preflight {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r) // served without CORS headers: the browser withholds the answer
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Expose-Headers", "X-Request-Id")
		if preflight {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", strings.Join(corsAllowedHeaders, ", "))
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
