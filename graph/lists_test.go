package graph_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

// connection is the part of a connection the walks read.
type connection struct {
	Nodes    []struct{ ID, UserID string }
	Edges    []struct{ Cursor string }
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
}

// walkList pages through a list to its end with the given page size. query selects the
// connection as field "list" and takes $first and $after; extract finds the connection in
// data. It returns every node id in order, and fails on a page that breaks the cursor rules.
func walkList(t *testing.T, e *testenv.Gateway, query string, vars map[string]any, first int, extract func(testenv.Response) connection) []string {
	t.Helper()
	var ids []string
	var after any
	for page := 0; ; page++ {
		if page > 400 {
			t.Fatal("the walk does not end")
		}
		v := map[string]any{"first": first, "after": after}
		for k, x := range vars {
			v[k] = x
		}
		resp := e.Query(t, e.Show.Token, query, v)
		if len(resp.Errors) > 0 {
			t.Fatalf("page %d: %+v", page, resp.Errors)
		}
		c := extract(resp)
		if len(c.Nodes) > first || len(c.Edges) != len(c.Nodes) {
			t.Fatalf("page %d: %d nodes and %d edges for first %d", page, len(c.Nodes), len(c.Edges), first)
		}
		if c.PageInfo.HasPreviousPage != (page > 0) {
			t.Errorf("page %d: hasPreviousPage %v", page, c.PageInfo.HasPreviousPage)
		}
		for _, n := range c.Nodes {
			ids = append(ids, n.ID)
		}
		if len(c.Nodes) > 0 && (*c.PageInfo.StartCursor != c.Edges[0].Cursor || *c.PageInfo.EndCursor != c.Edges[len(c.Edges)-1].Cursor) {
			t.Errorf("page %d: start and end cursors are not the edges' first and last", page)
		}
		if !c.PageInfo.HasNextPage {
			return ids
		}
		after = *c.PageInfo.EndCursor
	}
}

const myITwinsWalk = `query Walk($first: Int, $after: String) {
  list: itwins(first: $first, after: $after, filter: {includeInactive: true}) {
    nodes { id } edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`

const membersWalk = `query Walk($it: ID!, $first: Int, $after: String) {
  itwin(id: $it) { list: members(first: $first, after: $after) {
    nodes { id userId } edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`

