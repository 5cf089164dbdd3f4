package graph_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

func callCounts(e *testenv.Gateway) map[string]int {
	out := map[string]int{}
	for _, r := range e.Emu.Requests() {
		out[r.Endpoint]++
	}
	return out
}

// roundLatency is the emulator's latency in tests that count rounds. A page of 25 items opens
// up to 25 new connections at once; under -race on a loaded CI machine a dial can take tens of
// milliseconds, and a late request then reuses a connection an earlier one just freed, which
// reads as one more round. At 100 ms that takes a dial slower than the latency itself.
const roundLatency = 100 * time.Millisecond

func TestTeamPageIsThreeCallsInTwoRounds(t *testing.T) {
	e := testenv.New(t)
	e.Emu.SetLatency(roundLatency)
	q := `query TeamPage($it: ID!) { itwin(id: $it) { members(first: 100) { nodes { roles { displayName } user { email } } } } }`
	resp := e.Query(t, e.Show.Token, q, map[string]any{"it": e.Show.ProgramID})
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	var got struct {
		Members struct {
			Nodes []struct {
				Roles []struct{ DisplayName string }
				User  *struct{ Email string }
			}
		}
	}
	resp.Field(t, "itwin", &got)
	profiles := 0
	for _, n := range got.Members.Nodes {
		if len(n.Roles) == 0 {
			t.Fatal("a member without roles")
		}
		if n.User != nil && n.User.Email != "" {
			profiles++
		}
	}
	if len(got.Members.Nodes) != 100 || profiles < 90 {
		t.Fatalf("%d members, %d with profiles", len(got.Members.Nodes), profiles)
	}
	calls := callCounts(e)
	want := map[string]int{emulator.EndpointITwin: 1, emulator.EndpointUserMembers: 1, emulator.EndpointUsersByIDList: 1}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("calls %v, want %v", calls, want)
	}
	if r := emulator.Rounds(e.Emu.Requests()); r != 2 {
		t.Errorf("%d rounds, want 2 (the iTwin and its member page together, then the profiles)", r)
	}
}

// accountOf returns the id of the showcase caller's primary account (Contoso Engineering).
func accountOf(t *testing.T, e *testenv.Gateway) string {
	t.Helper()
	resp := e.Query(t, e.Show.Token, `{ myPrimaryAccount { id } }`, nil)
	var acc struct{ ID string }
	resp.Field(t, "myPrimaryAccount", &acc)
	e.Emu.Reset()
	return acc.ID
}

func TestITwinPageWithAccountsCreatorsAndTeams(t *testing.T) {
	e := testenv.New(t)
	account := accountOf(t, e)
	e.Emu.SetLatency(roundLatency)
	q := `query Portfolio($acc: ID!) { itwins(first: 25, filter: {accountId: $acc}) { nodes {
	  account { displayName } createdByUser { email } members(first: 10) { nodes { user { email } } } } } }`
	resp := e.Query(t, e.Show.Token, q, map[string]any{"acc": account})
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	var got struct {
		Nodes []struct {
			Account       struct{ DisplayName string }
			CreatedByUser *struct{ Email string }
			Members       struct {
				Nodes []struct{ User *struct{ Email string } }
			}
		}
	}
	resp.Field(t, "itwins", &got)
	if len(got.Nodes) != 25 {
		t.Fatalf("%d iTwins, want 25", len(got.Nodes))
	}
	for _, n := range got.Nodes {
		if n.Account.DisplayName != "Contoso Engineering" || n.CreatedByUser == nil || len(n.Members.Nodes) == 0 || n.Members.Nodes[0].User == nil {
			t.Fatalf("incomplete node %+v", n)
		}
	}
	calls := callCounts(e)
	if calls[emulator.EndpointITwins] != 1 || calls[emulator.EndpointUserMembers] != 25 ||
		calls[emulator.EndpointITwinAccount] != 1 || calls[emulator.EndpointUsersByIDList] > 2 || len(calls) != 4 {
		t.Errorf("calls %v; want 1 list, 25 member pages, ONE account call, at most 2 getbyidlist", calls)
	}
	if r := emulator.Rounds(e.Emu.Requests()); r > 3 {
		t.Errorf("%d rounds, want at most 3", r)
	}
	// The selection needs fields beyond the summary (the creator, the account id): the list
	// asked for the full representation.
	for _, r := range e.Emu.Requests() {
		if r.Endpoint == emulator.EndpointITwins && r.Prefer != "return=representation" {
			t.Errorf("the list asked with Prefer %q", r.Prefer)
		}
	}
}

