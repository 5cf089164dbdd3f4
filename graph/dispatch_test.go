package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph"
)

// With a batch window of two seconds, every query whose keys lookahead can foresee still answers
// in a fraction of it, with the exact batching of the window: known batches are sent at once.
func TestKnownBatchesDoNotWaitForTheWindow(t *testing.T) {
	const window = 2 * time.Second
	e := newEnv(t, func(o *graph.Options) { o.BatchWait = window }, withLimits(graph.Limits{MaxComplexity: 1 << 20, CallBudget: 1000, MaxAliases: 100, MaxDepth: 10}))
	e.emu.SetLatency(50 * time.Millisecond) // well above the race detector's scheduling delays, so rounds read true
	var own []string
	for _, u := range e.emu.DemoUsers() {
		if u.Organization == "Contoso Engineering" && len(own) < 40 {
			own = append(own, u.ID)
		}
	}
	var aliases strings.Builder
	aliases.WriteString("{")
	for i, id := range own {
		fmt.Fprintf(&aliases, " u%d: user(id: %q) { id email }", i, id)
	}
	aliases.WriteString(" }")
	ids := make([]string, 1500)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	copy(ids, own)

	cases := []struct {
		name   string
		query  string
		vars   map[string]any
		calls  map[string]int
		rounds int
	}{
		{"the aggregation query", aggregationQuery, map[string]any{"itwin": e.show.ITwinID, "member": e.show.MemberID},
			map[string]int{emulator.EndpointITwin: 1, emulator.EndpointITwinAccount: 1, emulator.EndpointUserMember: 1, emulator.EndpointUsersByIDList: 1}, 1},
		{"40 aliased user(id:) fields", aliases.String(), nil, map[string]int{emulator.EndpointUsersByIDList: 1}, 1},
		{"sibling root fields share a batch", `query($it: ID!, $m: ID!, $x: ID!) { itwin(id: $it) { account { id } member(userId: $m) { user { id } } } u: users(ids: [$x]) { id } }`,
			map[string]any{"it": e.show.ITwinID, "m": e.show.MemberID, "x": own[5]},
			map[string]int{emulator.EndpointITwin: 1, emulator.EndpointITwinAccount: 1, emulator.EndpointUserMember: 1, emulator.EndpointUsersByIDList: 1}, 1},
		{"users(ids:) with 1500 ids", `query($ids: [ID!]!) { users(ids: $ids) { id } }`, map[string]any{"ids": ids},
			map[string]int{emulator.EndpointUsersByIDList: 2}, 1},
		{"a portfolio page: accounts, creators, teams and their profiles",
			`query($acc: ID!) { itwins(first: 25, filter: {accountId: $acc}) { nodes { account { displayName } createdByUser { email } members(first: 10) { nodes { user { email } } } } } }`,
			map[string]any{"acc": e.show.AccountID},
			map[string]int{emulator.EndpointITwins: 1, emulator.EndpointUserMembers: 25, emulator.EndpointITwinAccount: 1, emulator.EndpointUsersByIDList: 2}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.emu.Reset()
			start := time.Now()
			resp := e.query(t, e.show.Token, c.query, c.vars)
			took := time.Since(start)
			if len(resp.Errors) > 0 {
				t.Fatalf("errors %+v", resp.Errors)
			}
			if took > window/2 {
				t.Errorf("took %s: it waited for the %s window", took, window)
			}
			for ep, n := range c.calls {
				if got := e.emu.Calls(ep); got != n {
					t.Errorf("%s: %d calls, want %d", ep, got, n)
				}
			}
			total := 0
			for _, n := range c.calls {
				total += n
			}
			if e.emu.TotalCalls() != total {
				t.Errorf("%d calls in all, want %d", e.emu.TotalCalls(), total)
			}
			if r := emulator.Rounds(e.emu.Requests()); r != c.rounds {
				t.Errorf("%d rounds, want %d", r, c.rounds)
			}
			t.Logf("%s: %d calls in %d rounds", took.Round(time.Millisecond), e.emu.TotalCalls(), c.rounds)
		})
	}
}
