package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// send makes one request to url (a POST of body, or a GET when body is empty) with the headers
// given in pairs, and returns the status and the answer's body: the package's one client.
func send(t *testing.T, url, body string, headers ...string) (int, string) {
	t.Helper()
	method, r := http.MethodGet, io.Reader(nil)
	if body != "" {
		method, r = http.MethodPost, strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
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
	return resp.StatusCode, string(out)
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
