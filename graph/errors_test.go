package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

func TestNotFound(t *testing.T) {
	e := testenv.New(t)
	unknown := "00000000-0000-4000-8000-000000000000"
	resp := e.Query(t, e.Show.Token, fmt.Sprintf(`{ itwin(id: %[1]q) { id } user(id: %[1]q) { id } me { id } }`, unknown), nil)
	if !resp.IsNull("itwin") || !resp.IsNull("user") {
		t.Errorf("itwin and user must be null: %s %s", resp.Data["itwin"], resp.Data["user"])
	}
	itwinErr := resp.ErrorAt("itwin")
	if itwinErr.Code() != "NOT_FOUND" {
		t.Fatalf("itwin error = %+v, want NOT_FOUND", itwinErr)
	}
	upstream, _ := itwinErr.Extensions["upstream"].(map[string]any)
	if upstream["status"] != float64(404) || upstream["code"] != "iTwinNotFound" {
		t.Errorf("extensions.upstream = %v, want status 404 and code iTwinNotFound", upstream)
	}
	if resp.ErrorAt("user").Code() != "NOT_FOUND" {
		t.Errorf("user error = %+v, want NOT_FOUND", resp.ErrorAt("user"))
	}
	// Siblings survive.
	var me struct{ ID string }
	resp.Field(t, "me", &me)
	if me.ID == "" {
		t.Error("me failed alongside the not-found fields")
	}

	t.Run("member that is not one", func(t *testing.T) {
		resp := e.Query(t, e.Show.Token, fmt.Sprintf(`{ itwin(id: %q) { id member(userId: %q) { id } } }`, e.Show.ITwinID, unknown), nil)
		if err := resp.ErrorAt("itwin", "member"); err.Code() != "NOT_FOUND" || err.Message != "member not found" {
			t.Errorf("error = %+v", err)
		}
		var it struct{ ID string }
		resp.Field(t, "itwin", &it)
		if it.ID != e.Show.ITwinID {
			t.Error("the iTwin was lost with its member")
		}
	})
}

func TestMemberUserOutsideTheUsersAPI(t *testing.T) {
	e := testenv.New(t)
	q := `query($it: ID!, $guest: ID!, $gone: ID!) { itwin(id: $it) {
		guest: member(userId: $guest) { id email organization user { id } }
		gone: member(userId: $gone) { id email givenName surname organization roles { id } user { id } } } }`
	resp := e.Query(t, e.Show.Token, q, map[string]any{"it": e.Show.ITwinID, "guest": e.Show.GuestID, "gone": e.Show.DeletedID})
	if len(resp.Errors) > 0 {
		t.Fatalf("want no errors, got %+v", resp.Errors)
	}
	var got struct {
		Guest struct {
			ID, Email, Organization string
			User                    *struct{ ID string }
		}
		Gone struct {
			ID                                      string
			Email, GivenName, Surname, Organization *string
			Roles                                   []struct{ ID string }
			User                                    *struct{ ID string }
		}
	}
	resp.Field(t, "itwin", &got)
	// Another organization's member: Access Control knows them, the Users API does not return them.
	if got.Guest.Email == "" || got.Guest.Organization == "Contoso Engineering" || got.Guest.User != nil {
		t.Errorf("guest = %+v: want Access Control's profile and a null user", got.Guest)
	}
	// A member deleted from IMS: null profile fields, roles kept, null user.
	if got.Gone.Email != nil || got.Gone.GivenName != nil || got.Gone.Surname != nil || got.Gone.Organization != nil ||
		len(got.Gone.Roles) == 0 || got.Gone.User != nil {
		t.Errorf("deleted member = %+v", got.Gone)
	}
}

func TestBadInputMakesNoCall(t *testing.T) {
	e := testenv.New(t)
	queries := []string{
		`{ itwin(id: "../users/me") { id } }`,
		`{ itwin(id: "9721ba3c-0e76-4078-90e3-bb5c1172d95") { id } }`,
		`{ user(id: "me") { id } }`,
		`{ users(ids: ["00000000-0000-4000-8000-000000000000", "x%2F..%2F"]) { id } }`,
		fmt.Sprintf(`{ itwin(id: %q) { member(userId: "00000000-0000-4000-8000-00000000000g") { id } } }`, e.Show.ITwinID),
	}
	for _, q := range queries {
		e.Emu.Reset()
		resp := e.Query(t, e.Show.Token, q, nil)
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("%s: errors %+v, want one BAD_USER_INPUT", q, resp.Errors)
		}
		calls := e.Emu.TotalCalls()
		if strings.Contains(q, "member(") {
			calls -= e.Emu.Calls(emulator.EndpointITwin) // the parent iTwin itself is valid
		}
		if calls != 0 {
			t.Errorf("%s: %d upstream calls for bad input", q, calls)
		}
	}
}

