package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/itwin-graphql/gateway/bentley/emulator"
)

// The Go example (examples/go-client, its own module) runs as a real server-to-server caller:
// it gets a token with the client-credentials grant from the emulator's token endpoint and
// sends it through the gateway in pass-through mode. Its report must match the graph, and
// every platform call must have been made as the service application.
func TestGoClientExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a separate module")
	}
	goBin := requireTool(t, "the Go example is built with the go command", "go")
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	g := startGateway(t, map[string]string{"BENTLEY_API_URL": upstream.URL})
	tokenURL := upstream.URL + "/connect/token"

	// What the report must say, asked directly as the same service application.
	creds := clientcredentials.Config{ClientID: emulator.DemoClientID, ClientSecret: emulator.DemoClientSecret,
		TokenURL: tokenURL, Scopes: []string{emulator.DemoScope}}
	tok, err := creds.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var listed struct {
		Data struct {
			Itwins struct {
				Nodes []struct{ ID, DisplayName string }
			}
		}
	}
	body := post(t, g.url, tok.AccessToken, `{"query":"{ itwins(first: 100) { nodes { id displayName } } }"}`)
	if err := json.Unmarshal([]byte(body), &listed); err != nil || len(listed.Data.Itwins.Nodes) == 0 {
		t.Fatalf("direct query: %s", body)
	}
	wantLines := []string{fmt.Sprintf("%d iTwins\n", len(listed.Data.Itwins.Nodes))}
	for _, it := range listed.Data.Itwins.Nodes {
		var team struct {
			Data struct {
				Itwin struct {
					Members struct{ Nodes []struct{ ID string } }
				}
			}
			Errors []struct{ Extensions struct{ Code string } }
		}
		body := post(t, g.url, tok.AccessToken, `{"query":"query($id: ID!) { itwin(id: $id) { members(first: 100) { nodes { id } } } }","variables":{"id":"`+it.ID+`"}}`)
		if err := json.Unmarshal([]byte(body), &team); err != nil {
			t.Fatal(err)
		}
		if len(team.Errors) > 0 {
			wantLines = append(wantLines, fmt.Sprintf("team not visible (%s)\n", team.Errors[0].Extensions.Code))
			continue
		}
		// Fewer than 100 members each here, so one page is the whole team.
		wantLines = append(wantLines, fmt.Sprintf("%s  %s  [", it.ID, it.DisplayName), fmt.Sprintf("]  %d members\n", len(team.Data.Itwin.Members.Nodes)))
	}
	emu.Reset()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "run", ".")
	cmd.Dir = "examples/go-client"
	cmd.Env = append(os.Environ(),
		"GATEWAY_URL="+g.url+"/graphql", "TOKEN_URL="+tokenURL,
		"CLIENT_ID="+emulator.DemoClientID, "CLIENT_SECRET="+emulator.DemoClientSecret)
	out, err := cmd.CombinedOutput()
	report := string(out)
	if err != nil {
		t.Fatalf("go run ./examples/go-client: %v\n%s", err, report)
	}
	t.Logf("report:\n%s", report)
	// The report says what the graph says, in order.
	rest := report
	for _, line := range wantLines {
		i := strings.Index(rest, line)
		if i < 0 {
			t.Errorf("report lacks %q after what came before", line)
			continue
		}
		rest = rest[i+len(line):]
	}
	if n := emu.Calls(emulator.EndpointToken); n != 1 {
		t.Errorf("the example asked the token endpoint %d times, want 1 (one token for the whole job)", n)
	}
	for _, r := range emu.Requests() {
		if r.Endpoint != emulator.EndpointToken && r.Caller != emu.ServiceClientID() {
			t.Errorf("%s %s was called as %q, not as the service application", r.Method, r.Path, r.Caller)
		}
	}
}

// The TypeScript example (examples/web) runs its node:test suite against the emulator-backed
// gateway as the demo user: Apollo Client's normalised cache over the list and member queries.
// .ci/run installs its packages with npm ci; on a machine without them the test skips.
func TestWebExample(t *testing.T) {
	npm := requireTool(t, "the TypeScript example runs with Node and npm", "npm")
	if _, err := os.Stat("examples/web/node_modules/.package-lock.json"); err != nil {
		msg := "examples/web has no node_modules: run npm ci there (as .ci/run does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	g := startGateway(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "test", "--silent")
	cmd.Dir = "examples/web"
	cmd.Env = append(os.Environ(), "GATEWAY_URL="+g.url+"/graphql", "TOKEN="+g.token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm test in examples/web: %v\n%s", err, out)
	}
	// node --test prints its tally; all three tests must have run and passed.
	if !strings.Contains(string(out), "# pass 3") || !strings.Contains(string(out), "# fail 0") {
		t.Fatalf("npm test did not pass all 3 tests:\n%s", out)
	}
	t.Logf("%s", out)
}
