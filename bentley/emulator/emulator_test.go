package emulator

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	acceptV1 = "application/vnd.bentley.itwin-platform.v1+json"
	acceptV2 = "application/vnd.bentley.itwin-platform.v2+json"
)

// call is one raw platform request as a client would send it.
type call struct {
	method, path string
	token        string // bearer token; "-" sends no Authorization header
	accept       string
	prefer       string
	body         string
}

func (c call) do(t *testing.T, srv *httptest.Server) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, srv.URL+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "-" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	if c.prefer != "" {
		req.Header.Set("Prefer", c.prefer)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// fixture names the dataset entities the tests talk about.
type fixture struct {
	emu                       *Emulator
	srv                       *httptest.Server
	ada, grace, otherAdmin    *user
	deleted                   *user
	project, account, foreign *itwin
	guest                     *user
	// reader is a member of project holding only the iTwin Reader role.
	reader *user
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	emu := New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close)
	show := emu.Showcase()
	f := &fixture{emu: emu, srv: srv}
	f.ada = emu.data.byToken[show.Token]
	f.grace = emu.data.usersByID[show.MemberID]
	f.project = emu.data.itwinByID[show.ITwinID]
	f.account = emu.data.itwinByID[f.project.accountID]
	for _, u := range emu.data.users {
		if u.org == emu.data.orgs[1] && u.orgAdmin {
			f.otherAdmin = u
		}
		if u.org == f.ada.org && u.deleted && f.project.member(u.id) != nil && f.deleted == nil {
			f.deleted = u
		}
		if u.org != f.ada.org && f.project.member(u.id) != nil && f.guest == nil {
			f.guest = u
		}
	}
	for _, m := range f.project.members {
		if len(m.roles) == 1 && m.roles[0].displayName == "iTwin Reader" && m.user.org == f.ada.org && !m.user.deleted && f.reader == nil {
			f.reader = m.user
		}
	}
	f.foreign = emu.data.orgs[1].accounts[0]
	for _, t := range emu.data.itwins {
		if t.org == emu.data.orgs[1] && t.class != "Account" {
			f.foreign = t
			break
		}
	}
	if f.otherAdmin == nil || f.deleted == nil || f.guest == nil || f.reader == nil {
		t.Fatal("dataset lacks an org admin of the second org, a deleted member or a guest member of the showcase project")
	}
	return f
}

