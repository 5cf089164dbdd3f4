package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/examples/supergraph/notes"
	"github.com/itwin-graphql/gateway/internal/testenv"
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
// gateway as the demo user: Apollo Client's normalised cache over the list and member queries,
// with the gateway enforcing the trusted documents manifest the example's codegen emitted.
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
	// Locked to the app's own manifest, as a production frontend gateway would be: every
	// request of the suite must name one of its documents.
	manifest, _ := filepath.Abs("examples/web/src/gql/persisted-documents.json")
	g := startGateway(t, map[string]string{"TRUSTED_DOCUMENTS": manifest, "TRUSTED_DOCUMENTS_MODE": "enforce"})
	if body := post(t, g.url, g.token, `{"query":"{ me { id } }"}`); !strings.Contains(body, "PERSISTED_QUERY_NOT_IN_LIST") {
		t.Fatalf("the gateway is not enforcing the app's manifest: %s", body)
	}
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

// The gateway joins a supergraph for real: Hive Gateway serves the composition of its subgraph
// and the notes subgraph (examples/supergraph/notes, which extends ITwin), and one query crosses
// both ways: iTwin (gateway) -> notes (notes subgraph) -> author (gateway's User entities).
func TestSupergraphThroughHiveGateway(t *testing.T) {
	node := requireTool(t, "the supergraph example runs Hive Gateway on Node", "node")
	dir := "examples/supergraph"
	if _, err := os.Stat(dir + "/node_modules/.bin/hive-gateway"); err != nil {
		msg := "examples/supergraph has no node_modules: run npm ci there (as .ci/run does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	show := emu.Showcase()
	ada := emu.DemoUsers()[0]
	g := startGateway(t, map[string]string{"BENTLEY_API_URL": upstream.URL, "SUBGRAPH": "true"})
	notesSrv := httptest.NewServer(notes.Handler([]notes.Seed{
		{ITwinID: show.ITwinID, AuthorID: show.MemberID, Text: "Bearing inspection booked for March."},
		{ITwinID: show.ITwinID, AuthorID: ada.ID, Text: "Deck drawings approved."},
		{ITwinID: show.ITwinID, AuthorID: show.MemberID, Text: "Scour survey uploaded."},
		{ITwinID: show.ProgramID, AuthorID: ada.ID, Text: "Not on this iTwin."},
	}))
	defer notesSrv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	compose := exec.CommandContext(ctx, node, "compose.mjs", "itwin="+g.url+"/subgraph", "notes="+notesSrv.URL)
	compose.Dir = dir
	var composeErr strings.Builder
	compose.Stderr = &composeErr
	supergraph, err := compose.Output()
	if err != nil {
		t.Fatalf("composition: %v\n%s", err, composeErr.String())
	}
	sgPath := filepath.Join(t.TempDir(), "supergraph.graphql")
	if err := os.WriteFile(sgPath, supergraph, 0o644); err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	var hiveLog strings.Builder
	hive := exec.CommandContext(ctx, "node_modules/.bin/hive-gateway", "supergraph", sgPath,
		"--host", "127.0.0.1", "--port", port, "-c", "gateway.config.mjs", "--disable-websockets")
	hive.Dir = dir
	hive.Stdout, hive.Stderr = &hiveLog, &hiveLog
	if err := hive.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = hive.Process.Kill(); _ = hive.Wait() }()
	router := "http://127.0.0.1:" + port + "/graphql"

	query := `{"query":"query($id: ID!) { itwin(id: $id) { displayName notes { text author { id displayName } } } }","variables":{"id":"` + show.ITwinID + `"}}`
	var body string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last answer: %v %s\nHive Gateway's log:\n%s", err, body, hiveLog.String())
		}
	})
	testenv.EventuallyWithin(t, 60*time.Second, "Hive Gateway answers", func() bool {
		body, err = postTo(router, show.Token, query)
		return err == nil && strings.Contains(body, `"data"`)
	})
	// The first answer proved the router is up; count the calls of one query from here.
	emu.Reset()
	body, err = postTo(router, show.Token, query)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Data struct {
			Itwin struct {
				DisplayName string
				Notes       []struct {
					Text   string
					Author struct{ ID, DisplayName string }
				}
			}
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil || len(answer.Errors) > 0 {
		t.Fatalf("through the router: %v %s", err, body)
	}
	it := answer.Data.Itwin
	names := map[string]string{show.MemberID: "Grace Hopper", ada.ID: ada.Name}
	if it.DisplayName != "Contoso Millbrook Viaduct Retrofit" || len(it.Notes) != 3 {
		t.Fatalf("answer %s", body)
	}
	for i, want := range []struct{ text, author string }{
		{"Bearing inspection booked for March.", show.MemberID},
		{"Deck drawings approved.", ada.ID},
		{"Scour survey uploaded.", show.MemberID},
	} {
		n := it.Notes[i]
		if n.Text != want.text || n.Author.ID != want.author || n.Author.DisplayName != names[want.author] {
			t.Errorf("note %d: %+v, want %q by %s (%s)", i, n, want.text, want.author, names[want.author])
		}
	}
	// This subgraph's platform calls for the whole query: the iTwin, then every author of
	// every note in one getbyidlist call (the router sends them as one _entities batch).
	if emu.Calls(emulator.EndpointITwin) != 1 || emu.Calls(emulator.EndpointUsersByIDList) != 1 || emu.TotalCalls() != 2 {
		var calls []string
		for _, r := range emu.Requests() {
			calls = append(calls, r.Method+" "+r.Path)
		}
		t.Errorf("platform calls for one supergraph query: %v; want the iTwin and one getbyidlist", calls)
	}
}

// postTo sends a GraphQL request body with a bearer token and returns the answer's body.
func postTo(url, token, body string) (string, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return string(out), err
}
