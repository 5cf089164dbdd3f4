package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

func subgraphEnv(t *testing.T, options ...func(*httpapi.Options)) *testenv.Gateway {
	return testenv.New(t, append([]func(*httpapi.Options){func(o *httpapi.Options) { o.Subgraph = true }}, options...)...)
}

const entitiesQuery = `query($reps: [_Any!]!) { _entities(representations: $reps) {
  __typename
  ... on User { id name: displayName email }
  ... on ITwin { id displayName }
  ... on Account { id displayName }
  ... on Member { id userId iTwinId roles { displayName } }
} }`

// resolveEntities sends _entities with the given representations and returns the entries and errors.
func resolveEntities(t *testing.T, e *testenv.Gateway, reps []map[string]any) ([]map[string]any, []testenv.Error) {
	t.Helper()
	resp := e.Query(t, e.Show.Token, entitiesQuery, map[string]any{"reps": reps})
	var out []map[string]any
	if err := json.Unmarshal(resp.Data["_entities"], &out); err != nil {
		t.Fatalf("_entities: %v %+v", err, resp.Errors)
	}
	if len(out) != len(reps) {
		t.Fatalf("_entities has %d entries for %d representations", len(out), len(reps))
	}
	return out, resp.Errors
}

func TestSubgraphServiceSDL(t *testing.T) {
	e := subgraphEnv(t)
	resp := e.Query(t, e.Show.Token, `{ _service { sdl } }`, nil)
	var svc struct{ SDL string }
	if err := json.Unmarshal(resp.Data["_service"], &svc); err != nil || len(resp.Errors) > 0 {
		t.Fatalf("_service: %v %+v", err, resp.Errors)
	}
	for _, want := range []string{
		`@link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])`,
		`extend type ITwin @key(fields: "id")`, `extend type Account @key(fields: "id")`,
		`extend type User @key(fields: "id")`, `extend type Member @key(fields: "id")`,
		"type Query {", "members(",
	} {
		if !strings.Contains(svc.SDL, want) {
			t.Errorf("the subgraph SDL lacks %s", want)
		}
	}
}

// The plain endpoint has none of federation's fields or types.
func TestPlainSchemaHasNoFederation(t *testing.T) {
	e := testenv.New(t)
	resp := e.Query(t, e.Show.Token, `{ __schema { types { name } queryType { fields { name } } } }`, nil)
	raw := string(resp.Data["__schema"])
	for _, never := range []string{`"_service"`, `"_entities"`, `"_Any"`, `"_Entity"`, `"_Service"`, `"FieldSet"`} {
		if strings.Contains(raw, never) {
			t.Errorf("the plain schema has %s", never)
		}
	}
	if resp := e.Query(t, e.Show.Token, `{ _service { sdl } }`, nil); len(resp.Errors) != 1 || resp.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("_service on the plain endpoint: %+v", resp.Errors)
	}
}

// 100 User representations are one getbyidlist call; those the caller may not see are null
// entries with NOT_FOUND at their own index, and the rest are answered.
func TestEntitiesUsersOneCall(t *testing.T) {
	e := subgraphEnv(t)
	team := e.Query(t, e.Show.Token, `query($id: ID!) { itwin(id: $id) { members(first: 100) { nodes { userId } } } }`, map[string]any{"id": e.Show.ProgramID})
	var page struct {
		Members struct{ Nodes []struct{ UserID string } }
	}
	if err := json.Unmarshal(team.Data["itwin"], &page); err != nil || len(page.Members.Nodes) != 100 {
		t.Fatalf("program members: %v %+v", err, team.Errors)
	}
	reps := make([]map[string]any, 0, 100)
	for _, m := range page.Members.Nodes {
		reps = append(reps, map[string]any{"__typename": "User", "id": m.UserID})
	}
	// Two the caller cannot see: a guest of another organization, and an unknown id.
	reps[10]["id"] = e.Show.GuestID
	reps[20]["id"] = "00000000-0000-4000-8000-000000000000"
	e.Emu.Reset()

	got, errs := resolveEntities(t, e, reps)
	if n := e.Emu.Calls(emulator.EndpointUsersByIDList); n != 1 || e.Emu.TotalCalls() != 1 {
		t.Errorf("100 User representations made %d getbyidlist calls and %d calls in all; want 1 and 1", n, e.Emu.TotalCalls())
	}
	for i, u := range got {
		hidden := i == 10 || i == 20
		if hidden != (u == nil) {
			t.Errorf("_entities[%d] = %v", i, u)
		}
		if u != nil && (u["__typename"] != "User" || u["id"] != reps[i]["id"] || u["name"] == nil) {
			t.Errorf("_entities[%d] = %v, want the User %s", i, u, reps[i]["id"])
		}
	}
	wantNotFound(t, errs, 10, 20)
}

