package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/telemetry"
)

func TestMetricsAndLogs(t *testing.T) {
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	show := emu.Showcase()
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointUserMember, Kind: emulator.FaultStatus, Status: 503, Times: 1})
	g := startGateway(t, map[string]string{"BENTLEY_API_URL": upstream.URL})

	secretVar := "76c1102e-0000-4000-8000-00000000beef"
	agg := fmt.Sprintf(`{"query":"query Aggregation($it: ID!, $m: ID!, $x: ID!) { itwin(id: $it) { account { id } member(userId: $m) { user { id } } } u: users(ids: [$x]) { id } }","variables":{"it":%q,"m":%q,"x":%q}}`,
		show.ITwinID, show.MemberID, secretVar)
	if body := post(t, g.url, show.Token, agg, "X-Request-Id", "req-123"); strings.Contains(body, `"errors"`) {
		t.Fatalf("query failed: %s", body)
	}
	post(t, g.url, show.Token, `{"query":"query Broken { nope }"}`)
	for i := 0; i < 150; i++ {
		post(t, g.url, show.Token, fmt.Sprintf(`{"query":"query Op%d { __typename }"}`, i))
	}

	resp, err := http.Get(g.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(raw)
	for _, family := range []string{
		`gateway_graphql_queries_total{operation="Aggregation",outcome="ok"} 1`,
		`gateway_graphql_queries_total{operation="Broken",outcome="rejected"} 1`,
		`gateway_graphql_query_duration_seconds_bucket{operation="Aggregation",outcome="ok"`,
		`gateway_graphql_in_flight`,
		`gateway_upstream_requests_total{api="accesscontrol",endpoint="accesscontrol.member",status="503"} 1`,
		`gateway_upstream_requests_total{api="users",endpoint="users.getbyidlist",status="200"} 1`,
		`gateway_upstream_request_duration_seconds_bucket{api="itwins",endpoint="itwins.account"`,
		`gateway_upstream_retries_total{api="accesscontrol",cause="503",endpoint="accesscontrol.member"} 1`,
		`gateway_build_info{`,
		`gateway_loader_batch_size_bucket{loader="user"`,
	} {
		if !strings.Contains(text, family) {
			t.Errorf("/metrics lacks %s", family)
		}
	}
	ops := map[string]bool{}
	for _, m := range regexp.MustCompile(`gateway_graphql_queries_total\{operation="([^"]*)"`).FindAllStringSubmatch(text, -1) {
		ops[m[1]] = true
	}
	if len(ops) > telemetry.MaxOperationLabels+2 || !ops["other"] {
		t.Errorf("%d distinct operation labels after 152 names; want at most %d plus \"anonymous\" and \"other\"", len(ops), telemetry.MaxOperationLabels)
	}
	if strings.Contains(text, show.Token) || strings.Contains(g.logs.String(), secretVar) {
		t.Error("a token or a variable reached the metrics or the logs")
	}

	line := g.logs.findWhere(func(l map[string]any) bool { return l["msg"] == "graphql query" && l["request_id"] == "req-123" })
	if line == nil {
		t.Fatalf("no log line for request req-123:\n%s", g.logs)
	}
	// Four calls and the retry of the one that met a 503: every attempt counts.
	if line["operation"] != "Aggregation" || line["outcome"] != "ok" || line["upstream_calls"] != float64(5) || line["duration_ms"] == nil {
		t.Errorf("log line %v", line)
	}
	broken := g.logs.findWhere(func(l map[string]any) bool { return l["msg"] == "graphql query" && l["outcome"] == "rejected" })
	if codes, _ := broken["error_codes"].([]any); len(codes) != 1 || codes[0] != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("rejected query's log line %v", broken)
	}
	// The startup hint is the only place the demo token may appear.
	if n := strings.Count(g.logs.String(), show.Token); n != 0 {
		t.Errorf("the token appears %d times in the logs", n)
	}
}

func TestUpstreamCallsCountsRealRequests(t *testing.T) {
	// The log line's upstream_calls is what the platform received for the request: an answer
	// from the cache, or a request that could make no call (no token), counts nothing.
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	show := emu.Showcase()
	g := startGateway(t, map[string]string{"BENTLEY_API_URL": upstream.URL, "CACHE_TTL": "1m"})
	agg := fmt.Sprintf(`{"query":"query Aggregation($it: ID!, $m: ID!) { itwin(id: $it) { account { id } member(userId: $m) { user { id } } } }","variables":{"it":%q,"m":%q}}`,
		show.ITwinID, show.MemberID)
	for i, id := range []string{"first", "cached"} {
		if body := post(t, g.url, show.Token, agg, "X-Request-Id", id); strings.Contains(body, `"errors"`) {
			t.Fatalf("query %d: %s", i, body)
		}
	}
	post(t, g.url, "", `{"query":"query NoToken { me { id } }"}`, "X-Request-Id", "no-token")
	for id, want := range map[string]float64{"first": 4, "cached": 0, "no-token": 0} {
		line := g.logs.findWhere(func(l map[string]any) bool { return l["msg"] == "graphql query" && l["request_id"] == id })
		if line == nil || line["upstream_calls"] != want {
			t.Errorf("%s: log line %v, want upstream_calls %v", id, line, want)
		}
	}
	if n := emu.TotalCalls(); n != 4 {
		t.Errorf("the platform got %d requests, want 4", n)
	}
	// The cache's work shows in the metrics: four misses, then four hits.
	resp, err := http.Get(g.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, kind := range []string{"cache_hit", "cache_miss"} {
		var total float64
		for _, m := range regexp.MustCompile(`gateway_upstream_shared_total\{[^}]*kind="`+kind+`"\} (\d+)`).FindAllStringSubmatch(string(raw), -1) {
			n, _ := strconv.ParseFloat(m[1], 64)
			total += n
		}
		if total != 4 {
			t.Errorf("%s total %v, want 4", kind, total)
		}
	}
}

func TestRefusalAndSharingMetrics(t *testing.T) {
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	show := emu.Showcase()
	g := startGateway(t, map[string]string{"BENTLEY_API_URL": upstream.URL, "UPSTREAM_CALL_BUDGET": "10"})

	// Two identical queries at once: the second joins the first's calls.
	emu.SetLatency(100 * time.Millisecond)
	me := `{"query":"query Me { me { id } }"}`
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); post(t, g.url, show.Token, me) }()
	}
	wg.Wait()
	emu.SetLatency(0)

	// A platform answering 503 to a query of 20 calls with a budget of 10.
	emu.Inject(emulator.Fault{Kind: emulator.FaultStatus, Status: 503})
	var q strings.Builder
	q.WriteString(`{"query":"query Wide {`)
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&q, ` t%d: itwin(id: \"00000000-0000-4000-8000-%012d\") { id }`, i, i)
	}
	q.WriteString(` }"}`)
	post(t, g.url, show.Token, q.String())

	resp, err := http.Get(g.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, pattern := range []string{
		`gateway_upstream_shared_total\{api="users",endpoint="users.me",kind="dedup_join"\} 1`,
		`gateway_upstream_budget_exceeded_total [1-9]`,
		`gateway_upstream_retries_refused_total\{api="itwins",endpoint="itwins.get",reason="request_budget"\} [1-9]`,
	} {
		if !regexp.MustCompile(pattern).Match(raw) {
			t.Errorf("/metrics lacks %s", pattern)
		}
	}
}
