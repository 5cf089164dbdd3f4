package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

// assertOneRound checks from the emulator's request log that the calls overlapped in time:
// every call started before the first one finished, so the query took one upstream round trip.
func assertOneRound(t *testing.T, log []emulator.Request, want int) {
	t.Helper()
	if len(log) != want {
		t.Fatalf("%d upstream calls, want %d: %+v", len(log), want, log)
	}
	firstEnd := log[0].End
	for _, r := range log {
		if r.End.Before(firstEnd) {
			firstEnd = r.End
		}
	}
	for _, r := range log {
		if !r.Start.Before(firstEnd) {
			t.Errorf("%s started %s after the first call finished: a second round trip",
				r.Endpoint, r.Start.Sub(firstEnd))
		}
	}
}

func TestAggregationIsOneRoundTrip(t *testing.T) {
	e := testenv.New(t)
	// The latency makes rounds visible: a call that waited for another would start at least
	// 50 ms after the first one started, long after it finished.
	e.Emu.SetLatency(50 * time.Millisecond)
	resp := e.Query(t, e.Show.Token, aggregationQuery, map[string]any{"itwin": e.Show.ITwinID, "member": e.Show.MemberID})
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	var got aggregation
	resp.Field(t, "itwin", &got)
	if got.Member == nil || got.Member.User == nil || got.Account.DisplayName == "" {
		t.Fatalf("incomplete answer %+v", got)
	}
	assertOneRound(t, e.Emu.Requests(), 4)
}

func TestPrefetchFollowsTheQueryShape(t *testing.T) {
	cases := []struct {
		name  string
		query string
		calls map[string]int
	}{
		{"nothing below the iTwin", `query($it: ID!) { itwin(id: $it) { id } }`,
			map[string]int{emulator.EndpointITwin: 1}},
		{"account only", `query($it: ID!) { itwin(id: $it) { account { id } } }`,
			map[string]int{emulator.EndpointITwin: 1, emulator.EndpointITwinAccount: 1}},
		{"member without user", `query($it: ID!, $m: ID!) { itwin(id: $it) { member(userId: $m) { email } } }`,
			map[string]int{emulator.EndpointITwin: 1, emulator.EndpointUserMember: 1}},
		{"through fragments and aliases", `query($it: ID!, $m: ID!) { itwin(id: $it) { ...T } }
			fragment T on ITwin { a: account { id } mm: member(userId: $m) { ... on Member { user { id } } } }`,
			map[string]int{emulator.EndpointITwin: 1, emulator.EndpointITwinAccount: 1, emulator.EndpointUserMember: 1, emulator.EndpointUsersByIDList: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testenv.New(t)
			e.Emu.SetLatency(roundLatency / 2) // a fresh environment: every call dials
			vars := map[string]any{"it": e.Show.ITwinID}
			if strings.Contains(tc.query, "$m") {
				vars["m"] = e.Show.MemberID
			}
			resp := e.Query(t, e.Show.Token, tc.query, vars)
			if len(resp.Errors) > 0 {
				t.Fatalf("errors: %+v", resp.Errors)
			}
			total := 0
			for endpoint, n := range tc.calls {
				total += n
				if got := e.Emu.Calls(endpoint); got != n {
					t.Errorf("%s calls = %d, want %d", endpoint, got, n)
				}
			}
			assertOneRound(t, e.Emu.Requests(), total)
		})
	}
}

func TestSpeculativeErrorsAreDropped(t *testing.T) {
	e := testenv.New(t)
	unknown := "00000000-0000-4000-8000-000000000000"
	// The iTwin does not exist, so its account and member loads, already under way, fail too;
	// only the iTwin's own NOT_FOUND may be reported.
	q := fmt.Sprintf(`{ itwin(id: %q) { id account { id } member(userId: %q) { user { id } } } }`, unknown, e.Show.MemberID)
	resp := e.Query(t, e.Show.Token, q, nil)
	if len(resp.Errors) != 1 || resp.ErrorAt("itwin").Code() != "NOT_FOUND" || len(resp.Errors[0].Path) != 1 {
		t.Errorf("errors = %+v, want only the iTwin's NOT_FOUND", resp.Errors)
	}
	if !resp.IsNull("itwin") {
		t.Errorf("itwin = %s, want null", resp.Data["itwin"])
	}
}

func TestMemberPrefetchesItsUser(t *testing.T) {
	// Two members of two iTwins: the iTwins, accounts, members and users all in one round.
	e := testenv.New(t)
	e.Emu.SetLatency(30 * time.Millisecond)
	wp, _ := e.Emu.ITwinID("WP-01-CON")
	q := fmt.Sprintf(`{ a: itwin(id: %[1]q) { member(userId: %[3]q) { user { id } } }
		b: itwin(id: %[2]q) { member(userId: %[3]q) { user { email } } } }`, e.Show.ITwinID, wp, e.Show.MemberID)
	resp := e.Query(t, e.Show.Token, q, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	// 2 iTwins + 2 members + 1 getbyidlist (the same user twice), all overlapping.
	assertOneRound(t, e.Emu.Requests(), 5)
}
