package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
)

const (
	keyOne = "key-one-0123456789abcdef"
	keyTwo = "key-two-0123456789abcdef"
)

// serviceGateway starts a gateway in service mode against an emulator served over HTTP.
func serviceGateway(t *testing.T, emu *emulator.Emulator, extra map[string]string) *runningGateway {
	t.Helper()
	upstream := httptest.NewServer(emu)
	t.Cleanup(upstream.Close)
	env := map[string]string{
		"BENTLEY_API_URL":       upstream.URL,
		"BENTLEY_TOKEN_URL":     upstream.URL + "/connect/token",
		"BENTLEY_CLIENT_ID":     emulator.DemoClientID,
		"BENTLEY_CLIENT_SECRET": emulator.DemoClientSecret,
		"GATEWAY_API_KEYS":      keyOne + "," + keyTwo,
	}
	for k, v := range extra {
		env[k] = v
	}
	return startGateway(t, env)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServiceMode(t *testing.T) {
	emu := emulator.New()
	g := serviceGateway(t, emu, nil)
	show := emu.Showcase()
	me := `{"query":"{ me { id displayName } }"}`

	t.Run("no API key, wrong API key: 401 and no upstream call", func(t *testing.T) {
		for _, headers := range [][]string{nil, {"X-Api-Key", "not-a-key-but-long-enough"}, {"X-Api-Key", keyOne[:len(keyOne)-1]}} {
			emu.Reset()
			req, _ := http.NewRequest("POST", g.url+"/graphql", strings.NewReader(me))
			req.Header.Set("Content-Type", "application/json")
			for i := 0; i+1 < len(headers); i += 2 {
				req.Header.Set(headers[i], headers[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 401 || !strings.Contains(string(body), "UNAUTHENTICATED") {
				t.Errorf("%v: %d %s", headers, resp.StatusCode, body)
			}
			if n := emu.TotalCalls(); n != 0 {
				t.Errorf("%v: %d upstream calls", headers, n)
			}
		}
	})

	t.Run("with a key, the gateway acts as its service client", func(t *testing.T) {
		emu.Reset()
		for _, key := range []string{keyOne, keyTwo, keyOne} {
			body := post(t, g.url, "", me, "X-Api-Key", key)
			if !strings.Contains(body, emu.ServiceClientID()) {
				t.Fatalf("me = %s, want the service client", body)
			}
		}
		body := post(t, g.url, "", `{"query":"query($i: ID!, $m: ID!) { itwin(id: $i) { displayName member(userId: $m) { email user { id } } } }","variables":{"i":"`+
			show.ITwinID+`","m":"`+show.MemberID+`"}}`, "X-Api-Key", keyTwo)
		// The service client was invited to the project; the Users API does not return people
		// of organizations it is not part of, so the member's user is null, with no error.
		if !strings.Contains(body, "Millbrook Viaduct Retrofit") || !strings.Contains(body, `"user":null`) || strings.Contains(body, "errors") {
			t.Errorf("aggregation in service mode: %s", body)
		}
		if n := emu.Calls(emulator.EndpointToken); n != 1 {
			t.Errorf("token endpoint called %d times for 4 queries, want 1 (cached)", n)
		}
		// A caller's own Authorization header is not what goes upstream in service mode.
		body = post(t, g.url, show.Token, me, "X-Api-Key", keyOne)
		if !strings.Contains(body, emu.ServiceClientID()) {
			t.Errorf("me with a user token in service mode = %s", body)
		}
	})

	t.Run("ready", func(t *testing.T) {
		if status, body := get(t, g.url+"/readyz"); status != 200 {
			t.Errorf("/readyz: %d %s", status, body)
		}
	})
}

func TestServiceTokenRefresh(t *testing.T) {
	emu := emulator.New()
	emu.SetTokenLifetime(time.Second) // expires_in: 1; refreshed after 0.8 s
	g := serviceGateway(t, emu, nil)
	me := `{"query":"{ me { id } }"}`
	if body := post(t, g.url, "", me, "X-Api-Key", keyOne); !strings.Contains(body, emu.ServiceClientID()) {
		t.Fatalf("first query: %s", body)
	}
	// Let the first token expire on the emulator, which then refuses it.
	time.Sleep(1200 * time.Millisecond)
	if body := post(t, g.url, "", me, "X-Api-Key", keyOne); !strings.Contains(body, emu.ServiceClientID()) {
		t.Fatalf("query after the first token expired: %s", body)
	}
	if n := emu.Calls(emulator.EndpointToken); n != 2 {
		t.Errorf("token endpoint called %d times, want 2 (one refresh)", n)
	}
}

func TestServiceModeConfiguration(t *testing.T) {
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	for _, env := range []map[string]string{
		{"BENTLEY_CLIENT_ID": "c", "BENTLEY_CLIENT_SECRET": "s"},
		{"BENTLEY_CLIENT_ID": "c"},
		{"BENTLEY_CLIENT_SECRET": "s"},
		{"GATEWAY_API_KEYS": keyOne},
		{"BENTLEY_CLIENT_ID": "c", "BENTLEY_CLIENT_SECRET": "s", "GATEWAY_API_KEYS": "short"},
		{"BENTLEY_CLIENT_ID": "c", "BENTLEY_CLIENT_SECRET": "s", "GATEWAY_API_KEYS": keyOne, "BENTLEY_TOKEN_URL": "ims"},
	} {
		if err := run(stopped, nil, func(k string) string { return env[k] }, io.Discard); err == nil {
			t.Errorf("%v: accepted", env)
		}
	}

	// The explicit opt-out: anonymous callers are served with the gateway's token.
	emu := emulator.New()
	g := serviceGateway(t, emu, map[string]string{"GATEWAY_API_KEYS": "", "GATEWAY_ALLOW_ANONYMOUS": "true"})
	if body := post(t, g.url, "", `{"query":"{ me { id } }"}`); !strings.Contains(body, emu.ServiceClientID()) {
		t.Errorf("anonymous caller with GATEWAY_ALLOW_ANONYMOUS: %s", body)
	}
}

func TestServiceModeWithBadCredentials(t *testing.T) {
	emu := emulator.New()
	g := serviceGateway(t, emu, map[string]string{"BENTLEY_CLIENT_SECRET": "wrong-secret-value"})
	req, _ := http.NewRequest("POST", g.url+"/graphql", strings.NewReader(`{"query":"{ me { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", keyOne)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "UPSTREAM_UNAVAILABLE") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	if status, _ := get(t, g.url+"/readyz"); status != 503 {
		t.Errorf("/readyz = %d with credentials IMS refuses, want 503", status)
	}
	if strings.Contains(g.logs.String(), "wrong-secret-value") {
		t.Error("the client secret reached the logs")
	}
}

func TestReadiness(t *testing.T) {
	g := startGateway(t, nil)
	if status, _ := get(t, g.url+"/readyz"); status != 200 {
		t.Errorf("/readyz with the embedded emulator = %d", status)
	}
	// An upstream that is gone: a closed loopback port.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	down := startGateway(t, map[string]string{"BENTLEY_API_URL": gone.URL})
	if status, body := get(t, down.url+"/readyz"); status != 503 {
		t.Errorf("/readyz with the upstream down = %d %s", status, body)
	}
	if status, _ := get(t, down.url+"/healthz"); status != 200 {
		t.Errorf("/healthz must stay 200 (liveness) with the upstream down, got %d", status)
	}
}