func TestAuthentication(t *testing.T) {
	e := testenv.New(t)
	t.Run("no bearer token: UNAUTHENTICATED, no call", func(t *testing.T) {
		resp := e.Query(t, "", fmt.Sprintf(`{ me { id } itwin(id: %q) { id } }`, e.Show.ITwinID), nil)
		if resp.ErrorAt("me").Code() != "UNAUTHENTICATED" || resp.ErrorAt("itwin").Code() != "UNAUTHENTICATED" {
			t.Errorf("errors = %+v", resp.Errors)
		}
		if n := e.Emu.TotalCalls(); n != 0 {
			t.Errorf("%d upstream calls without a token", n)
		}
	})
	t.Run("introspection needs no token", func(t *testing.T) {
		resp := e.Query(t, "", `{ __schema { queryType { name } types { name } } }`, nil)
		if len(resp.Errors) > 0 || !strings.Contains(string(resp.Data["__schema"]), `"ITwinSubClass"`) {
			t.Errorf("introspection: %+v", resp)
		}
	})
	t.Run("a token the platform refuses", func(t *testing.T) {
		resp := e.Query(t, "forged-token", `{ me { id } }`, nil)
		err := resp.ErrorAt("me")
		upstream, _ := err.Extensions["upstream"].(map[string]any)
		if err.Code() != "UNAUTHENTICATED" || upstream["status"] != float64(401) {
			t.Errorf("error = %+v", err)
		}
		if strings.Contains(err.Message, "forged") {
			t.Errorf("message %q echoes the token", err.Message)
		}
	})
}

func TestUpstreamFailures(t *testing.T) {
	cases := []struct {
		name     string
		fault    emulator.Fault
		code     string
		upstream float64 // expected extensions.upstream.status, 0 for none
	}{
		{"403", emulator.Fault{Endpoint: emulator.EndpointUserMember, Kind: emulator.FaultStatus, Status: 403}, "FORBIDDEN", 403},
		{"429", emulator.Fault{Endpoint: emulator.EndpointUserMember, Kind: emulator.FaultStatus, Status: 429, RetryAfter: "30"}, "RATE_LIMITED", 429},
		{"503", emulator.Fault{Endpoint: emulator.EndpointUserMember, Kind: emulator.FaultStatus, Status: 503}, "UPSTREAM_UNAVAILABLE", 503},
		{"500", emulator.Fault{Endpoint: emulator.EndpointUserMember, Kind: emulator.FaultStatus, Status: 500}, "UPSTREAM_UNAVAILABLE", 500},
		{"malformed", emulator.Fault{Endpoint: emulator.EndpointUserMember, Kind: emulator.FaultMalformed}, "UPSTREAM_ERROR", 0},
		{"reset", emulator.Fault{Endpoint: emulator.EndpointUserMember, Kind: emulator.FaultReset}, "UPSTREAM_UNAVAILABLE", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testenv.New(t)
			e.Emu.Inject(tc.fault)
			resp := e.Query(t, e.Show.Token, aggregationQuery, map[string]any{"itwin": e.Show.ITwinID, "member": e.Show.MemberID})
			err := resp.ErrorAt("itwin", "member")
			if err.Code() != tc.code {
				t.Fatalf("member error = %+v, want %s", err, tc.code)
			}
			upstream, _ := err.Extensions["upstream"].(map[string]any)
			if tc.upstream != 0 && upstream["status"] != tc.upstream {
				t.Errorf("extensions.upstream = %v, want status %v", upstream, tc.upstream)
			}
			if tc.code == "RATE_LIMITED" && err.Extensions["retryAfter"] != float64(30) {
				t.Errorf("extensions.retryAfter = %v, want 30", err.Extensions["retryAfter"])
			}
			if strings.Contains(err.Message, "Requested") || strings.Contains(err.Message, "{") {
				t.Errorf("message %q passes upstream text through", err.Message)
			}
			// Partial result: the iTwin and its account stand.
			var got aggregation
			resp.Field(t, "itwin", &got)
			if got.ID != e.Show.ITwinID || got.Account.DisplayName == "" || got.Member != nil {
				t.Errorf("partial data = %+v", got)
			}
		})
	}

	t.Run("a failed users batch nulls its entries, not the query", func(t *testing.T) {
		e := testenv.New(t)
		e.Emu.Inject(emulator.Fault{Endpoint: emulator.EndpointUsersByIDList, Kind: emulator.FaultStatus, Status: 503})
		resp := e.Query(t, e.Show.Token, fmt.Sprintf(`{ me { id } users(ids: [%q, %q]) { id } }`, e.Show.MemberID, e.Show.GuestID), nil)
		var users []*struct{ ID string }
		resp.Field(t, "users", &users)
		if len(users) != 2 || users[0] != nil || users[1] != nil {
			t.Errorf("users = %+v, want two nulls", users)
		}
		if resp.ErrorAt("users").Code() != "UPSTREAM_UNAVAILABLE" || len(resp.Errors) != 1 {
			t.Errorf("errors = %+v, want one UPSTREAM_UNAVAILABLE at users", resp.Errors)
		}
		var me struct{ ID string }
		resp.Field(t, "me", &me)
		if me.ID == "" {
			t.Error("me failed with the users batch")
		}
	})
}