func listOf(t *testing.T, path ...string) func(testenv.Response) connection {
	return func(r testenv.Response) connection {
		var raw json.RawMessage
		r.Field(t, path[0], &raw)
		for _, p := range path[1:] {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			raw = m[p]
		}
		var c connection
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
}

func TestWalksVisitEveryItemOnce(t *testing.T) {
	e := testenv.New(t)
	// The reference: the platform's own list, followed by its next links.
	reference := emulatorWalk(t, e, "/itwins/?includeInactive=true&$top=1000")
	members := emulatorWalk(t, e, "/accesscontrol/itwins/"+e.Show.ProgramID+"/members/users?$top=1000")
	if len(reference) < 50 || len(members) < 250 {
		t.Fatalf("the dataset has %d iTwins and %d program members; want 50+ and 250+", len(reference), len(members))
	}
	for _, short := range []int{0, 9} {
		// 9: the platform serves shorter pages than asked, as it may.
		e.Emu.SetMaxPageSize(short)
		for _, first := range []int{1, 7, 25, 100} {
			if short > 0 && first == 1 {
				continue
			}
			got := walkList(t, e, myITwinsWalk, nil, first, listOf(t, "list"))
			if !slices.Equal(got, reference) {
				t.Errorf("itwins, first %d, page cap %d: walked %d iTwins, want the platform's %d in order", first, short, len(got), len(reference))
			}
			if first == 1 {
				continue // 268 pages of one member add nothing
			}
			memberIDs := walkList(t, e, membersWalk, map[string]any{"it": e.Show.ProgramID}, first, listOf(t, "itwin", "list"))
			if len(memberIDs) != len(members) || len(uniq(memberIDs)) != len(members) {
				t.Errorf("members, first %d, page cap %d: %d members, want %d, each once", first, short, len(memberIDs), len(members))
			}
		}
	}
}

// emulatorWalk follows the platform's next links from path and returns the ids in order.
func emulatorWalk(t *testing.T, e *testenv.Gateway, path string) []string {
	t.Helper()
	var ids []string
	for path != "" {
		var page struct {
			ITwins  []struct{ ID string }            `json:"iTwins"`
			Members []struct{ ID string }            `json:"members"`
			Links   map[string]struct{ Href string } `json:"_links"`
		}
		e.PlatformGet(t, path, &page)
		for _, it := range page.ITwins {
			ids = append(ids, it.ID)
		}
		for _, m := range page.Members {
			ids = append(ids, m.ID)
		}
		path = ""
		if next, ok := page.Links["next"]; ok {
			u, _ := url.Parse(next.Href)
			path = u.RequestURI()
		}
	}
	e.Emu.Reset()
	return ids
}

func TestMemberIDsAreMemberships(t *testing.T) {
	e := testenv.New(t)
	wp, _ := e.Emu.ITwinID("WP-01-CON")
	q := `query Two($a: ID!, $b: ID!, $u: ID!) {
	  a: itwin(id: $a) { member(userId: $u) { id userId iTwinId } members(first: 100) { nodes { id userId } } }
	  b: itwin(id: $b) { member(userId: $u) { id userId iTwinId } } }`
	resp := e.Query(t, e.Show.Token, q, map[string]any{"a": e.Show.ITwinID, "b": wp, "u": e.Show.MemberID})
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	type member struct{ ID, UserID, ITwinID string }
	var a struct {
		Member  member
		Members struct{ Nodes []member }
	}
	var b struct{ Member member }
	resp.Field(t, "a", &a)
	resp.Field(t, "b", &b)
	if a.Member.UserID != e.Show.MemberID || b.Member.UserID != e.Show.MemberID || a.Member.ID == b.Member.ID {
		t.Errorf("one user's memberships of two iTwins: %+v and %+v; want two ids, one userId", a.Member, b.Member)
	}
	if a.Member.ITwinID != e.Show.ITwinID || b.Member.ITwinID != wp {
		t.Errorf("iTwinId %s and %s", a.Member.ITwinID, b.Member.ITwinID)
	}
	seen := map[string]bool{}
	for _, m := range a.Members.Nodes {
		if seen[m.ID] {
			t.Errorf("member id %s twice in one iTwin", m.ID)
		}
		seen[m.ID] = true
		if m.UserID == e.Show.MemberID && m.ID != a.Member.ID {
			t.Errorf("member(userId:) and members disagree on the membership's id: %s vs %s", a.Member.ID, m.ID)
		}
	}
}

func TestBadPagingIsRefusedBeforeAnyCall(t *testing.T) {
	e := testenv.New(t)
	page := func(query string, vars map[string]any) testenv.Response {
		e.Emu.Reset()
		return e.Query(t, e.Show.Token, query, vars)
	}
	// Cursors from a real walk, to misuse.
	resp := page(`{ itwins(first: 2) { pageInfo { endCursor } } activeOnly: itwins(first: 2, filter: {status: ACTIVE}) { pageInfo { endCursor } } }`, nil)
	var all, active struct{ PageInfo struct{ EndCursor string } }
	resp.Field(t, "itwins", &all)
	resp.Field(t, "activeOnly", &active)
	resp = page(`query($it: ID!) { itwin(id: $it) { members(first: 2) { pageInfo { endCursor } } } }`, map[string]any{"it": e.Show.ITwinID})
	var it struct {
		Members struct{ PageInfo struct{ EndCursor string } }
	}
	resp.Field(t, "itwin", &it)
	if all.PageInfo.EndCursor == "" || all.PageInfo.EndCursor == active.PageInfo.EndCursor {
		t.Fatalf("cursors %q and %q: want two different ones", all.PageInfo.EndCursor, active.PageInfo.EndCursor)
	}
	forged := []byte(all.PageInfo.EndCursor)
	forged[0] ^= 1 // another position, same checksum
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"first 0", `{ itwins(first: 0) { nodes { id } } }`, nil},
		{"first 101", `{ itwins(first: 101) { nodes { id } } }`, nil},
		{"first negative", `{ favoriteItwins(first: -1) { nodes { id } } }`, nil},
		{"members first 101", `query($it: ID!) { itwin(id: $it) { id members(first: 101) { nodes { id } } } }`, map[string]any{"it": e.Show.ITwinID}},
		{"cursor of another filter", `query($c: String) { itwins(first: 2, after: $c) { nodes { id } } }`, map[string]any{"c": active.PageInfo.EndCursor}},
		{"cursor of another list", `query($c: String) { favoriteItwins(first: 2, after: $c) { nodes { id } } }`, map[string]any{"c": all.PageInfo.EndCursor}},
		{"members cursor on itwins", `query($c: String) { itwins(after: $c) { nodes { id } } }`, map[string]any{"c": it.Members.PageInfo.EndCursor}},
		{"itwins cursor on members", `query($it: ID!, $c: String) { itwin(id: $it) { id members(after: $c) { nodes { id } } } }`, map[string]any{"it": e.Show.ITwinID, "c": all.PageInfo.EndCursor}},
		{"forged cursor", `query($c: String) { itwins(after: $c) { nodes { id } } }`, map[string]any{"c": string(forged)}},
		{"garbage cursor", `{ itwins(after: "bm90IGEgY3Vyc29y") { nodes { id } } }`, nil},
		{"status with includeInactive", `{ itwins(filter: {status: ACTIVE, includeInactive: true}) { nodes { id } } }`, nil},
		{"search on favourites", `{ favoriteItwins(filter: {search: "Viaduct"}) { nodes { id } } }`, nil},
		{"parentId on recents", `{ recentItwins(filter: {parentId: "76c1102e-4f33-4dfa-ad93-bcd9ab717977"}) { nodes { id } } }`, nil},
		{"accountId not a UUID", `{ itwins(filter: {accountId: "../users/me"}) { nodes { id } } }`, nil},
		{"empty search", `{ itwins(filter: {search: ""}) { nodes { id } } }`, nil},
		{"search too short", `{ searchUsers(text: "ab") { id } }`, nil},
		{"search of spaces", `{ searchUsers(text: "    ") { id } }`, nil},
		{"search too long", fmt.Sprintf(`{ searchUsers(text: %q) { id } }`, strings.Repeat("x", 201)), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := page(tc.query, tc.vars)
			if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
				t.Errorf("errors %+v, want one BAD_USER_INPUT", resp.Errors)
			}
			if n := e.Emu.TotalCalls(); n > 0 && !strings.Contains(tc.query, "itwin(id") {
				t.Errorf("%d upstream calls", n)
			} else if strings.Contains(tc.query, "itwin(id") && e.Emu.Calls(emulator.EndpointUserMembers) > 0 {
				t.Errorf("the member page was fetched for a refused members field")
			}
		})
	}
}

