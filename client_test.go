package main

import (
	"net/http"
	"testing"

	"github.com/itwin-graphql/gateway/internal/testenv"
)

// send makes one request to url (a POST of body, or a GET when body is empty) with the headers
// given in pairs, and returns the status and the answer's body: the package's one client.
func send(t *testing.T, url, body string, headers ...string) (int, string) {
	t.Helper()
	method := http.MethodGet
	if body != "" {
		method, headers = http.MethodPost, append([]string{"Content-Type", "application/json"}, headers...)
	}
	resp, out := testenv.Do(t, method, url, body, headers...)
	return resp.StatusCode, out
}

// postStatus POSTs a JSON body and returns the status and the body.
func postStatus(t *testing.T, url, body string, headers ...string) (int, string) {
	t.Helper()
	return send(t, url, body, headers...)
}

// postBody POSTs a JSON body and returns the answer's body.
func postBody(t *testing.T, url, body string, headers ...string) string {
	t.Helper()
	_, out := send(t, url, body, headers...)
	return out
}

// post sends one GraphQL request to a gateway with a bearer token ("" sends none) and returns the
// answer's body.
func post(t *testing.T, gateway, token, body string, headers ...string) string {
	t.Helper()
	if token != "" {
		headers = append([]string{"Authorization", "Bearer " + token}, headers...)
	}
	_, out := send(t, gateway+"/graphql", body, headers...)
	return out
}

// get GETs url and returns the status and the body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	return send(t, url, "")
}
