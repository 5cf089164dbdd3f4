package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// listAnswer is the shape shared by the paged lists.
type listAnswer struct {
	ITwins  []struct{ ID, Status, SubClass string } `json:"iTwins"`
	Members []struct{ ID string }                   `json:"members"`
	Links   map[string]struct{ Href string }        `json:"_links"`
}

func getList(t *testing.T, f *fixture, token, path, accept string) listAnswer {
	t.Helper()
	resp, body := call{method: "GET", path: path, token: token, accept: accept}.do(t, f.srv)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	var out listAnswer
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// walk follows "next" links from path to the end, returning every id in order and the number of
// pages. It fails on a page that repeats or skips an item.
func walk(t *testing.T, f *fixture, token, path, accept string) (ids []string, pages int) {
	t.Helper()
	for path != "" {
		page := getList(t, f, token, path, accept)
		pages++
		for _, it := range page.ITwins {
			ids = append(ids, it.ID)
		}
		for _, m := range page.Members {
			ids = append(ids, m.ID)
		}
		if _, ok := page.Links["self"]; !ok {
			t.Fatalf("page %d has no self link", pages)
		}
		next, ok := page.Links["next"]
		if !ok {
			break
		}
		u, err := url.Parse(next.Href)
		if err != nil || !strings.HasPrefix(next.Href, "http://") {
			t.Fatalf("next href %q is not an absolute URL", next.Href)
		}
		path = u.RequestURI()
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("id %s served twice", id)
		}
		seen[id] = true
	}
	return ids, pages
}

func TestMemberPagesWalkTheWholeTeam(t *testing.T) {
	f := newFixture(t)
	program := f.emu.data.itwinByID[mustID(t, f.emu, "PG-01-CON")]
	if len(program.members) < 250 {
		t.Fatalf("the rail program has %d members, want more than 250", len(program.members))
	}
	base := "/accesscontrol/itwins/" + program.id + "/members/users"
	all, pages := walk(t, f, f.ada.token, base, acceptV2)
	if len(all) != len(program.members) || pages != (len(program.members)+99)/100 {
		t.Fatalf("default pages: %d ids in %d pages, want %d in pages of 100", len(all), pages, len(program.members))
	}
	for _, top := range []string{"7", "100"} {
		ids, _ := walk(t, f, f.ada.token, base+"?$top="+top, acceptV2)
		if strings.Join(ids, ",") != strings.Join(all, ",") {
			t.Errorf("$top=%s walked a different sequence", top)
		}
	}
	// A server-chosen page size smaller than $top: next links still reach every member once.
	f.emu.SetMaxPageSize(30)
	defer f.emu.SetMaxPageSize(0)
	ids, pages := walk(t, f, f.ada.token, base+"?$top=100", acceptV2)
	if strings.Join(ids, ",") != strings.Join(all, ",") || pages != (len(all)+29)/30 {
		t.Errorf("capped pages: %d ids in %d pages", len(ids), pages)
	}
}

func mustID(t *testing.T, e *Emulator, number string) string {
	t.Helper()
	id, ok := e.ITwinID(number)
	if !ok {
		t.Fatalf("no iTwin %s", number)
	}
	return id
}