func TestFiltersReachThePlatformAsItsParameters(t *testing.T) {
	e := testenv.New(t)
	account := "7a1f3c8e-1d2b-4c5d-8e9f-0a1b2c3d4e5f"
	parent := "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
	cases := []struct {
		list, filter string
		want         url.Values
	}{
		{"itwins", `{subClass: [ASSET, WORK_PACKAGE]}`, url.Values{"subClass": {"Asset,WorkPackage"}}},
		{"itwins", `{status: TRIAL}`, url.Values{"status": {"Trial"}}},
		{"itwins", `{type: "Bridge"}`, url.Values{"type": {"Bridge"}}},
		{"itwins", `{search: "Viaduct Retrofit"}`, url.Values{"$search": {"Viaduct Retrofit"}}},
		{"itwins", `{includeInactive: true}`, url.Values{"includeInactive": {"true"}}},
		{"itwins", fmt.Sprintf(`{parentId: %q}`, parent), url.Values{"parentId": {parent}}},
		{"itwins", fmt.Sprintf(`{accountId: %q}`, account), url.Values{"iTwinAccountId": {account}}},
		{"favoriteItwins", `{subClass: [PROJECT], status: ACTIVE, type: "Survey"}`, url.Values{"subClass": {"Project"}, "status": {"Active"}, "type": {"Survey"}}},
		{"recentItwins", `{includeInactive: true}`, url.Values{"includeInactive": {"true"}}},
	}
	endpoints := map[string]string{"itwins": emulator.EndpointITwins, "favoriteItwins": emulator.EndpointFavorites, "recentItwins": emulator.EndpointRecents}
	for _, tc := range cases {
		e.Emu.Reset()
		resp := e.Query(t, e.Show.Token, fmt.Sprintf(`{ %s(first: 3, filter: %s) { nodes { id } } }`, tc.list, tc.filter), nil)
		if len(resp.Errors) > 0 {
			t.Errorf("%s %s: %+v", tc.list, tc.filter, resp.Errors)
			continue
		}
		log := e.Emu.Requests()
		if len(log) != 1 || log[0].Endpoint != endpoints[tc.list] {
			t.Errorf("%s %s: calls %+v, want one to %s", tc.list, tc.filter, log, endpoints[tc.list])
			continue
		}
		got, _ := url.ParseQuery(log[0].Query)
		for k, v := range tc.want {
			if got.Get(k) != v[0] {
				t.Errorf("%s %s: %s=%q, want %q (query %s)", tc.list, tc.filter, k, got.Get(k), v[0], log[0].Query)
			}
		}
		if got.Get("$top") != "3" {
			t.Errorf("%s: $top=%q, want 3", tc.list, got.Get("$top"))
		}
	}
	// The filter is applied: every iTwin a filtered list returns passes it.
	resp := e.Query(t, e.Show.Token, `{ itwins(first: 100, filter: {subClass: [ASSET, PORTFOLIO], status: TRIAL}) { nodes { subClass status } } }`, nil)
	var got struct {
		Nodes []struct{ SubClass, Status string }
	}
	resp.Field(t, "itwins", &got)
	if len(got.Nodes) == 0 {
		t.Fatal("no trial assets")
	}
	for _, n := range got.Nodes {
		if (n.SubClass != "ASSET" && n.SubClass != "PORTFOLIO") || n.Status != "TRIAL" {
			t.Errorf("filtered list returned %+v", n)
		}
	}
}