// 50 iTwin representations are 50 GETs in one round; hidden and unknown ones are null with
// NOT_FOUND, a malformed id is null with BAD_USER_INPUT and costs no call.
func TestEntitiesITwinsOneRound(t *testing.T) {
	e := subgraphEnv(t)
	list := e.Query(t, e.Show.Token, `{ itwins(first: 50, filter: {includeInactive: true}) { nodes { id displayName } } }`, nil)
	var conn struct {
		Nodes []struct{ ID, DisplayName string }
	}
	if err := json.Unmarshal(list.Data["itwins"], &conn); err != nil || len(conn.Nodes) != 50 {
		t.Fatalf("itwins: %v %+v", err, list.Errors)
	}
	reps := make([]map[string]any, 0, 52)
	for _, it := range conn.Nodes {
		reps = append(reps, map[string]any{"__typename": "ITwin", "id": it.ID})
	}
	reps = append(reps,
		map[string]any{"__typename": "ITwin", "id": "00000000-0000-4000-8000-000000000000"},
		map[string]any{"__typename": "ITwin", "id": "../users/me"})
	e.Emu.Reset()
	// 51 GETs open up to 51 new connections. On a loaded CI box under -race a dial can take longer
	// than a short latency, and the transport then hands the late request a connection an earlier
	// one just freed: a second "round" that says nothing about dispatch. 150 ms keeps rounds true.
	e.Emu.SetLatency(150 * time.Millisecond)

	got, errs := resolveEntities(t, e, reps)
	if n := e.Emu.Calls(emulator.EndpointITwin); n != 51 || e.Emu.TotalCalls() != 51 {
		t.Errorf("%d iTwin GETs and %d calls in all; want 51 (50 and the unknown id) and no other", n, e.Emu.TotalCalls())
	}
	if r := emulator.Rounds(e.Emu.Requests()); r != 1 {
		t.Errorf("the GETs took %d rounds; want 1", r)
	}
	for i, it := range conn.Nodes {
		if got[i] == nil || got[i]["displayName"] != it.DisplayName {
			t.Errorf("_entities[%d] = %v, want %s", i, got[i], it.DisplayName)
		}
	}
	if got[50] != nil || got[51] != nil {
		t.Errorf("unknown and malformed ids answered: %v %v", got[50], got[51])
	}
	codes := map[string]string{}
	for _, err := range errs {
		codes[fmt.Sprint(err.Path)] = err.Code()
	}
	if codes["[_entities 50]"] != "NOT_FOUND" || codes["[_entities 51]"] != "BAD_USER_INPUT" || len(errs) != 2 {
		t.Errorf("errors %+v; want NOT_FOUND at 50 and BAD_USER_INPUT at 51", errs)
	}
}

