package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

func TestRequestBodyLimits(t *testing.T) {
	e := testenv.New(t, testenv.WithLimits(graph.Limits{MaxBodyBytes: 1024}))
	big := `{"query":"{ me { id } }","variables":{"pad":"` + strings.Repeat("x", 2000) + `"}}`
	for _, chunked := range []bool{false, true} {
		status, body := e.Raw(t, "application/json", big, chunked)
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "REQUEST_TOO_LARGE") {
			t.Errorf("chunked=%t: status %d %s, want 413", chunked, status, body)
		}
	}
	if status, body := e.Raw(t, "application/json", `{"query": "{ me { id } }"`, false); status != http.StatusBadRequest {
		t.Errorf("malformed JSON: status %d %s, want 400", status, body)
	}
	if status, _ := e.Raw(t, "application/json", `{"query":"{ me { id } }"}`, false); status != http.StatusOK {
		t.Errorf("a small body: status %d", status)
	}
	if n := e.Emu.TotalCalls(); n != 1 {
		t.Errorf("%d upstream calls, want 1 (only the valid request)", n)
	}
}

func TestQueryShapeLimits(t *testing.T) {
	e := testenv.New(t, testenv.WithLimits(graph.Limits{MaxComplexity: 100, MaxDepth: 4, MaxAliases: 5, MaxTokens: 200, MaxUserIDs: 10}))
	var aliases strings.Builder
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&aliases, " a%d: me { id }", i)
	}
	var manyTokens strings.Builder
	for i := 0; i < 250; i++ {
		manyTokens.WriteString(" id")
	}
	ids := make([]string, 11)
	for i := range ids {
		ids[i] = fmt.Sprintf("%q", fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	cases := []struct{ name, query, code string }{
		{"too complex", fmt.Sprintf(`{ a: itwin(id: %[1]q) { account { id } member(userId: %[1]q) { user { id } } roles { id } }
			b: itwin(id: %[1]q) { account { id } member(userId: %[1]q) { user { id } } roles { id } } c: me { id } d: myPrimaryAccount { id } }`, e.Show.ITwinID), "COMPLEXITY_LIMIT_EXCEEDED"},
		// A connection's cost multiplies its page size: 100 members is 10 + 10 + 100 * 2.
		{"a page too complex", fmt.Sprintf(`{ itwin(id: %q) { members(first: 100) { nodes { id } } } }`, e.Show.ITwinID), "COMPLEXITY_LIMIT_EXCEEDED"},
		{"too deep", fmt.Sprintf(`{ itwin(id: %q) { member(userId: %q) { user { id } roles { id } } } }`, e.Show.ITwinID, e.Show.MemberID), ""},
		{"deeper than allowed", `query { ...A } fragment A on Query { itwin(id: "` + e.Show.ITwinID + `") { member(userId: "` + e.Show.MemberID + `") { user { id } roles { permissions } } } }`, ""},
		{"too many aliases", "{" + aliases.String() + " }", "ALIAS_LIMIT_EXCEEDED"},
		{"too many tokens", "{ me {" + manyTokens.String() + " } }", "GRAPHQL_PARSE_FAILED"},
		{"too many ids", "{ users(ids: [" + strings.Join(ids, ",") + "]) { id } }", "BAD_USER_INPUT"},
	}
	// Depth 4 allows itwin > member > user > id; nothing in this schema nests a fifth level, so
	// the depth cases use a lower limit below.
	for _, tc := range cases {
		if tc.code == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			e.Emu.Reset()
			resp := e.Query(t, e.Show.Token, tc.query, nil)
			if len(resp.Errors) == 0 || resp.Errors[0].Code() != tc.code {
				t.Errorf("errors = %+v, want %s", resp.Errors, tc.code)
			}
			if n := e.Emu.TotalCalls(); n != 0 {
				t.Errorf("%d upstream calls for a refused query", n)
			}
		})
	}

	shallow := testenv.New(t, testenv.WithLimits(graph.Limits{MaxDepth: 2}))
	for _, q := range []string{cases[1].query, cases[2].query} {
		resp := shallow.Query(t, shallow.Show.Token, q, nil)
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != graph.CodeDepthLimitExceeded || shallow.Emu.TotalCalls() != 0 {
			t.Errorf("%s: errors %+v, %d calls; want DEPTH_LIMIT_EXCEEDED and none", q, resp.Errors, shallow.Emu.TotalCalls())
		}
	}
	// Introspection is not counted against the depth limit: GraphiQL's own query is deep.
	if resp := shallow.Query(t, "", `{ __schema { types { fields { type { ofType { ofType { name } } } } } } }`, nil); len(resp.Errors) > 0 {
		t.Errorf("introspection refused by the depth limit: %+v", resp.Errors)
	}
}