func TestRolesForbiddenLeavesSiblingsIntact(t *testing.T) {
	e := testenv.New(t)
	q := `query Perms($it: ID!) { itwin(id: $it) { displayName roles { displayName } myPermissions members(first: 2) { nodes { email } } } }`
	resp := e.Query(t, e.Show.ReaderToken, q, map[string]any{"it": e.Show.ITwinID})
	if len(resp.Errors) != 1 || resp.ErrorAt("itwin", "roles").Code() != "FORBIDDEN" {
		t.Fatalf("errors %+v, want one FORBIDDEN at itwin.roles", resp.Errors)
	}
	var got struct {
		DisplayName   string
		Roles         []any
		MyPermissions []string
		Members       struct{ Nodes []struct{ Email string } }
	}
	resp.Field(t, "itwin", &got)
	if got.DisplayName == "" || got.Roles != nil || len(got.Members.Nodes) != 2 || !slices.Contains(got.MyPermissions, "itwins_read") ||
		slices.Contains(got.MyPermissions, "administration_manage_roles") {
		t.Errorf("itwin = %+v; want roles null and every sibling answered", got)
	}
	// The manager sees the roles.
	resp = e.Query(t, e.Show.Token, q, map[string]any{"it": e.Show.ITwinID})
	resp.Field(t, "itwin", &got)
	if len(resp.Errors) > 0 || len(got.Roles) != 3 || !slices.Contains(got.MyPermissions, "administration_manage_roles") {
		t.Errorf("manager: %+v, errors %+v", got, resp.Errors)
	}
}