// Members by their membership ids, and Accounts by id, in one request with the other types.
func TestEntitiesMembersAndAccounts(t *testing.T) {
	e := subgraphEnv(t)
	team := e.Query(t, e.Show.Token, `query($id: ID!) { itwin(id: $id) { members(first: 3) { nodes { id userId iTwinId roles { displayName } } } } }`, map[string]any{"id": e.Show.ITwinID})
	var page struct {
		Members struct{ Nodes []map[string]any }
	}
	if err := json.Unmarshal(team.Data["itwin"], &page); err != nil || len(page.Members.Nodes) != 3 {
		t.Fatalf("members: %v %+v", err, team.Errors)
	}
	reps := []map[string]any{
		{"__typename": "Member", "id": page.Members.Nodes[0]["id"]},
		{"__typename": "Member", "id": page.Members.Nodes[2]["id"]},
		{"__typename": "Member", "id": "bm90IGEgbWVtYmVy"}, // base64 of "not a member"
		{"__typename": "Account", "id": e.Show.AccountID},
		{"__typename": "Account", "id": e.Show.ITwinID}, // an iTwin, but not an Account
		{"__typename": "User", "id": e.Show.MemberID},
	}
	got, errs := resolveEntities(t, e, reps)
	for i, j := range []int{0, 2} {
		want := page.Members.Nodes[j]
		want["__typename"] = "Member"
		if fmt.Sprint(got[i]) != fmt.Sprint(want) {
			t.Errorf("_entities[%d] = %v, want %v", i, got[i], want)
		}
	}
	if got[2] != nil || got[4] != nil {
		t.Errorf("a bad Member id or a non-Account answered: %v %v", got[2], got[4])
	}
	if got[3] == nil || got[3]["__typename"] != "Account" || got[3]["id"] != e.Show.AccountID {
		t.Errorf("Account: %v", got[3])
	}
	if got[5] == nil || got[5]["id"] != e.Show.MemberID {
		t.Errorf("User: %v", got[5])
	}
	codes := map[string]string{}
	for _, err := range errs {
		codes[fmt.Sprint(err.Path)] = err.Code()
	}
	if codes["[_entities 2]"] != "BAD_USER_INPUT" || codes["[_entities 4]"] != "NOT_FOUND" || len(errs) != 2 {
		t.Errorf("errors %+v", errs)
	}
}

func wantNotFound(t *testing.T, errs []testenv.Error, at ...int) {
	t.Helper()
	if len(errs) != len(at) {
		t.Errorf("%d errors, want %d: %+v", len(errs), len(at), errs)
	}
	for _, i := range at {
		found := false
		for _, err := range errs {
			if fmt.Sprint(err.Path) == fmt.Sprintf("[_entities %d]", i) && err.Code() == "NOT_FOUND" {
				found = true
			}
		}
		if !found {
			t.Errorf("no NOT_FOUND at _entities[%d]: %+v", i, errs)
		}
	}
}

// More than MaxRepresentations representations in one operation, of all types together and
// unknown types included, are refused before execution with one BAD_USER_INPUT and no upstream
// call.
func TestEntitiesPastTheLimitAreRefused(t *testing.T) {
	e := subgraphEnv(t, testenv.WithLimits(graph.Limits{MaxComplexity: 1 << 30, CallBudget: 1000, MaxAliases: 100, MaxDepth: 10, MaxTokens: 1 << 20}))
	id := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }
	mixed := make([]map[string]any, 0, graph.MaxRepresentations+1)
	for i := 0; i <= graph.MaxRepresentations; i++ {
		mixed = append(mixed, map[string]any{"__typename": []string{"User", "ITwin", "Member"}[i%3], "id": id(i)})
	}
	unknown := make([]map[string]any, graph.MaxRepresentations+1)
	for i := range unknown {
		unknown[i] = map[string]any{"__typename": "Nope", "id": id(i)}
	}
	for name, reps := range map[string]any{"mixed types": mixed, "unknown types": unknown} {
		e.Emu.Reset()
		resp := e.Query(t, e.Show.Token, `query($reps: [_Any!]!) { _entities(representations: $reps) { __typename } }`, map[string]any{"reps": reps})
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" || !strings.Contains(resp.Errors[0].Message, "representations") || resp.Data != nil {
			t.Errorf("%s: errors %+v, data %v; want one BAD_USER_INPUT", name, resp.Errors, resp.Data)
		}
		if n := e.Emu.TotalCalls(); n != 0 {
			t.Errorf("%s: %d upstream calls", name, n)
		}
	}
	// Across two _entities fields the bound is the same.
	half := mixed[:graph.MaxRepresentations/2+1]
	resp := e.Query(t, e.Show.Token, `query($a: [_Any!]!, $b: [_Any!]!) { a: _entities(representations: $a) { __typename } b: _entities(representations: $b) { __typename } }`,
		map[string]any{"a": half, "b": half})
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("two fields of %d each: %+v", len(half), resp.Errors)
	}
}

