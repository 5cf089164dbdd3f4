package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

// gateway is a gateway started through run, as main starts it.
type runningGateway struct {
	url    string
	logs   *logSink
	token  string
	itwin  string
	cancel context.CancelFunc
	done   chan error
}

// logSink collects the JSON log lines run writes and hands over the first fields tests wait for.
type logSink struct {
	mu    sync.Mutex
	lines []map[string]any
	raw   bytes.Buffer
	ready chan map[string]any
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw.Write(p)
	sc := bufio.NewScanner(bytes.NewReader(p))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil {
			s.lines = append(s.lines, line)
			if line["msg"] == "listening" {
				s.ready <- line
			}
		}
	}
	return len(p), nil
}

func (s *logSink) find(msg string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if l["msg"] == msg {
			return l
		}
	}
	return nil
}

func (s *logSink) findWhere(match func(map[string]any) bool) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if match(l) {
			return l
		}
	}
	return nil
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.String()
}

func startGateway(t *testing.T, env map[string]string, args ...string) *runningGateway {
	t.Helper()
	// No drain delay unless a test asks for one: every stop would otherwise wait it out.
	base := map[string]string{"PORT": "0", "HOST": "127.0.0.1", "LOG_FORMAT": "json", "DRAIN_DELAY": "0s"}
	for k, v := range env {
		base[k] = v
	}
	logs := &logSink{ready: make(chan map[string]any, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, func(k string) string { return base[k] }, logs) }()
	select {
	case line := <-logs.ready:
		g := &runningGateway{url: "http://" + line["addr"].(string), logs: logs, cancel: cancel, done: done}
		if emu := logs.find("serving the embedded iTwin Platform emulator; set BENTLEY_API_URL to use a real platform"); emu != nil {
			header := emu["demo_header"].(string)
			g.token = header[strings.Index(header, "Bearer ")+7 : len(header)-2]
			g.itwin = emu["demo_itwin"].(string)
		}
		t.Cleanup(func() { g.stop(t) })
		return g
	case err := <-done:
		cancel()
		t.Fatalf("run returned before listening: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("gateway did not start")
	}
	return nil
}

func (g *runningGateway) stop(t *testing.T) {
	t.Helper()
	g.cancel()
	select {
	case err := <-g.done:
		if err != nil {
			t.Errorf("run returned %v after shutdown, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("gateway did not shut down")
	}
}

func TestServerServesTheEmulatorBackedGraph(t *testing.T) {
	g := startGateway(t, nil)
	if g.token == "" || g.itwin == "" {
		t.Fatalf("startup log lacks the demo token and iTwin:\n%s", g.logs)
	}

	t.Run("healthz", func(t *testing.T) {
		resp, err := http.Get(g.url + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("status %d", resp.StatusCode)
		}
	})

	t.Run("GraphiQL at /, with the aggregation query and the demo token", func(t *testing.T) {
		resp, err := http.Get(g.url + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		if resp.StatusCode != 200 || !strings.Contains(page, "graphiql") || !strings.Contains(page, "/graphql") {
			t.Fatalf("status %d, body does not load GraphiQL against /graphql", resp.StatusCode)
		}
		// Followed from / to the URL that carries the query and variables GraphiQL opens with.
		opened := resp.Request.URL.Query()
		if !strings.Contains(opened.Get("query"), "query Aggregation($itwin: ID!, $member: ID!)") || !strings.Contains(opened.Get("variables"), g.itwin) {
			t.Errorf("GraphiQL opens with query %q and variables %q", opened.Get("query"), opened.Get("variables"))
		}
		if !strings.Contains(page, "Bearer "+g.token) {
			t.Error("the headers editor does not hold the demo token")
		}
		// Served from the binary: the page names no other host, its files come from /graphiql/.
		if strings.Contains(page, "https://") || !strings.Contains(page, `src="/graphiql/graphiql.min.js"`) {
			t.Errorf("GraphiQL loads files from elsewhere:\n%s", page)
		}
		if status, js := get(t, g.url+"/graphiql/start.js"); status != 200 || !strings.Contains(js, "shouldPersistHeaders: false") {
			t.Errorf("GET /graphiql/start.js = %d", status)
		}
	})

	query := `query($id: ID!) { itwin(id: $id) { displayName subClass account { displayName } } }`
	check := func(t *testing.T, resp *http.Response) {
		t.Helper()
		defer resp.Body.Close()
		var out struct {
			Data struct {
				Itwin struct {
					DisplayName, SubClass string
					Account               struct{ DisplayName string }
				}
			}
			Errors []any
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		if len(out.Errors) > 0 || out.Data.Itwin.SubClass != "PROJECT" || out.Data.Itwin.Account.DisplayName != "Contoso Engineering" {
			t.Errorf("got %+v", out)
		}
	}

	t.Run("POST /graphql", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"id": g.itwin}})
		req, _ := http.NewRequest("POST", g.url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+g.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		check(t, resp)
	})

	t.Run("GET /graphql", func(t *testing.T) {
		vars, _ := json.Marshal(map[string]any{"id": g.itwin})
		u := g.url + "/graphql?query=" + url.QueryEscape(query) + "&variables=" + url.QueryEscape(string(vars))
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+g.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		check(t, resp)
	})

	t.Run("the token never reaches the logs", func(t *testing.T) {
		// The demo token is printed once on purpose, for GraphiQL; no request may log it again.
		if n := strings.Count(g.logs.String(), g.token); n != 1 {
			t.Errorf("token appears %d times in the logs, want only the startup hint", n)
		}
	})
}

func TestServerAgainstAnotherUpstream(t *testing.T) {
	// Point one gateway at another gateway's embedded emulator through BENTLEY_API_URL.
	first := startGateway(t, nil)
	emu := first.logs.find("serving the embedded iTwin Platform emulator; set BENTLEY_API_URL to use a real platform")["emulator"].(string)
	second := startGateway(t, map[string]string{"BENTLEY_API_URL": emu + "/"})
	if second.logs.find("serving the embedded iTwin Platform emulator; set BENTLEY_API_URL to use a real platform") != nil {
		t.Fatal("second gateway started its own emulator despite BENTLEY_API_URL")
	}
	req, _ := http.NewRequest("POST", second.url+"/graphql", strings.NewReader(`{"query":"{ me { email } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+first.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "ada.lovelace@contoso.example") {
		t.Errorf("body %s", body)
	}
}

func TestGraphiQLSwitch(t *testing.T) {
	g := startGateway(t, map[string]string{"GRAPHIQL": "false"})
	if status, _ := get(t, g.url+"/"); status != http.StatusNotFound {
		t.Errorf("GET / with GRAPHIQL=false = %d, want 404", status)
	}
}

func TestConfig(t *testing.T) {
	bad := []map[string]string{
		{"PORT": "eighty"},
		{"PORT": "70000"},
		{"UPSTREAM_TIMEOUT": "soon"},
		{"UPSTREAM_TIMEOUT": "-1s"},
		{"SHUTDOWN_TIMEOUT": "0s"},
		{"UPSTREAM_DEDUP": "sometimes"},
		{"UPSTREAM_RETRIES": "-1"},
		{"UPSTREAM_MAX_CONCURRENCY": "0"},
		{"UPSTREAM_CALL_BUDGET": "none"},
		{"REQUEST_TIMEOUT": "0"},
		{"BATCH_WAIT": "0s"},
		{"BATCH_WAIT": "5s"},
		{"MAX_BODY_BYTES": "1MB"},
		{"MAX_COMPLEXITY": "-5"},
		{"MAX_DEPTH": "0"},
		{"MAX_ALIASES": "x"},
		{"USERS_MAX_IDS": "0"},
		{"GRAPHQL_INTROSPECTION": "maybe"},
		{"CORS_ALLOWED_ORIGINS": "https://ok.example,app.example"},
		{"CORS_ALLOWED_ORIGINS": "https://app.example/path"},
		{"TRUSTED_DOCUMENTS_MODE": "strict"},
		{"TRUSTED_DOCUMENTS": "/nonexistent/manifest.json"},
		{"TRUSTED_DOCUMENTS_BYPASS_KEY": "sixteen-chars-or-more"},
		{"TRUSTED_DOCUMENTS": "/nonexistent/m.json", "TRUSTED_DOCUMENTS_BYPASS_KEY": "short"},
		{"SUBGRAPH": "yes"},
		{"REDIS_URL": "http://127.0.0.1:6379"},
		{"REDIS_URL": "redis+mesh://127.0.0.1:6379"},
		{"REDIS_TIMEOUT": "0s"},
		{"REDIS_TIMEOUT": "10s"},
		{"REDIS_APQ_TTL": "0"},
		{"APQ_CACHE_SIZE": "0"},
		{"GRAPHIQL": "perhaps"},
		{"CACHE_TTL": "-1s"},
		{"CACHE_MAX_ENTRIES": "0"},
		{"CACHE_MAX_BYTES": "lots"},
		{"LOG_FORMAT": "xml"},
		{"LOG_LEVEL": "chatty"},
		{"BENTLEY_API_URL": "api.bentley.com"},
	}
	// A cancelled context: a case that is valid after all starts and stops at once instead of
	// serving forever, and fails below as accepted.
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	for _, env := range bad {
		err := run(stopped, nil, func(k string) string { return env[k] }, io.Discard)
		if err == nil {
			t.Errorf("%v: accepted", env)
			continue
		}
		for k := range env {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("%v: error %q does not name the setting", env, err)
			}
		}
	}

	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, &out); err != nil {
		t.Fatalf("--help: %v", err)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), "--"+s.flag) || !strings.Contains(out.String(), s.env) {
			t.Errorf("--help does not list %s / --%s", s.env, s.flag)
		}
	}

	cfg, err := loadConfig([]string{"--port", "9090"}, func(k string) string { return map[string]string{"PORT": "7070", "UPSTREAM_TIMEOUT": "3s"}[k] })
	if err != nil || cfg.port != "9090" || cfg.upstreamTimeout != 3*time.Second {
		t.Errorf("flags must override the environment, which overrides defaults: %+v, %v", cfg, err)
	}
}

func TestGracefulShutdown(t *testing.T) {
	emu := emulator.New()
	emu.SetLatency(400 * time.Millisecond)
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	show := emu.Showcase()

	logs := &logSink{ready: make(chan map[string]any, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	env := map[string]string{"PORT": "0", "HOST": "127.0.0.1", "LOG_FORMAT": "json", "BENTLEY_API_URL": upstream.URL, "SHUTDOWN_TIMEOUT": "5s", "DRAIN_DELAY": "0s"}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, logs) }()
	url := "http://" + (<-logs.ready)["addr"].(string)

	answer := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest("POST", url+"/graphql", strings.NewReader(`{"query":"{ me { email } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+show.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answer <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		answer <- string(body)
	}()
	testenv.Eventually(t, "the query is in flight upstream", func() bool { return emu.Calls(emulator.EndpointMe) > 0 })
	cancel() // as SIGTERM would

	// New connections are refused while the in-flight query finishes.
	refused := false
	for i := 0; i < 100 && !refused; i++ {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "http://"), 100*time.Millisecond)
		if err != nil {
			refused = true
		} else {
			c.Close()
			time.Sleep(2 * time.Millisecond)
		}
	}
	if !refused {
		t.Error("new connections were still accepted during shutdown")
	}
	if got := <-answer; !strings.Contains(got, "ada.lovelace@contoso.example") {
		t.Errorf("the in-flight query did not finish: %s", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v, want nil (exit 0)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
}

func TestShutdownGraceRunsOut(t *testing.T) {
	emu := emulator.New()
	emu.Inject(emulator.Fault{Kind: emulator.FaultHang})
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	defer emu.Close()
	g := startGateway(t, map[string]string{"BENTLEY_API_URL": upstream.URL, "SHUTDOWN_TIMEOUT": "200ms"})
	go func() {
		req, _ := http.NewRequest("POST", g.url+"/graphql", strings.NewReader(`{"query":"{ me { email } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+emu.Showcase().Token)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	testenv.Eventually(t, "the query is in flight upstream", func() bool { return emu.Calls(emulator.EndpointMe) > 0 })
	start := time.Now()
	g.cancel()
	select {
	case err := <-g.done:
		if err != nil {
			t.Errorf("run = %v, want nil: cutting off after the grace period is the configured behaviour", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("shutdown took %s with a 200ms grace period", took)
		}
		g.done <- nil // for the cleanup's stop
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after the grace period")
	}
	if g.logs.find("grace period over; closing the remaining connections") == nil {
		t.Error("no warning logged when the grace period ran out")
	}
}

func TestDrainBeforeShutdown(t *testing.T) {
	// On SIGTERM readiness fails first; requests are still served for DRAIN_DELAY, while the
	// endpoints stop routing here; only then are new connections refused.
	g := startGateway(t, map[string]string{"DRAIN_DELAY": "1500ms"})
	if status, _ := get(t, g.url+"/readyz"); status != 200 {
		t.Fatalf("/readyz before shutdown: %d", status)
	}
	start := time.Now()
	g.cancel()
	for {
		status, _ := get(t, g.url+"/readyz")
		if status == 503 {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatal("/readyz still ready a second after SIGTERM")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Still served while draining, on a new connection.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest("POST", g.url+"/graphql", strings.NewReader(`{"query":"query Me { me { email } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("a request while draining: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if elapsed := time.Since(start); !strings.Contains(string(body), "ada.lovelace") || elapsed > 1400*time.Millisecond {
		t.Errorf("while draining (%s after SIGTERM): %d %s", elapsed, resp.StatusCode, body)
	}
	select {
	case err := <-g.done:
		if took := time.Since(start); err != nil || took < 1500*time.Millisecond {
			t.Errorf("run returned %v after %s; want nil after the 1.5s drain delay", err, took)
		}
		g.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
}

func TestReadinessCannotBeChangedByAClient(t *testing.T) {
	// A client that asks /readyz and leaves mid-answer, many times, with odd methods and
	// headers: the next probe is still 200, at once.
	g := startGateway(t, nil)
	addr := strings.TrimPrefix(g.url, "http://")
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /readyz HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.%d\r\n\r\n", i)
		_ = c.Close() // gone before the answer
	}
	for _, method := range []string{"POST", "DELETE"} {
		req, _ := http.NewRequest(method, g.url+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s /readyz: %d, want 405", method, resp.StatusCode)
			}
		}
	}
	start := time.Now()
	if status, body := get(t, g.url+"/readyz"); status != 200 || time.Since(start) > 100*time.Millisecond {
		t.Errorf("/readyz after clients left mid-check: %d %q in %s", status, body, time.Since(start))
	}
	// Unknown paths answer in the GraphQL error shape.
	if status, body := get(t, g.url+"/nope"); status != 404 || !strings.Contains(body, `"code":"NOT_FOUND"`) {
		t.Errorf("/nope: %d %s", status, body)
	}
}

func TestCommandLine(t *testing.T) {
	none := func(string) string { return "" }
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	// Unknown words are refused with the usage, never ignored.
	for _, args := range [][]string{{"help", "--port", "9090"}, {"serve"}, {"--port", "9090", "extra"}} {
		err := run(stopped, args, none, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "Usage: gateway") {
			t.Errorf("%v: %v, want an error with the usage", args, err)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}} {
		var out bytes.Buffer
		if err := run(stopped, args, none, &out); err != nil || !strings.Contains(out.String(), "Usage: gateway") {
			t.Errorf("%v: %v %q", args, err, out.String())
		}
	}
	var out bytes.Buffer
	if err := run(stopped, []string{"--version"}, none, &out); err != nil ||
		!strings.Contains(out.String(), "github.com/itwin-graphql/gateway") || !strings.Contains(out.String(), "revision") ||
		!strings.Contains(out.String(), "go1.") {
		t.Errorf("--version: %v %q", err, out.String())
	}
}

func TestHealthcheckDialsTheConfiguredHost(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback here:", err)
	}
	ln.Close()
	g := startGateway(t, map[string]string{"HOST": "::1"})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(g.url, "http://"))
	env := map[string]string{"HOST": "::1", "PORT": port}
	if err := run(context.Background(), []string{"healthcheck"}, func(k string) string { return env[k] }, io.Discard); err != nil {
		t.Errorf("healthcheck with HOST=::1: %v", err)
	}
	// Flags after the word work as for the server; 127.0.0.1 has nothing on that port.
	if err := run(context.Background(), []string{"healthcheck", "--host", "127.0.0.1", "--port", port}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("healthcheck reached a gateway on 127.0.0.1, which listens only on ::1")
	}
}

func TestCompressionNegotiation(t *testing.T) {
	g := startGateway(t, nil)
	list := `{"query":"query Mine { itwins(first: 100, filter: {includeInactive: true}) { nodes { id displayName number } } }"}`
	small := `{"query":"query Tiny { __typename }"}`
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}} // see the raw encoding
	for _, tc := range []struct{ body, accept, want string }{
		{list, "gzip", "gzip"},
		{list, "zstd", "zstd"},
		{list, "gzip, zstd", "zstd"},
		{list, "", ""},
		{small, "gzip", ""}, // under 1 KiB: not worth it
	} {
		req, _ := http.NewRequest("POST", g.url+"/graphql", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+g.token)
		if tc.accept != "" {
			req.Header.Set("Accept-Encoding", tc.accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Content-Encoding"); got != tc.want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tc.accept, got, tc.want)
		}
		if tc.want == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := io.ReadAll(zr)
			if !strings.Contains(string(plain), `"itwins"`) || len(raw) >= len(plain) {
				t.Errorf("gzip body of %d bytes for %d plain", len(raw), len(plain))
			}
		}
	}
	off := startGateway(t, map[string]string{"COMPRESSION": "false"})
	req, _ := http.NewRequest("POST", off.url+"/graphql", strings.NewReader(list))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+off.token)
	req.Header.Set("Accept-Encoding", "gzip")
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "" {
			t.Error("COMPRESSION=false still compresses")
		}
	}
}

func TestHTTP2Cleartext(t *testing.T) {
	h2c := &http.Client{Transport: &http.Transport{Protocols: func() *http.Protocols {
		p := new(http.Protocols)
		p.SetUnencryptedHTTP2(true)
		return p
	}()}}
	on := startGateway(t, map[string]string{"HTTP2_CLEARTEXT": "true"})
	resp, err := h2c.Get(on.url + "/healthz")
	if err != nil {
		t.Fatalf("h2c with HTTP2_CLEARTEXT=true: %v", err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("answered over %s, want HTTP/2", resp.Proto)
	}
	// HTTP/1.1 still works beside it.
	if status, _ := get(t, on.url+"/healthz"); status != 200 {
		t.Errorf("HTTP/1.1 beside h2c: %d", status)
	}
	off := startGateway(t, nil)
	if resp, err := h2c.Get(off.url + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("h2c answered (%s) though HTTP2_CLEARTEXT is off", resp.Proto)
	}
}
