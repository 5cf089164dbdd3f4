package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/testenv"
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
	g := startGateway(t, env)
	// The token is fetched once at startup, in the background; wait for that fetch to end so
	// tests count only the calls their requests cause.
	testenv.Eventually(t, "the startup token fetch reaches the token endpoint", func() bool { return emu.Calls(emulator.EndpointToken) > 0 })
	waitTokenSettled(t, g)
	return g
}

// waitTokenSettled waits until the token source is no longer fetching: /readyz reports a token, or
// the fetch has failed (a test of bad credentials).
func waitTokenSettled(t *testing.T, g *runningGateway) {
	t.Helper()
	testenv.Eventually(t, "the token source settles", func() bool {
		_, body := get(t, g.url+"/readyz")
		return !strings.Contains(body, "service token") || g.logs.find("the token endpoint gave no platform token; backing off") != nil
	})
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
		if n := emu.Calls(emulator.EndpointToken); n != 0 {
			t.Errorf("token endpoint called %d times for 4 queries, want 0 (fetched once at startup, then reused)", n)
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
	// Readiness is about this replica, not the token endpoint: taking every replica out of the
	// Service would not bring a token back. The body says what is wrong.
	if status, body := get(t, g.url+"/readyz"); status != 200 || !strings.Contains(body, "service token") {
		t.Errorf("/readyz = %d %q with credentials IMS refuses, want 200 naming the token", status, body)
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
	if status, body := get(t, down.url+"/readyz"); status != 200 {
		t.Errorf("/readyz with the upstream down = %d %s; an outage must not take every replica out", status, body)
	}
	if status, _ := get(t, down.url+"/healthz"); status != 200 {
		t.Errorf("/healthz must stay 200 (liveness) with the upstream down, got %d", status)
	}
}

// timedPosts sends n concurrent service-mode queries and returns each one's status and duration.
func timedPosts(t *testing.T, g *runningGateway, n int) (statuses []int, slowest time.Duration) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			req, _ := http.NewRequest("POST", g.url+"/graphql", strings.NewReader(`{"query":"query Me { me { id } }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Api-Key", keyOne)
			resp, err := http.DefaultClient.Do(req)
			took := time.Since(start)
			status := 0
			if err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			mu.Lock()
			statuses = append(statuses, status)
			slowest = max(slowest, took)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return statuses, slowest
}

func TestTokenEndpointOutages(t *testing.T) {
	for _, fault := range []emulator.Fault{
		{Endpoint: emulator.EndpointToken, Kind: emulator.FaultHang},
		{Endpoint: emulator.EndpointToken, Kind: emulator.FaultStatus, Status: 500},
	} {
		name := "hanging"
		if fault.Kind == emulator.FaultStatus {
			name = "failing"
		}
		t.Run(name, func(t *testing.T) {
			emu := emulator.New()
			emu.SetTokenLifetime(2 * time.Second) // refresh due after 1.6 s, expired after 2 s
			g := serviceGateway(t, emu, nil)
			defer emu.Close()
			start := time.Now()
			emu.Inject(fault)

			// A valid token past its refresh point: the refresh fails in the background while every
			// request goes on with the valid token, none waiting for the token endpoint.
			time.Sleep(time.Until(start.Add(1700 * time.Millisecond)))
			statuses, slowest := timedPosts(t, g, 10)
			for _, s := range statuses {
				if s != 200 {
					t.Errorf("with a valid token: statuses %v", statuses)
					break
				}
			}
			if slowest > time.Second {
				t.Errorf("with a valid token, a request took %s: it waited for the token endpoint", slowest)
			}

			// Expired, and no new token to be had: every request fails fast with 503.
			time.Sleep(time.Until(start.Add(2300 * time.Millisecond)))
			before := emu.Calls(emulator.EndpointToken)
			for round := 0; round < 3; round++ {
				statuses, slowest = timedPosts(t, g, 10)
				for _, s := range statuses {
					if s != 503 {
						t.Errorf("with an expired token: statuses %v, want 503 each", statuses)
						break
					}
				}
				if slowest > 1500*time.Millisecond {
					t.Errorf("with an expired token, a request took %s: requests queue behind the token endpoint", slowest)
				}
			}
			// 30 refused requests, and the token endpoint is not called once per request.
			if n := emu.Calls(emulator.EndpointToken) - before; n > 2 {
				t.Errorf("token endpoint called %d times for 30 requests; failures must back off", n)
			}
			// /readyz never waits for it.
			readyStart := time.Now()
			if status, _ := get(t, g.url+"/readyz"); status != 200 || time.Since(readyStart) > 200*time.Millisecond {
				t.Errorf("/readyz: %d after %s", status, time.Since(readyStart))
			}
			if logs := g.logs.String(); strings.Contains(logs, "unexpected condition") {
				t.Error("the token endpoint's error body reached the log")
			}
		})
	}
}
