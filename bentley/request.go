package bentley

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

type credentialKey struct{}

// credential is a caller's bearer token with its hash, computed once per request.
type credential struct {
	token string
	hash  string
	// authorization is the Authorization header's value, built once for all the request's calls.
	authorization []string
}

// WithToken returns a context carrying the caller's bearer token for upstream calls.
func WithToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, credentialKey{}, &credential{token: token, hash: credentialHash(token), authorization: []string{"Bearer " + token}})
}

// request is an upstream request with what the client needs to know about it.
type request struct {
	*http.Request
	endpoint string
	body     []byte
	// credential is the hash of the bearer token, for keys of shared state.
	credential string
	// caller is whose share of the upstream slots the call takes (WithCaller).
	caller string
	// attempt numbers the request's tries from 1, for the log.
	attempt int
}

// newRequest builds a request for path, relative to the base URL, with the API's media type.
// Callers build paths with idPath, which checks and escapes ids.
func (c *Client) newRequest(ctx context.Context, endpoint, method, path string, body any) (*request, error) {
	cred, _ := ctx.Value(credentialKey{}).(*credential)
	if cred == nil || cred.token == "" {
		return nil, ErrNoCredentials
	}
	var r io.Reader
	var buf []byte
	var err error
	if body != nil {
		if buf, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("bentley: %s: encoding body: %w", endpoint, err)
		}
		r = bytes.NewReader(buf)
	}
	// Paths are relative, built from validated and escaped ids (idPath), so appending one to the
	// base is the same as resolving it against the base, and parses the URL once instead of thrice.
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, fmt.Errorf("bentley: %s: building the request: %w", endpoint, err)
	}
	// Header values are shared slices, set under their canonical keys: nothing on the way out
	// (the transport, tracing's propagator) changes a value in place, and a Set replaces it.
	accept := acceptV1
	if strings.HasPrefix(endpoint, "accesscontrol.") {
		accept = acceptV2
	}
	req.Header["Accept"] = accept
	req.Header["Authorization"] = cred.authorization
	req.Header["User-Agent"] = c.userAgent
	if body != nil {
		req.Header["Content-Type"] = contentTypeJSON
	}
	caller, _ := ctx.Value(callerKey{}).(string)
	if caller == "" {
		caller = cred.hash
	}
	return &request{Request: req, endpoint: endpoint, body: buf, credential: cred.hash, caller: caller}, nil
}