// TestWireContract pins every documented response shape and error of the emulated endpoints to
// golden files, reviewed against Bentley's API reference (https://developer.bentley.com/apis/). Run with -update to rewrite them.
func TestWireContract(t *testing.T) {
	f := newFixture(t)
	ada := f.ada.token
	ids := make([]string, 1001)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	tooMany, _ := json.Marshal(ids)

	cases := []struct {
		name   string
		call   call
		status int
	}{
		{"itwins_myprimaryaccount", call{method: "GET", path: "/itwins/myprimaryaccount", token: ada, accept: acceptV1}, 200},
		{"itwins_myprimaryaccount_representation", call{method: "GET", path: "/itwins/myprimaryaccount", token: ada, accept: acceptV1, prefer: "return=representation"}, 200},
		{"itwins_get_full", call{method: "GET", path: "/itwins/" + f.project.id, token: ada, accept: acceptV1}, 200},
		{"itwins_get_minimal", call{method: "GET", path: "/itwins/" + f.project.id, token: ada, accept: acceptV1, prefer: "return=minimal"}, 200},
		{"itwins_get_not_found", call{method: "GET", path: "/itwins/00000000-0000-4000-8000-000000000000", token: ada, accept: acceptV1}, 404},
		{"itwins_get_not_a_member", call{method: "GET", path: "/itwins/" + f.foreign.id, token: ada, accept: acceptV1}, 404},
		{"itwins_get_no_token", call{method: "GET", path: "/itwins/" + f.project.id, token: "-", accept: acceptV1}, 401},
		{"itwins_get_invalid_token", call{method: "GET", path: "/itwins/" + f.project.id, token: "not-a-demo-token", accept: acceptV1}, 401},
		{"itwins_get_wrong_version", call{method: "GET", path: "/itwins/" + f.project.id, token: ada, accept: acceptV2}, 404},
		{"itwins_get_no_accept", call{method: "GET", path: "/itwins/" + f.project.id, token: ada}, 200},
		{"itwins_get_generic_accept", call{method: "GET", path: "/itwins/" + f.project.id, token: ada, accept: "application/json, text/plain, */*", prefer: "return=minimal"}, 200},
		{"itwins_account", call{method: "GET", path: "/itwins/" + f.project.id + "/account", token: ada, accept: acceptV1}, 200},
		{"itwins_account_representation", call{method: "GET", path: "/itwins/" + f.project.id + "/account", token: ada, accept: acceptV1, prefer: "return=representation"}, 200},
		{"itwins_account_not_found", call{method: "GET", path: "/itwins/00000000-0000-4000-8000-000000000000/account", token: ada, accept: acceptV1}, 404},
		{"accesscontrol_member", call{method: "GET", path: "/accesscontrol/itwins/" + f.project.id + "/members/users/" + f.grace.id, token: ada, accept: acceptV2}, 200},
		{"accesscontrol_member_no_accept", call{method: "GET", path: "/accesscontrol/itwins/" + f.project.id + "/members/users/" + f.grace.id, token: ada}, 200},
		{"accesscontrol_member_deleted_user", call{method: "GET", path: "/accesscontrol/itwins/" + f.project.id + "/members/users/" + f.deleted.id, token: ada, accept: acceptV2}, 200},
		{"accesscontrol_member_not_member", call{method: "GET", path: "/accesscontrol/itwins/" + f.project.id + "/members/users/00000000-0000-4000-8000-000000000000", token: ada, accept: acceptV2}, 404},
		{"accesscontrol_itwin_not_found", call{method: "GET", path: "/accesscontrol/itwins/00000000-0000-4000-8000-000000000000/members/users/" + f.grace.id, token: ada, accept: acceptV2}, 404},
		{"accesscontrol_wrong_version", call{method: "GET", path: "/accesscontrol/itwins/" + f.project.id + "/members/users/" + f.grace.id, token: ada, accept: acceptV1}, 404},
		{"users_me", call{method: "GET", path: "/users/me", token: ada, accept: acceptV1}, 200},
		{"users_get", call{method: "GET", path: "/users/" + f.grace.id, token: ada, accept: acceptV1}, 200},
		{"users_get_other_org", call{method: "GET", path: "/users/" + f.otherAdmin.id, token: ada, accept: acceptV1}, 404},
		{"users_get_deleted", call{method: "GET", path: "/users/" + f.deleted.id, token: ada, accept: acceptV1}, 404},
		{"users_getbyidlist", call{method: "POST", path: "/users/getbyidlist", token: ada, accept: acceptV1,
			body: fmt.Sprintf(`[%q,%q,%q,%q,"00000000-0000-4000-8000-000000000000"]`, f.grace.id, f.ada.id, f.otherAdmin.id, f.deleted.id)}, 200},
		{"users_getbyidlist_none_known", call{method: "POST", path: "/users/getbyidlist", token: ada, accept: acceptV1, body: `["00000000-0000-4000-8000-000000000000"]`}, 200},
		{"users_getbyidlist_too_many", call{method: "POST", path: "/users/getbyidlist", token: ada, accept: acceptV1, body: string(tooMany)}, 422},
		{"users_getbyidlist_not_an_array", call{method: "POST", path: "/users/getbyidlist", token: ada, accept: acceptV1, body: `{"ids":[]}`}, 422},
		{"itwins_list", call{method: "GET", path: "/itwins/?$top=3", token: ada, accept: acceptV1}, 200},
		{"itwins_list_middle_page", call{method: "GET", path: "/itwins/?subClass=Project&$top=2&$skip=2", token: ada, accept: acceptV1}, 200},
		{"itwins_list_last_page", call{method: "GET", path: "/itwins/?subClass=Asset,Portfolio&$skip=4", token: ada, accept: acceptV1}, 200},
		{"itwins_list_representation", call{method: "GET", path: "/itwins/?$top=1&status=Trial", token: ada, accept: acceptV1, prefer: "return=representation"}, 200},
		{"itwins_list_search", call{method: "GET", path: "/itwins/?$search=Viaduct&includeInactive=true", token: ada, accept: acceptV1}, 200},
		{"itwins_list_bad_subclass", call{method: "GET", path: "/itwins/?subClass=Campus", token: ada, accept: acceptV1}, 422},
		{"itwins_list_status_and_include_inactive", call{method: "GET", path: "/itwins/?status=Active&includeInactive=true", token: ada, accept: acceptV1}, 422},
		{"itwins_list_top_too_large", call{method: "GET", path: "/itwins/?$top=1001", token: ada, accept: acceptV1}, 422},
		{"itwins_list_negative_skip", call{method: "GET", path: "/itwins/?$skip=-1", token: ada, accept: acceptV1}, 422},
		{"itwins_favorites", call{method: "GET", path: "/itwins/favorites?$top=3", token: ada, accept: acceptV1}, 200},
		{"itwins_recents", call{method: "GET", path: "/itwins/recents?$top=3", token: ada, accept: acceptV1}, 200},
		{"accesscontrol_members", call{method: "GET", path: "/accesscontrol/itwins/" + f.project.id + "/members/users?$top=2&$skip=1", token: ada, accept: acceptV2}, 200},
		{"accesscontrol_members_bad_top", call{method: "GET", path: "/accesscontrol/itwins/" + f.project.id + "/members/users?$top=0", token: ada, accept: acceptV2}, 422},
		{"accesscontrol_members_not_member", call{method: "GET", path: "/accesscontrol/itwins/" + f.foreign.id + "/members/users", token: ada, accept: acceptV2}, 404},
		{"accesscontrol_roles", call{method: "GET", path: "/accesscontrol/itwins/" + f.project.id + "/roles", token: ada, accept: acceptV2}, 200},
		{"accesscontrol_roles_forbidden", call{method: "GET", path: "/accesscontrol/itwins/" + f.project.id + "/roles", token: f.reader.token, accept: acceptV2}, 403},
		{"accesscontrol_permissions", call{method: "GET", path: "/accesscontrol/itwins/" + f.project.id + "/permissions", token: f.grace.token, accept: acceptV2}, 200},
		{"users_search", call{method: "GET", path: "/users/?$search=hopper", token: ada, accept: acceptV1}, 200},
		{"users_search_too_short", call{method: "GET", path: "/users/?$search=ab", token: ada, accept: acceptV1}, 422},
		{"users_search_missing", call{method: "GET", path: "/users/", token: ada, accept: acceptV1}, 422},
		{"unknown_operation", call{method: "GET", path: "/itwins/" + f.project.id + "/repositories", token: ada, accept: acceptV1}, 404},
		{"wrong_method", call{method: "DELETE", path: "/users/me", token: ada, accept: acceptV1}, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := tc.call.do(t, f.srv)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			// Links are absolute: the test server's random address becomes a fixed one.
			body = bytes.ReplaceAll(body, []byte(f.srv.URL), []byte("http://emulator.test"))
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, body, "", "  "); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, body)
			}
			golden := filepath.Join("testdata", tc.name+".json")
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./bentley/emulator -update to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("body differs from %s:\ngot:\n%s\nwant:\n%s", golden, pretty.Bytes(), want)
			}
		})
	}
}