func TestSearchUsers(t *testing.T) {
	e := testenv.New(t)
	resp := e.Query(t, e.Show.Token, `query Find($t: String!) { searchUsers(text: $t) { id email displayName } }`, map[string]any{"t": "Grace Hopper"})
	var users []struct{ ID, Email, DisplayName string }
	resp.Field(t, "searchUsers", &users)
	if len(resp.Errors) > 0 || len(users) != 1 || users[0].ID != e.Show.MemberID || users[0].DisplayName != "Grace Hopper" {
		t.Errorf("search: %+v %+v", users, resp.Errors)
	}
	if q := e.Emu.Requests()[0].Query; !strings.HasPrefix(q, "$search=") {
		t.Errorf("query %q, want $search", q)
	}
}

func TestUnknownEnumAndOddDatesSurvive(t *testing.T) {
	e := testenv.New(t)
	wp, _ := e.Emu.ITwinID("WP-01-CON")
	e.Emu.OverrideITwin(wp, map[string]any{
		"subClass": "Campus", "class": "Place", "status": "Archived",
		"createdDateTime":      "last Tuesday",
		"lastModifiedDateTime": "2021-06-24T14:44:19.33",
	})
	q := `query Odd($id: ID!) {
	  itwin(id: $id) { id displayName class rawClass subClass rawSubClass status rawStatus createdDateTime lastModifiedDateTime }
	  itwins(first: 100, filter: {includeInactive: true}) { nodes { id subClass rawSubClass createdDateTime } } }`
	for range 2 {
		resp := e.Query(t, e.Show.Token, q, map[string]any{"id": wp})
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		var got struct {
			ID, DisplayName                          string
			Class, SubClass, Status, CreatedDateTime *string
			RawClass, RawSubClass, RawStatus         string
			LastModifiedDateTime                     string
		}
		resp.Field(t, "itwin", &got)
		if got.DisplayName == "" || got.Class != nil || got.SubClass != nil || got.Status != nil || got.CreatedDateTime != nil ||
			got.RawClass != "Place" || got.RawSubClass != "Campus" || got.RawStatus != "Archived" ||
			got.LastModifiedDateTime != "2021-06-24T14:44:19.33Z" {
			t.Errorf("itwin = %+v", got)
		}
		var list struct {
			Nodes []struct {
				ID, RawSubClass string
				SubClass        *string
			}
		}
		resp.Field(t, "itwins", &list)
		found := false
		for _, n := range list.Nodes {
			if n.ID == wp {
				found = n.SubClass == nil && n.RawSubClass == "Campus"
			}
		}
		if !found {
			t.Error("the iTwin with the new subClass is missing from the list, or not as expected")
		}
	}
	// Logged once each, however often the values were met.
	logs := e.Logs.String()
	for _, v := range []string{"Campus", "last Tuesday"} {
		if n := strings.Count(logs, v); n != 1 {
			t.Errorf("%q logged %d times, want once", v, n)
		}
	}
}

// Every fixture date, whichever of the platform's forms it came in, reaches the client as RFC
// 3339 in UTC.
func TestDatesAreUTC(t *testing.T) {
	e := testenv.New(t)
	resp := e.Query(t, e.Show.Token, `{ itwins(first: 100, filter: {includeInactive: true}) { nodes { createdDateTime lastModifiedDateTime } } me { createdDateTime } }`, nil)
	var list struct {
		Nodes []struct{ CreatedDateTime, LastModifiedDateTime *string }
	}
	resp.Field(t, "itwins", &list)
	n := 0
	for _, node := range list.Nodes {
		for _, d := range []*string{node.CreatedDateTime, node.LastModifiedDateTime} {
			if d == nil || !strings.HasSuffix(*d, "Z") || strings.Count(*d, "T") != 1 {
				t.Errorf("date %v is not RFC 3339 UTC", d)
			}
			n++
		}
	}
	if n < 100 || len(resp.Errors) > 0 {
		t.Errorf("%d dates, errors %+v", n, resp.Errors)
	}
}