func TestITwinListsFiltersAndVisibility(t *testing.T) {
	f := newFixture(t)
	all, _ := walk(t, f, f.ada.token, "/itwins/?includeInactive=true&$top=10", "")
	active, _ := walk(t, f, f.ada.token, "/itwins/", "application/json")
	if len(all) < 50 || len(active) >= len(all) {
		t.Fatalf("%d iTwins with inactive ones, %d without: want 50+ and inactive ones hidden by default", len(all), len(active))
	}
	for _, id := range all {
		if !f.ada.sees(f.emu.data.itwinByID[id]) {
			t.Errorf("listed %s, which the caller cannot see", id)
		}
	}
	inactive := getList(t, f, f.ada.token, "/itwins/?status=inactive&$top=1000", acceptV1)
	if len(inactive.ITwins) != len(all)-len(active) {
		t.Errorf("status=inactive gave %d, want %d", len(inactive.ITwins), len(all)-len(active))
	}
	for _, it := range inactive.ITwins {
		if it.Status != "Inactive" {
			t.Errorf("status filter let %s through", it.Status)
		}
	}
	assets := getList(t, f, f.ada.token, "/itwins/?subClass=Asset,Portfolio", acceptV1)
	for _, it := range assets.ITwins {
		if it.SubClass != "Asset" && it.SubClass != "Portfolio" {
			t.Errorf("subClass filter let %s through", it.SubClass)
		}
	}
	resp, _ := call{method: "GET", path: "/itwins/?$top=5", token: f.ada.token, accept: acceptV1}.do(t, f.srv)
	if resp.Header.Get("X-Max-Return") != "1000" {
		t.Errorf("X-Max-Return echoed as %q", resp.Header.Get("X-Max-Return"))
	}
	// X-Max-Return caps what paging can reach, without an error.
	req, _ := http.NewRequest("GET", f.srv.URL+"/itwins/?$skip=3", nil)
	req.Header.Set("Authorization", "Bearer "+f.ada.token)
	req.Header.Set("X-Max-Return", "5")
	res, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var beyond listAnswer
	_ = json.NewDecoder(res.Body).Decode(&beyond)
	res.Body.Close()
	if res.StatusCode != 200 || len(beyond.ITwins) != 2 || beyond.Links["next"].Href != "" {
		t.Errorf("X-Max-Return 5 from $skip=3: %d, %d items, links %v; want 2 items and no next", res.StatusCode, len(beyond.ITwins), beyond.Links)
	}

	// Favourites are a subset of what the caller sees; recents at most 25.
	favs, _ := walk(t, f, f.ada.token, "/itwins/favorites?includeInactive=true&$top=4", acceptV1)
	if len(favs) == 0 || len(favs) >= len(all) {
		t.Errorf("%d favourites of %d iTwins", len(favs), len(all))
	}
	recents, _ := walk(t, f, f.ada.token, "/itwins/recents?includeInactive=true", acceptV1)
	if len(recents) != maxRecents {
		t.Errorf("%d recents, want %d", len(recents), maxRecents)
	}
	// Another organization's admin sees none of Ada's.
	other, _ := walk(t, f, f.otherAdmin.token, "/itwins/?includeInactive=true", acceptV1)
	for _, id := range other {
		if f.emu.data.itwinByID[id].org == f.ada.org && f.emu.data.itwinByID[id].member(f.otherAdmin.id) == nil {
			t.Errorf("%s sees %s of another organization", f.otherAdmin.email, id)
		}
	}
}

func TestUserSearchStaysInTheOrganization(t *testing.T) {
	f := newFixture(t)
	search := func(token, text string) []string {
		resp, body := call{method: "GET", path: "/users/?$search=" + url.QueryEscape(text), token: token, accept: acceptV1}.do(t, f.srv)
		if resp.StatusCode != 200 {
			t.Fatalf("search %q: %d %s", text, resp.StatusCode, body)
		}
		var out struct{ Users []struct{ ID, Email string } }
		_ = json.Unmarshal(body, &out)
		var emails []string
		for _, u := range out.Users {
			emails = append(emails, u.Email)
		}
		return emails
	}
	got := search(f.ada.token, "GRACE.hop")
	if len(got) != 1 || got[0] != f.grace.email {
		t.Errorf("search by email part = %v", got)
	}
	if got := search(f.ada.token, f.otherAdmin.surname); len(got) > 0 {
		for _, e := range got {
			if !strings.HasSuffix(e, "@"+f.ada.org.domain) {
				t.Errorf("search returned %s of another organization", e)
			}
		}
	}
	if got := search(f.ada.token, f.deleted.email); len(got) != 0 {
		t.Errorf("search found deleted users: %v", got)
	}
}

func TestRounds(t *testing.T) {
	at := func(start, end int) Request {
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		return Request{Start: base.Add(time.Duration(start) * time.Millisecond), End: base.Add(time.Duration(end) * time.Millisecond)}
	}
	cases := []struct {
		log  []Request
		want int
	}{
		{nil, 0},
		{[]Request{at(0, 50), at(1, 51), at(2, 52)}, 1},
		{[]Request{at(0, 50), at(55, 105), at(56, 106)}, 2},
		{[]Request{at(0, 50), at(55, 105), at(110, 160), at(1, 30)}, 3},
		// A late starter of the first round does not make the second round a third.
		{[]Request{at(0, 50), at(10, 60), at(52, 102)}, 2},
	}
	for i, tc := range cases {
		if got := Rounds(tc.log); got != tc.want {
			t.Errorf("case %d: %d rounds, want %d", i, got, tc.want)
		}
	}
}