// TestGetByIDListOrderAndDuplicates checks the properties a client must cope with: the answer is
// not in request order, and an id asked twice comes back once.
func TestGetByIDListOrderAndDuplicates(t *testing.T) {
	f := newFixture(t)
	var orgIDs []string
	for _, u := range f.emu.data.orgUsers(f.ada.org) {
		if !u.deleted {
			orgIDs = append([]string{u.id}, orgIDs...) // reversed dataset order
		}
	}
	body, _ := json.Marshal(append(orgIDs, orgIDs[0]))
	resp, raw := call{method: "POST", path: "/users/getbyidlist", token: f.ada.token, accept: acceptV1, body: string(body)}.do(t, f.srv)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	var got struct {
		Users []struct{ ID string } `json:"users"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Users) != len(orgIDs) {
		t.Fatalf("%d users, want %d (each once)", len(got.Users), len(orgIDs))
	}
	sameOrder := true
	for i := range got.Users {
		if got.Users[i].ID != orgIDs[i] {
			sameOrder = false
		}
	}
	if sameOrder {
		t.Error("answer is in request order; the emulator must not let clients rely on that")
	}
}

func TestDatasetCoverage(t *testing.T) {
	d := New().data
	if len(d.orgs) < 2 {
		t.Errorf("%d organizations, want at least 2", len(d.orgs))
	}
	tokens := map[string]bool{}
	for _, u := range d.users {
		if tokens[u.token] {
			t.Errorf("token %s is given to two users", u.token)
		}
		tokens[u.token] = true
	}
	if len(d.users) < 100 {
		t.Errorf("%d users, want at least 100", len(d.users))
	}
	if len(d.itwins) < 30 {
		t.Errorf("%d iTwins, want at least 30", len(d.itwins))
	}
	subClasses, statuses, numbers := map[string]bool{}, map[string]bool{}, map[string]bool{}
	accounts, deletedMembers, guests := 0, 0, 0
	for _, it := range d.itwins {
		subClasses[it.subClass] = true
		statuses[it.status] = true
		key := it.org.id + "/" + it.number
		if numbers[key] {
			t.Errorf("iTwin number %q is not unique within %s", it.number, it.org.name)
		}
		numbers[key] = true
		if it.class == "Account" {
			accounts++
		}
		if it.class != classOf(it.subClass) {
			t.Errorf("%s: class %s does not match subClass %s", it.displayName, it.class, it.subClass)
		}
		for _, m := range it.members {
			if m.user.deleted {
				deletedMembers++
			}
			if m.user.org != it.org {
				guests++
			}
			if len(m.roles) == 0 {
				t.Errorf("%s: member %s has no role", it.displayName, m.user.email)
			}
		}
	}
	for _, s := range []string{"Account", "Asset", "Portfolio", "Program", "Project", "WorkPackage"} {
		if !subClasses[s] {
			t.Errorf("no iTwin of subClass %s", s)
		}
	}
	for _, s := range []string{"Active", "Inactive", "Trial"} {
		if !statuses[s] {
			t.Errorf("no iTwin with status %s", s)
		}
	}
	if accounts < 3 || deletedMembers == 0 || guests == 0 {
		t.Errorf("accounts=%d deleted members=%d guest members=%d; want several accounts and some of each", accounts, deletedMembers, guests)
	}
	// Determinism: a second seed is identical.
	d2 := New().data
	for i := range d.itwins {
		if d.itwins[i].id != d2.itwins[i].id || len(d.itwins[i].members) != len(d2.itwins[i].members) {
			t.Fatalf("seed is not deterministic at iTwin %d", i)
		}
	}
}
