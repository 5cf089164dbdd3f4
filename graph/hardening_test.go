package graph_test

import (
	"strings"
	"testing"

	"github.com/itwin-graphql/gateway/internal/testenv"
)

func TestUpstreamIDsNeverBecomePathSegments(t *testing.T) {
	e := testenv.New(t)
	wp, _ := e.Emu.ITwinID("WP-01-CON")
	// The platform lists an iTwin whose id is a path trick.
	e.Emu.OverrideITwin(wp, map[string]any{"id": "../../users/me"})
	resp := e.Query(t, e.Show.Token, `query Trick { itwins(first: 100) { nodes { id displayName roles { id } myPermissions } } }`, nil)
	var list struct{ Nodes []struct{ ID string } }
	resp.Field(t, "itwins", &list)
	if len(list.Nodes) < 10 {
		t.Fatalf("%d iTwins listed", len(list.Nodes))
	}
	for _, err := range resp.Errors {
		if err.Code() != "UPSTREAM_ERROR" {
			t.Errorf("error %+v, want UPSTREAM_ERROR for the bad id's fields", err)
		}
	}
	if len(resp.Errors) == 0 {
		t.Error("the bad id's roles and permissions were answered")
	}
	for _, r := range e.Emu.Requests() {
		if strings.Contains(r.Path, "users/me") || strings.Contains(r.Path, "..") {
			t.Errorf("a request went to %s", r.Path)
		}
	}
}
