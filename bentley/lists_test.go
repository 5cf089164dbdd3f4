package bentley_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
)

func TestListITwinsPagesAndFilters(t *testing.T) {
	emu, c, ctx, _ := setup(t)
	q := bentley.ITwinQuery{SubClasses: []string{"Project", "WorkPackage"}, Status: "Active", Type: "Site Survey", Top: 5}
	var ids []string
	for pages := 1; ; pages++ {
		page, err := c.ListITwins(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.ITwins {
			if it.Status != "" && it.Status != "Active" || it.Type == nil || *it.Type != "Site Survey" {
				t.Errorf("filter let through %+v", it)
			}
			ids = append(ids, it.ID)
		}
		if !page.HasNext {
			break
		}
		if pages > 20 {
			t.Fatal("no last page")
		}
		q.Skip += len(page.ITwins)
	}
	if len(ids) < 10 {
		t.Fatalf("%d active site surveys, want a dozen or more", len(ids))
	}
	first := emu.Requests()[0]
	if first.Endpoint != emulator.EndpointITwins || first.Prefer != "return=minimal" {
		t.Errorf("first call %s with Prefer %q", first.Endpoint, first.Prefer)
	}
	// $top and $skip travel as the platform writes them; the filters as its parameters.
	if !strings.HasPrefix(first.Query, "$top=5&") {
		t.Errorf("query %q does not start with $top", first.Query)
	}
	got, _ := url.ParseQuery(first.Query)
	if got.Get("subClass") != "Project,WorkPackage" || got.Get("status") != "Active" || got.Get("type") != "Site Survey" {
		t.Errorf("query %q", first.Query)
	}
}

func TestListsRefuseWhatThePlatformRefuses(t *testing.T) {
	_, c, ctx, show := setup(t)
	_, err := c.ListITwins(ctx, bentley.ITwinQuery{Status: "Active", IncludeInactive: true})
	var e *bentley.Error
	if !errors.As(err, &e) || e.Status != 422 {
		t.Errorf("status with includeInactive: %v, want the platform's 422", err)
	}
	if _, err := c.ListUserMembers(ctx, show.ITwinID, bentley.MaxPageSize+1, 0); err == nil {
		t.Error("a $top over the maximum was sent")
	}
	if _, err := c.SearchUsers(ctx, "ab"); err == nil {
		t.Error("a two-character search was sent")
	}
}

func TestAccessControlReads(t *testing.T) {
	emu, c, ctx, show := setup(t)
	page, err := c.ListUserMembers(ctx, show.ITwinID, 3, 0)
	if err != nil || len(page.Members) != 3 || !page.HasNext {
		t.Fatalf("first member page: %+v, %v", page, err)
	}
	roles, err := c.GetRoles(ctx, show.ITwinID)
	if err != nil || len(roles) != 3 || roles[0].DisplayName == "" {
		t.Errorf("roles %+v, %v", roles, err)
	}
	perms, err := c.GetMyPermissions(ctx, show.ITwinID)
	if err != nil || len(perms) == 0 {
		t.Errorf("permissions %v, %v", perms, err)
	}
	// A member without administration_manage_roles is refused the roles.
	reader := bentley.WithToken(ctx, readerToken(t, c, emu, show))
	_, err = c.GetRoles(reader, show.ITwinID)
	var e *bentley.Error
	if !errors.As(err, &e) || e.Status != 403 || e.Code != "InsufficientPermissions" {
		t.Errorf("roles for a reader: %v, want 403 InsufficientPermissions", err)
	}
}

// readerToken finds a member of the showcase iTwin whose permissions lack role management.
func readerToken(t *testing.T, c *bentley.Client, emu *emulator.Emulator, show emulator.Showcase) string {
	t.Helper()
	for _, u := range emu.DemoUsers() {
		perms, err := c.GetMyPermissions(bentley.WithToken(t.Context(), u.Token), show.ITwinID)
		if err == nil && !contains(perms, "administration_manage_roles") {
			return u.Token
		}
	}
	t.Fatal("no reader member of the showcase iTwin")
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestSearchUsers(t *testing.T) {
	_, c, ctx, _ := setup(t)
	users, err := c.SearchUsers(ctx, "grace hopper")
	if err != nil || len(users) != 1 || *users[0].Email != "grace.hopper@contoso.example" {
		t.Fatalf("search: %+v, %v", users, err)
	}
}
