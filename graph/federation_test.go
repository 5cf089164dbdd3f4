package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph"
)

func subgraphEnv(t *testing.T, options ...func(*graph.Options)) *env {
	return newEnv(t, append([]func(*graph.Options){func(o *graph.Options) { o.Subgraph = true }}, options...)...)
}

const entitiesQuery = `query($reps: [_Any!]!) { _entities(representations: $reps) {
  __typename
  ... on User { id name: displayName email }
  ... on ITwin { id displayName }
  ... on Account { id displayName }
  ... on Member { id userId iTwinId roles { displayName } }
} }`

// resolveEntities sends _entities with the given representations and returns the entries and errors.
func resolveEntities(t *testing.T, e *env, reps []map[string]any) ([]map[string]any, []gqlError) {
	t.Helper()
	resp := e.query(t, e.show.Token, entitiesQuery, map[string]any{"reps": reps})
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
	resp := e.query(t, e.show.Token, `{ _service { sdl } }`, nil)
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
	e := newEnv(t)
	resp := e.query(t, e.show.Token, `{ __schema { types { name } queryType { fields { name } } } }`, nil)
	raw := string(resp.Data["__schema"])
	for _, never := range []string{`"_service"`, `"_entities"`, `"_Any"`, `"_Entity"`, `"_Service"`, `"FieldSet"`} {
		if strings.Contains(raw, never) {
			t.Errorf("the plain schema has %s", never)
		}
	}
	if resp := e.query(t, e.show.Token, `{ _service { sdl } }`, nil); len(resp.Errors) != 1 || resp.Errors[0].code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("_service on the plain endpoint: %+v", resp.Errors)
	}
}

// 100 User representations are one getbyidlist call; those the caller may not see are null
// entries with NOT_FOUND at their own index, and the rest are answered.
func TestEntitiesUsersOneCall(t *testing.T) {
	e := subgraphEnv(t)
	team := e.query(t, e.show.Token, `query($id: ID!) { itwin(id: $id) { members(first: 100) { nodes { userId } } } }`, map[string]any{"id": e.show.ProgramID})
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
	reps[10]["id"] = e.show.GuestID
	reps[20]["id"] = "00000000-0000-4000-8000-000000000000"
	e.emu.Reset()

	got, errs := resolveEntities(t, e, reps)
	if n := e.emu.Calls(emulator.EndpointUsersByIDList); n != 1 || e.emu.TotalCalls() != 1 {
		t.Errorf("100 User representations made %d getbyidlist calls and %d calls in all; want 1 and 1", n, e.emu.TotalCalls())
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
	list := e.query(t, e.show.Token, `{ itwins(first: 50, filter: {includeInactive: true}) { nodes { id displayName } } }`, nil)
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
	e.emu.Reset()
	// 51 GETs open up to 51 new connections. On a loaded CI box under -race a dial can take longer
	// than a short latency, and the transport then hands the late request a connection an earlier
	// one just freed: a second "round" that says nothing about dispatch. 150 ms keeps rounds true.
	e.emu.SetLatency(150 * time.Millisecond)

	got, errs := resolveEntities(t, e, reps)
	if n := e.emu.Calls(emulator.EndpointITwin); n != 51 || e.emu.TotalCalls() != 51 {
		t.Errorf("%d iTwin GETs and %d calls in all; want 51 (50 and the unknown id) and no other", n, e.emu.TotalCalls())
	}
	if r := emulator.Rounds(e.emu.Requests()); r != 1 {
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
		codes[fmt.Sprint(err.Path)] = err.code()
	}
	if codes["[_entities 50]"] != "NOT_FOUND" || codes["[_entities 51]"] != "BAD_USER_INPUT" || len(errs) != 2 {
		t.Errorf("errors %+v; want NOT_FOUND at 50 and BAD_USER_INPUT at 51", errs)
	}
}

// Members by their membership ids, and Accounts by id, in one request with the other types.
func TestEntitiesMembersAndAccounts(t *testing.T) {
	e := subgraphEnv(t)
	team := e.query(t, e.show.Token, `query($id: ID!) { itwin(id: $id) { members(first: 3) { nodes { id userId iTwinId roles { displayName } } } } }`, map[string]any{"id": e.show.ITwinID})
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
		{"__typename": "Account", "id": e.show.AccountID},
		{"__typename": "Account", "id": e.show.ITwinID}, // an iTwin, but not an Account
		{"__typename": "User", "id": e.show.MemberID},
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
	if got[3] == nil || got[3]["__typename"] != "Account" || got[3]["id"] != e.show.AccountID {
		t.Errorf("Account: %v", got[3])
	}
	if got[5] == nil || got[5]["id"] != e.show.MemberID {
		t.Errorf("User: %v", got[5])
	}
	codes := map[string]string{}
	for _, err := range errs {
		codes[fmt.Sprint(err.Path)] = err.code()
	}
	if codes["[_entities 2]"] != "BAD_USER_INPUT" || codes["[_entities 4]"] != "NOT_FOUND" || len(errs) != 2 {
		t.Errorf("errors %+v", errs)
	}
}

func wantNotFound(t *testing.T, errs []gqlError, at ...int) {
	t.Helper()
	if len(errs) != len(at) {
		t.Errorf("%d errors, want %d: %+v", len(errs), len(at), errs)
	}
	for _, i := range at {
		found := false
		for _, err := range errs {
			if fmt.Sprint(err.Path) == fmt.Sprintf("[_entities %d]", i) && err.code() == "NOT_FOUND" {
				found = true
			}
		}
		if !found {
			t.Errorf("no NOT_FOUND at _entities[%d]: %+v", i, errs)
		}
	}
}

// More than MaxRepresentations representations of one type fail that type with BAD_USER_INPUT
// and cost no upstream call.
func TestEntitiesPastTheLimitAreRefused(t *testing.T) {
	e := subgraphEnv(t, withLimits(graph.Limits{MaxComplexity: 1 << 30, CallBudget: 1000, MaxAliases: 100, MaxDepth: 10, MaxTokens: 1 << 20}))
	for _, typ := range []string{"User", "ITwin", "Member"} {
		reps := make([]map[string]any, graph.MaxRepresentations+1)
		for i := range reps {
			reps[i] = map[string]any{"__typename": typ, "id": fmt.Sprintf("00000000-0000-4000-8000-%012d", i)}
		}
		e.emu.Reset()
		resp := e.query(t, e.show.Token, `query($reps: [_Any!]!) { _entities(representations: $reps) { __typename } }`, map[string]any{"reps": reps})
		refused := false
		for _, err := range resp.Errors {
			refused = refused || (err.code() == "BAD_USER_INPUT" && strings.Contains(err.Message, typ+" representations"))
		}
		if !refused {
			t.Errorf("%d %s representations: errors %+v, want BAD_USER_INPUT naming the type", len(reps), typ, resp.Errors)
		}
		if n := e.emu.TotalCalls(); n != 0 {
			t.Errorf("%d %s representations made %d upstream calls", len(reps), typ, n)
		}
	}
}