// Representations that are the router's mistakes are one BAD_USER_INPUT each request, never an
// ERROR log line, and a huge __typename is quoted cut.
func TestBadRepresentationsAreOneInputError(t *testing.T) {
	e := subgraphEnv(t, func(o *httpapi.Options) { o.Limits.MaxBodyBytes = 1 << 20 })
	none := make([]map[string]any, 12000)
	for i := range none {
		none[i] = map[string]any{"id": "x"}
	}
	long := strings.Repeat("T", 200_000)
	for name, reps := range map[string][]map[string]any{
		"12,000 without __typename":      none,
		"ten without __typename":         none[:10],
		"a 200,000-character __typename": {{"__typename": long, "id": "x"}},
		"a __typename that is a number":  {{"__typename": 7, "id": "x"}},
	} {
		resp := e.Query(t, e.Show.Token, `query($reps: [_Any!]!) { _entities(representations: $reps) { __typename } }`, map[string]any{"reps": reps})
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("%s: %d errors, first %+v; want one BAD_USER_INPUT", name, len(resp.Errors), resp.Errors[:min(1, len(resp.Errors))])
		} else if len(resp.Errors[0].Message) > 200 {
			t.Errorf("%s: a message of %d bytes", name, len(resp.Errors[0].Message))
		}
	}
	logs := e.Logs.String()
	if strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("client mistakes were logged as errors:\n%.2000s", logs)
	}
	for _, line := range strings.Split(logs, "\n") {
		if len(line) > 4000 {
			t.Errorf("a log line of %d bytes", len(line))
		}
	}
}

// _entities is costed per representation: 1000 copies of one iTwin with six pages of 100
// members is refused as too complex before any platform call, not answered with 100+ MB.
func TestEntitiesComplexityScalesWithRepresentations(t *testing.T) {
	e := subgraphEnv(t)
	reps := make([]map[string]any, 1000)
	for i := range reps {
		reps[i] = map[string]any{"__typename": "ITwin", "id": e.Show.ITwinID}
	}
	var pages []string
	for i := 0; i < 6; i++ {
		pages = append(pages, fmt.Sprintf("m%d: members(first: 100) { edges { node { id userId roles { displayName } } } }", i))
	}
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on ITwin { id ` + strings.Join(pages, " ") + ` } } }`
	e.Emu.Reset()
	resp := e.Query(t, e.Show.Token, q, map[string]any{"reps": reps})
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != graph.CodeComplexityLimitExceeded || resp.Data != nil {
		t.Errorf("errors %+v; want COMPLEXITY_LIMIT_EXCEEDED", resp.Errors)
	}
	if n := e.Emu.TotalCalls(); n != 0 {
		t.Errorf("%d upstream calls for a refused request", n)
	}
	// One representation with the same selection is within the limit and answered.
	one := e.Query(t, e.Show.Token, q, map[string]any{"reps": reps[:1]})
	if len(one.Errors) > 0 {
		t.Errorf("one representation: %+v", one.Errors)
	}
}
