package graph_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

// entity is one object of an answer as a normalised client cache (Apollo's InMemoryCache) keys
// it: by __typename and id, with the path it was found at and its fields.
type entity struct {
	path   string
	fields map[string]any
}

// entities collects every object with __typename and id in an answer. A nested entity is kept
// as a reference ("User:<id>"), as a normalised cache stores it.
func entities(v any, path string, out map[string][]entity) any {
	switch x := v.(type) {
	case map[string]any:
		fields := map[string]any{}
		for k, child := range x {
			fields[k] = entities(child, path+"."+k, out)
		}
		typename, _ := x["__typename"].(string)
		id, _ := x["id"].(string)
		if typename == "" || id == "" {
			return fields
		}
		key := typename + ":" + id
		out[key] = append(out[key], entity{path: path, fields: fields})
		return key
	case []any:
		refs := make([]any, len(x))
		for i, child := range x {
			refs[i] = entities(child, fmt.Sprintf("%s[%d]", path, i), out)
		}
		return refs
	}
	return v
}

const userFields = `__typename id email givenName surname organizationName displayName
  alternateEmail phone city country language createdDateTime`

const itwinFields = `__typename id class rawClass subClass rawSubClass type number displayName status rawStatus
  dataCenterLocation parentId iTwinAccountId geographicLocation latitude longitude ianaTimeZone
  imageName image createdDateTime createdBy lastModifiedDateTime lastModifiedBy`

const accountFields = `__typename id class subClass type number displayName status rawStatus dataCenterLocation
  createdDateTime createdBy`

const memberFields = `__typename id userId iTwinId email givenName surname organization roles { __typename id displayName description permissions }`

// identityQuery reaches each type through every field that returns it.
var identityQuery = strings.NewReplacer("USER", userFields, "ITWIN", itwinFields, "ACCOUNT", accountFields, "MEMBER", memberFields).Replace(`
query Identity($me: ID!, $grace: ID!, $it: ID!, $search: String!) {
  me { USER }
  asUser: user(id: $me) { USER }
  grace: user(id: $grace) { USER }
  asUsers: users(ids: [$me, $grace]) { USER }
  found: searchUsers(text: $search) { USER }
  myPrimaryAccount { ACCOUNT itwins(first: 100, filter: {includeInactive: true}) { nodes { ITWIN } } }
  itwin(id: $it) {
    ITWIN
    account { ACCOUNT }
    parent { ITWIN account { ACCOUNT } }
    createdByUser { USER }
    lastModifiedByUser { USER }
    me: member(userId: $me) { MEMBER user { USER } }
    grace: member(userId: $grace) { MEMBER user { USER } }
    members(first: 100) { edges { node { MEMBER user { USER } } } }
  }
  itwins(first: 100, filter: {includeInactive: true}) {
    nodes { ITWIN account { ACCOUNT } parent { ITWIN } createdByUser { USER } lastModifiedByUser { USER } }
  }
  favoriteItwins(first: 100, filter: {includeInactive: true}) { edges { node { ITWIN account { ACCOUNT } } } }
  recentItwins(first: 100, filter: {includeInactive: true}) { nodes { ITWIN members(first: 100) { nodes { MEMBER user { USER } } } } }
}`)

// TestOneEntityOneValue checks the invariant a normalised client cache relies on: within one
// caller's answers, two objects with the same __typename and id carry equal values for every
// field both select, whichever path returned them.
func TestOneEntityOneValue(t *testing.T) {
	e := testenv.New(t, testenv.WithLimits(graph.Limits{MaxComplexity: 1 << 20, CallBudget: 1000, MaxAliases: 100, MaxDepth: 10}))
	vars := map[string]any{"me": meID(t, e), "grace": e.Show.MemberID, "it": e.Show.ITwinID, "search": "lovelace"}
	resp := e.Query(t, e.Show.Token, identityQuery, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	var data map[string]any
	raw, _ := json.Marshal(resp.Data)
	_ = json.Unmarshal(raw, &data)
	found := map[string][]entity{}
	entities(data, "data", found)

	paths := map[string]map[string]bool{} // type -> the fields it was reached through
	for key, list := range found {
		typename, _, _ := strings.Cut(key, ":")
		for _, en := range list {
			if paths[typename] == nil {
				paths[typename] = map[string]bool{}
			}
			paths[typename][fieldPath(en.path)] = true
		}
		for i := 1; i < len(list); i++ {
			a, b := list[0], list[i]
			for f, va := range a.fields {
				if vb, ok := b.fields[f]; ok && !reflect.DeepEqual(va, vb) {
					t.Errorf("%s.%s is %v at %s but %v at %s", key, f, va, a.path, vb, b.path)
				}
			}
		}
	}
	// Every path of each type was exercised, and the entities met more than once.
	for typename, min := range map[string]int{"User": 9, "ITwin": 6, "Account": 5, "Member": 4} {
		if len(paths[typename]) < min {
			t.Errorf("%s reached through %d fields, want %d: %v", typename, len(paths[typename]), min, keys(paths[typename]))
		}
	}
	me := found["User:"+vars["me"].(string)]
	if len(me) < 5 || me[0].fields["phone"] == nil || me[0].fields["city"] == nil {
		t.Errorf("the caller's User: %d copies, phone %v; want it everywhere with its /me fields", len(me), me[0].fields["phone"])
	}
	if grace := found["User:"+e.Show.MemberID]; len(grace) < 3 || grace[0].fields["phone"] != nil || grace[0].fields["displayName"] != "Grace Hopper" {
		t.Errorf("another user: %d copies, %v", len(grace), grace)
	}
}

// fieldPath turns "data.itwin.members.edges[3].node.user" into "itwin.members.edges.node.user".
func fieldPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '[' {
			for i < len(p) && p[i] != ']' {
				i++
			}
			continue
		}
		b.WriteByte(p[i])
	}
	return strings.TrimPrefix(b.String(), "data.")
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func meID(t *testing.T, e *testenv.Gateway) string {
	t.Helper()
	resp := e.Query(t, e.Show.Token, `{ me { id } }`, nil)
	var me struct{ ID string }
	resp.Field(t, "me", &me)
	return me.ID
}
