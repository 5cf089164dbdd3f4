package graph_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

const aggregationQuery = `query ($itwin: ID!, $member: ID!) {
  itwin(id: $itwin) { id displayName class subClass status
    account { id displayName }
    member(userId: $member) { email roles { displayName } user { id email organizationName } } } }`

type aggregation struct {
	ID          string
	DisplayName string
	Class       string
	SubClass    string
	Status      string
	Account     struct{ ID, DisplayName string }
	Member      *struct {
		Email string
		Roles []struct{ DisplayName string }
		User  *struct{ ID, Email, OrganizationName string }
	}
}

func TestAggregationQuery(t *testing.T) {
	e := testenv.New(t)
	resp := e.Query(t, e.Show.Token, aggregationQuery, map[string]any{"itwin": e.Show.ITwinID, "member": e.Show.MemberID})
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	var got aggregation
	resp.Field(t, "itwin", &got)

	// From the iTwins API, with enums mapped to GraphQL style.
	if got.ID != e.Show.ITwinID || got.DisplayName != "Contoso Millbrook Viaduct Retrofit" ||
		got.Class != "ENDEAVOR" || got.SubClass != "PROJECT" || got.Status != "ACTIVE" {
		t.Errorf("itwin = %+v", got)
	}
	if got.Account.DisplayName != "Contoso Engineering" || got.Account.ID == "" {
		t.Errorf("account = %+v", got.Account)
	}
	// From Access Control.
	if got.Member == nil || got.Member.Email != "grace.hopper@contoso.example" || len(got.Member.Roles) != 2 ||
		got.Member.Roles[0].DisplayName != "Contributor" || got.Member.Roles[1].DisplayName != "iTwin Reader" {
		t.Fatalf("member = %+v", got.Member)
	}
	// From the Users API.
	if u := got.Member.User; u == nil || u.ID != e.Show.MemberID || u.Email != "grace.hopper@contoso.example" || u.OrganizationName != "Contoso Engineering" {
		t.Errorf("member.user = %+v", got.Member.User)
	}

	want := map[string]int{
		emulator.EndpointITwin:         1,
		emulator.EndpointITwinAccount:  1,
		emulator.EndpointUserMember:    1,
		emulator.EndpointUsersByIDList: 1,
	}
	for endpoint, n := range want {
		if got := e.Emu.Calls(endpoint); got != n {
			t.Errorf("%s calls = %d, want %d", endpoint, got, n)
		}
	}
	if total := e.Emu.TotalCalls(); total != 4 {
		t.Errorf("upstream calls = %d, want exactly 4", total)
	}
}

func TestEnumMapping(t *testing.T) {
	e := testenv.New(t)
	cases := []struct{ number, class, subClass, status string }{
		{"WP-01-CON", "ENDEAVOR", "WORK_PACKAGE", "ACTIVE"},
		{"WP-02-CON", "ENDEAVOR", "WORK_PACKAGE", "INACTIVE"},
		{"AS-02-CON", "THING", "ASSET", "TRIAL"},
		{"PF-01-CON", "THING", "PORTFOLIO", "ACTIVE"},
		{"PG-01-CON", "ENDEAVOR", "PROGRAM", "ACTIVE"},
		{"Contoso Engineering", "ACCOUNT", "ACCOUNT", "ACTIVE"},
	}
	for _, tc := range cases {
		id, ok := e.Emu.ITwinID(tc.number)
		if !ok {
			t.Fatalf("no iTwin %s in the dataset", tc.number)
		}
		resp := e.Query(t, e.Show.Token, `query($id: ID!) { itwin(id: $id) { class subClass status } }`, map[string]any{"id": id})
		var got struct{ Class, SubClass, Status string }
		resp.Field(t, "itwin", &got)
		if got.Class != tc.class || got.SubClass != tc.subClass || got.Status != tc.status {
			t.Errorf("%s: got %+v, want %s %s %s", tc.number, got, tc.class, tc.subClass, tc.status)
		}
	}
}

// orgUserIDs returns the ids of the active users of the showcase caller's organization.
func orgUserIDs(e *testenv.Gateway) []string {
	var ids []string
	for _, u := range e.Emu.DemoUsers() {
		if u.Organization == "Contoso Engineering" {
			ids = append(ids, u.ID)
		}
	}
	return ids
}