func TestIntrospectionSwitch(t *testing.T) {
	e := testenv.New(t, func(o *httpapi.Options) { o.DisableIntrospection = true })
	resp := e.Query(t, "", `{ __schema { queryType { name } } }`, nil)
	if len(resp.Errors) == 0 {
		t.Error("introspection answered although disabled")
	}
	resp = e.Query(t, e.Show.Token, `{ mee { id } }`, nil)
	if len(resp.Errors) == 0 || strings.Contains(resp.Errors[0].Message, "Did you mean") {
		t.Errorf("errors = %+v: want a validation error without suggestions", resp.Errors)
	}
	on := testenv.New(t)
	if resp := on.Query(t, on.Show.Token, `{ mee { id } }`, nil); len(resp.Errors) == 0 || !strings.Contains(resp.Errors[0].Message, "Did you mean") {
		t.Errorf("with introspection on, suggestions are expected: %+v", resp.Errors)
	}
}

func TestRequestTimeout(t *testing.T) {
	e := testenv.New(t, func(o *httpapi.Options) { o.RequestTimeout = 300 * time.Millisecond })
	e.Emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultHang})
	start := time.Now()
	resp := e.Query(t, e.Show.Token, `{ me { id } }`, nil)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("answer took %s with a 300ms request timeout", took)
	}
	if resp.ErrorAt("me").Code() != "UPSTREAM_UNAVAILABLE" {
		t.Errorf("errors = %+v, want UPSTREAM_UNAVAILABLE", resp.Errors)
	}
}

// TestFragmentBomb: a chain of fragments that each spread the next one twice selects 2^n fields.
// It must be refused quickly and without an upstream call, not costed by walking every copy.
func TestFragmentBomb(t *testing.T) {
	e := testenv.New(t)
	var b strings.Builder
	const n = 60
	b.WriteString("{ ...F0 }")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, " fragment F%d on Query { me { id } }", n)
	start := time.Now()
	resp := e.Query(t, e.Show.Token, b.String(), nil)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("refusing the fragment bomb took %s", took)
	}
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != graph.CodeComplexityLimitExceeded {
		t.Errorf("errors = %+v, want COMPLEXITY_LIMIT_EXCEEDED", resp.Errors)
	}
	if n := e.Emu.TotalCalls(); n != 0 {
		t.Errorf("%d upstream calls", n)
	}
}

func TestRequestIDs(t *testing.T) {
	e := testenv.New(t)
	for id, kept := range map[string]bool{
		"req-42.a_b":             true,
		"":                       false,
		"has space":              false,
		"semi;colon":             false,
		"caf\u00e9":              false,
		strings.Repeat("x", 65):  false,
		"bearer-token-looking-1": true,
	} {
		resp, _ := e.Send(t, "POST", "", "application/json", "", `{"query":"{ __typename }"}`, "X-Request-Id", id)
		got := resp.Header.Get("X-Request-Id")
		if kept && got != id || !kept && (got == id || len(got) != 16) {
			t.Errorf("X-Request-Id %q answered with %q (kept: %t)", id, got, kept)
		}
	}
}