func TestParentsAreOneBatchOfDistinctITwins(t *testing.T) {
	e := testenv.New(t)
	account := accountOf(t, e)
	e.Emu.SetLatency(roundLatency)
	resp := e.Query(t, e.Show.Token, `query Parents($acc: ID!) { itwins(first: 25, filter: {accountId: $acc, includeInactive: true}) {
	  nodes { id parentId parent { id displayName } } } }`, map[string]any{"acc": account})
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	var got struct {
		Nodes []struct {
			ID       string
			ParentID *string
			Parent   *struct{ ID string }
		}
	}
	resp.Field(t, "itwins", &got)
	onPage, parents := map[string]bool{}, map[string]bool{}
	for _, n := range got.Nodes {
		onPage[n.ID] = true
	}
	for _, n := range got.Nodes {
		if n.ParentID == nil {
			continue
		}
		if n.Parent == nil || n.Parent.ID != *n.ParentID {
			t.Errorf("%s: parent %+v, want %s", n.ID, n.Parent, *n.ParentID)
		}
		if !onPage[*n.ParentID] {
			parents[*n.ParentID] = true
		}
	}
	if len(parents) == 0 && len(onPage) != 25 {
		t.Fatalf("the page has %d iTwins and no parent off the page", len(onPage))
	}
	paths := map[string]int{}
	for _, r := range e.Emu.Requests() {
		if r.Endpoint == emulator.EndpointITwin {
			paths[r.Path]++
		}
	}
	// Parents on the page come from the page itself; the rest in one batch, each once.
	if len(paths) != len(parents) {
		t.Errorf("%d iTwins fetched, want the %d distinct parents off the page", len(paths), len(parents))
	}
	for p, n := range paths {
		if n > 1 {
			t.Errorf("%s fetched %d times", p, n)
		}
	}
	if r := emulator.Rounds(e.Emu.Requests()); r > 2 {
		t.Errorf("%d rounds, want at most 2 (the page, then its parents)", r)
	}
}

func TestListsAskForTheRepresentationOnlyWhenNeeded(t *testing.T) {
	e := testenv.New(t)
	cases := []struct{ selection, prefer string }{
		{"nodes { id displayName subClass number }", "return=minimal"},
		{"edges { node { id members(first: 1) { nodes { id } } } }", "return=minimal"},
		{"nodes { id status }", "return=representation"},
		{"edges { node { ... on ITwin { createdDateTime } } }", "return=representation"},
		{"nodes { account { id } }", "return=representation"},
	}
	for _, tc := range cases {
		e.Emu.Reset()
		resp := e.Query(t, e.Show.Token, fmt.Sprintf("{ recentItwins(first: 3) { %s } }", tc.selection), nil)
		if len(resp.Errors) > 0 {
			t.Fatalf("%s: %+v", tc.selection, resp.Errors)
		}
		for _, r := range e.Emu.Requests() {
			if r.Endpoint == emulator.EndpointRecents && r.Prefer != tc.prefer {
				t.Errorf("%s: Prefer %q, want %q", tc.selection, r.Prefer, tc.prefer)
			}
		}
	}
}

func TestDefaultLimitsAndLists(t *testing.T) {
	// The README's list query at its documented size fits the default limits. Four times its
	// size is refused by the complexity limit before any call; a page whose every node costs
	// three calls is cut off by the call budget, not sent.
	e := testenv.New(t, testenv.WithLimits(graph.DefaultLimits))
	account := accountOf(t, e)
	teams := `query Big($acc: ID!, $n: Int) { itwins(first: $n, filter: {accountId: $acc, includeInactive: true}) { nodes {
	  members(first: 10) { nodes { user { email } } } } } }`
	resp := e.Query(t, e.Show.Token, teams, map[string]any{"acc": account, "n": 25})
	if len(resp.Errors) > 0 {
		t.Fatalf("25 iTwins: %+v", resp.Errors)
	}
	e.Emu.Reset()
	resp = e.Query(t, e.Show.Token, teams, map[string]any{"acc": account, "n": 100})
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != "COMPLEXITY_LIMIT_EXCEEDED" || e.Emu.TotalCalls() != 0 {
		t.Errorf("100 iTwins with teams: errors %+v after %d calls, want COMPLEXITY_LIMIT_EXCEEDED and none", resp.Errors, e.Emu.TotalCalls())
	}
	resp = e.Query(t, e.Show.Token, `query Wide($acc: ID!) { itwins(first: 100, filter: {accountId: $acc, includeInactive: true}) {
	  nodes { roles { id } myPermissions members(first: 2) { nodes { id } } } } }`, map[string]any{"acc": account})
	if len(resp.Errors) == 0 || resp.Errors[0].Code() != "REQUEST_LIMIT_EXCEEDED" {
		t.Errorf("three calls per iTwin: errors %+v, want REQUEST_LIMIT_EXCEEDED", resp.Errors)
	}
	if n := e.Emu.TotalCalls(); n > graph.DefaultLimits.CallBudget {
		t.Errorf("%d upstream calls, over the budget of %d", n, graph.DefaultLimits.CallBudget)
	}
}