func TestBatching(t *testing.T) {
	t.Run("40 aliased user fields make one call", func(t *testing.T) {
		e := testenv.New(t)
		ids := orgUserIDs(e)[:40]
		var q strings.Builder
		q.WriteString("{")
		for i, id := range ids {
			fmt.Fprintf(&q, " u%d: user(id: %q) { id email }", i, id)
		}
		q.WriteString(" }")
		resp := e.Query(t, e.Show.Token, q.String(), nil)
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		for i, id := range ids {
			var u struct{ ID string }
			resp.Field(t, fmt.Sprintf("u%d", i), &u)
			if u.ID != id {
				t.Errorf("u%d = %s, want %s", i, u.ID, id)
			}
		}
		if n := e.Emu.Calls(emulator.EndpointUsersByIDList); n != 1 || e.Emu.TotalCalls() != 1 {
			t.Errorf("getbyidlist calls = %d (total %d), want 1", n, e.Emu.TotalCalls())
		}
	})

	t.Run("1500 ids make two calls and keep their order", func(t *testing.T) {
		e := testenv.New(t)
		known := orgUserIDs(e)
		ids := make([]string, 1500)
		for i := range ids {
			ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		}
		ids[0], ids[999], ids[1000], ids[1499] = known[3], known[1], known[2], known[0]
		resp := e.Query(t, e.Show.Token, `query($ids: [ID!]!) { users(ids: $ids) { id } }`, map[string]any{"ids": ids})
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		var users []*struct{ ID string }
		resp.Field(t, "users", &users)
		if len(users) != 1500 {
			t.Fatalf("%d entries, want 1500", len(users))
		}
		for i, u := range users {
			switch i {
			case 0, 999, 1000, 1499:
				if u == nil || u.ID != ids[i] {
					t.Errorf("users[%d] = %+v, want %s", i, u, ids[i])
				}
			default:
				if u != nil {
					t.Errorf("users[%d] = %+v, want null for an unknown id", i, u)
				}
			}
		}
		if n := e.Emu.Calls(emulator.EndpointUsersByIDList); n != 2 {
			t.Errorf("getbyidlist calls = %d, want 2", n)
		}
	})

	t.Run("the same id five times costs one", func(t *testing.T) {
		e := testenv.New(t)
		id := e.Show.MemberID
		q := fmt.Sprintf(`{ a: user(id: %[1]q) { id } b: user(id: %[1]q) { id } c: user(id: %[1]q) { email }
			list: users(ids: [%[1]q, %[1]q, %[1]q, %[1]q, %[1]q]) { id } }`, id)
		resp := e.Query(t, e.Show.Token, q, nil)
		var list []struct{ ID string }
		resp.Field(t, "list", &list)
		if len(list) != 5 || list[4].ID != id {
			t.Errorf("list = %+v", list)
		}
		if n := e.Emu.TotalCalls(); n != 1 {
			t.Errorf("upstream calls = %d, want 1", n)
		}
	})

	t.Run("members of several iTwins batch per level", func(t *testing.T) {
		e := testenv.New(t)
		wp, _ := e.Emu.ITwinID("WP-01-CON")
		q := fmt.Sprintf(`{ a: itwin(id: %q) { id account { id } m: member(userId: %q) { user { id } } }
			b: itwin(id: %q) { id account { id } } }`, e.Show.ITwinID, e.Show.MemberID, wp)
		resp := e.Query(t, e.Show.Token, q, nil)
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		// One GET per iTwin and per account (the platform has no batch read for them), all in
		// one batch window each, and one getbyidlist.
		if e.Emu.Calls(emulator.EndpointITwin) != 2 || e.Emu.Calls(emulator.EndpointITwinAccount) != 2 ||
			e.Emu.Calls(emulator.EndpointUserMember) != 1 || e.Emu.Calls(emulator.EndpointUsersByIDList) != 1 {
			t.Errorf("calls: itwin %d, account %d, member %d, users %d",
				e.Emu.Calls(emulator.EndpointITwin), e.Emu.Calls(emulator.EndpointITwinAccount),
				e.Emu.Calls(emulator.EndpointUserMember), e.Emu.Calls(emulator.EndpointUsersByIDList))
		}
	})
}

// TestCallersAreIsolated runs two callers of different organizations concurrently and checks
// that neither ever sees the other's profile, accounts or users.
func TestCallersAreIsolated(t *testing.T) {
	// 80 requests at once: the in-flight bound is set above them, since this test is about
	// isolation, and on a loaded machine 64 of these can take longer than the bound's 2 s wait.
	e := testenv.New(t, func(o *httpapi.Options) { o.MaxInFlight = 100 })
	type caller struct {
		token, org string
		id         string
	}
	var callers []caller
	for _, u := range e.Emu.DemoUsers() {
		if u.OrgAdmin && (u.Organization == "Contoso Engineering" || u.Organization == "Fabrikam Consulting") {
			callers = append(callers, caller{u.Token, u.Organization, u.ID})
		}
	}
	if len(callers) != 2 {
		t.Fatalf("want two callers, got %d", len(callers))
	}
	var everyone []string
	for _, u := range e.Emu.DemoUsers() {
		everyone = append(everyone, u.ID)
	}
	const q = `query($ids: [ID!]!) { me { id organizationName } myPrimaryAccount { displayName } users(ids: $ids) { id organizationName } }`

	var wg sync.WaitGroup
	errs := make(chan string, 1000)
	for i := 0; i < 40; i++ {
		for _, c := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var me struct{ ID, OrganizationName string }
				var account struct{ DisplayName string }
				var users []*struct{ ID, OrganizationName string }
				resp, err := e.Post(c.token, q, map[string]any{"ids": everyone})
				if err == nil {
					err = errors.Join(resp.Decode("me", &me), resp.Decode("myPrimaryAccount", &account), resp.Decode("users", &users))
				}
				if err != nil || len(resp.Errors) > 0 {
					errs <- fmt.Sprintf("%s: %v %+v", c.org, err, resp.Errors)
					return
				}
				if me.ID != c.id || me.OrganizationName != c.org || account.DisplayName != c.org {
					errs <- fmt.Sprintf("%s saw me=%+v account=%+v", c.org, me, account)
				}
				visible := 0
				for _, u := range users {
					if u == nil {
						continue
					}
					visible++
					if u.OrganizationName != c.org {
						errs <- fmt.Sprintf("%s saw user %s of %s", c.org, u.ID, u.OrganizationName)
					}
				}
				if visible == 0 {
					errs <- fmt.Sprintf("%s saw no users of its own organization", c.org)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}