func uniq(ids []string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func TestGuestSeesNullsNotErrors(t *testing.T) {
	// A consultant from another organization is a member of the project, but not of its parent
	// program, and the Users API does not return the host organization's people to it.
	e := testenv.New(t)
	var guest string
	for _, u := range e.Emu.DemoUsers() {
		if u.ID == e.Show.GuestID {
			guest = u.Token
		}
	}
	if guest == "" {
		t.Fatal("the showcase guest has no token")
	}
	resp := e.Query(t, guest, `query Guest($it: ID!) { itwin(id: $it) { displayName parentId parent { id } account { displayName }
	  createdByUser { id } members(first: 3) { nodes { email user { id } } } } }`, map[string]any{"it": e.Show.ITwinID})
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	var got struct {
		DisplayName   string
		ParentID      *string
		Parent        *struct{ ID string }
		Account       struct{ DisplayName string }
		CreatedByUser *struct{ ID string }
		Members       struct {
			Nodes []struct {
				Email string
				User  *struct{ ID string }
			}
		}
	}
	resp.Field(t, "itwin", &got)
	if got.ParentID == nil || got.Parent != nil || got.CreatedByUser != nil || got.Account.DisplayName != "Contoso Engineering" ||
		len(got.Members.Nodes) != 3 || got.Members.Nodes[0].Email == "" || got.Members.Nodes[0].User != nil {
		t.Errorf("guest's view: %+v", got)
	}
}

func TestAccountITwinsAreTheAccountsOwn(t *testing.T) {
	e := testenv.New(t)
	q := `query AccountITwins($acc: ID) { myPrimaryAccount { id itwins(first: 100, filter: {accountId: $acc, includeInactive: true}) {
	  nodes { id iTwinAccountId } pageInfo { hasNextPage } } } }`
	resp := e.Query(t, e.Show.Token, q, nil)
	var acc struct {
		ID     string
		Itwins struct {
			Nodes []struct{ ID, ITwinAccountID string }
		}
	}
	resp.Field(t, "myPrimaryAccount", &acc)
	if len(resp.Errors) > 0 || len(acc.Itwins.Nodes) < 40 {
		t.Fatalf("%d iTwins of the account, errors %+v", len(acc.Itwins.Nodes), resp.Errors)
	}
	for _, n := range acc.Itwins.Nodes {
		if n.ITwinAccountID != acc.ID {
			t.Errorf("%s of account %s listed under %s", n.ID, n.ITwinAccountID, acc.ID)
		}
	}
	var listCalls int
	for _, r := range e.Emu.Requests() {
		if r.Endpoint == emulator.EndpointITwins {
			listCalls++
			if got, _ := url.ParseQuery(r.Query); got.Get("iTwinAccountId") != acc.ID {
				t.Errorf("the list asked with %q, want iTwinAccountId=%s", r.Query, acc.ID)
			}
		}
	}
	if listCalls != 1 {
		t.Errorf("%d list calls, want 1", listCalls)
	}

	// The account's own id as a filter is accepted; another account's is refused, before any call.
	if resp := e.Query(t, e.Show.Token, q, map[string]any{"acc": acc.ID}); len(resp.Errors) > 0 {
		t.Errorf("filter with the account's own id: %+v", resp.Errors)
	}
	e.Emu.Reset()
	resp = e.Query(t, e.Show.Token, q, map[string]any{"acc": "00000000-0000-4000-8000-000000000001"})
	if err := resp.ErrorAt("myPrimaryAccount", "itwins"); err.Code() != "BAD_USER_INPUT" {
		t.Errorf("another account's id: errors %+v, want BAD_USER_INPUT on itwins", resp.Errors)
	}
	if n := e.Emu.Calls(emulator.EndpointITwins); n != 0 {
		t.Errorf("%d list calls for a refused filter", n)
	}
}
