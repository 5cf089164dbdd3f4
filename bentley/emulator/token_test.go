package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func requestToken(t *testing.T, f *fixture, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(f.srv.URL+"/connect/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestTokenEndpoint(t *testing.T) {
	f := newFixture(t)
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {DemoClientID}, "client_secret": {DemoClientSecret}, "scope": {DemoScope}}

	status, body := requestToken(t, f, good)
	token, _ := body["access_token"].(string)
	if status != 200 || token == "" || body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) {
		t.Fatalf("grant: %d %v", status, body)
	}
	resp, raw := call{method: "GET", path: "/users/me", token: token, accept: acceptV1}.do(t, f.srv)
	if resp.StatusCode != 200 || !strings.Contains(string(raw), f.emu.ServiceClientID()) {
		t.Errorf("/users/me with a service token: %d %s", resp.StatusCode, raw)
	}
	if resp, _ := (call{method: "GET", path: "/itwins/" + f.project.id, token: token, accept: acceptV1}).do(t, f.srv); resp.StatusCode != 200 {
		t.Errorf("the service client is a member of the showcase project, got %d", resp.StatusCode)
	}
	if resp, _ := (call{method: "GET", path: "/itwins/" + f.foreign.id, token: token, accept: acceptV1}).do(t, f.srv); resp.StatusCode != 404 {
		t.Errorf("the service client sees only what it was invited to, got %d", resp.StatusCode)
	}

	for name, form := range map[string]url.Values{
		"wrong secret": {"grant_type": {"client_credentials"}, "client_id": {DemoClientID}, "client_secret": {"nope"}, "scope": {DemoScope}},
		"wrong grant":  {"grant_type": {"password"}, "client_id": {DemoClientID}, "client_secret": {DemoClientSecret}, "scope": {DemoScope}},
		"wrong scope":  {"grant_type": {"client_credentials"}, "client_id": {DemoClientID}, "client_secret": {DemoClientSecret}, "scope": {"users:read"}},
	} {
		if status, body := requestToken(t, f, form); status == 200 || body["error"] == nil {
			t.Errorf("%s: %d %v", name, status, body)
		}
	}

	f.emu.SetTokenLifetime(50 * time.Millisecond)
	_, body = requestToken(t, f, good)
	short := body["access_token"].(string)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		resp, _ := call{method: "GET", path: "/users/me", token: short, accept: acceptV1}.do(t, f.srv)
		if resp.StatusCode == 401 {
			return // expired tokens are refused
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Error("an expired token was still accepted")
}
