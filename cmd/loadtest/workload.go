package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/itwin-graphql/gateway/bentley/emulator"
)

// workload builds the requests the callers send, round robin.
func workload(emu *emulator.Emulator, o options) ([]request, error) {
	show := emu.Showcase()
	users := emu.DemoUsers()
	// ownIDs known to the showcase caller's organization: the workloads use this many, whatever
	// the dataset's size, so their answers stay comparable across runs.
	const ownIDs = 50
	var own []string
	for _, u := range users {
		if u.Organization == "Contoso Engineering" && len(own) < ownIDs {
			own = append(own, u.ID)
		}
	}
	var query string
	vars := map[string]any{}
	switch o.query {
	case "aggregation":
		query = `query ($itwin: ID!, $member: ID!) {
  itwin(id: $itwin) { id displayName class subClass status
    account { id displayName }
    member(userId: $member) { email roles { displayName } user { id email organizationName } } } }`
		vars = map[string]any{"itwin": show.ITwinID, "member": show.MemberID}
	case "teampage":
		// A team page: 100 members of the rail program, each with roles and profile.
		query = `query TeamPage($it: ID!) { itwin(id: $it) { members(first: 100) {
  nodes { roles { displayName } user { email } } } } }`
		vars = map[string]any{"it": show.ProgramID}
	case "portfolio":
		// 25 iTwins of one account, each with its account, creator and a 10-member team page.
		query = `query Portfolio($acc: ID!) { itwins(first: 25, filter: {accountId: $acc}) { nodes {
  account { displayName } createdByUser { email } members(first: 10) { nodes { user { email } } } } } }`
		vars = map[string]any{"acc": show.AccountID}
	case "aliases40":
		var b strings.Builder
		b.WriteString("{")
		for i, id := range own[:40] {
			fmt.Fprintf(&b, " u%d: user(id: %q) { id email }", i, id)
		}
		query = b.String() + " }"
	case "users1500":
		ids := make([]string, 1500)
		for i := range ids {
			ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		}
		copy(ids, own)
		query, vars = `query ($ids: [ID!]!) { users(ids: $ids) { id } }`, map[string]any{"ids": ids}
	case "repeated":
		query = fmt.Sprintf(`{ a: user(id: %[1]q) { id } b: user(id: %[1]q) { id } list: users(ids: [%[1]q, %[1]q, %[1]q]) { id } }`, show.MemberID)
	case "list100":
		ids := append([]string(nil), own...)
		for len(ids) < 100 {
			ids = append(ids, fmt.Sprintf("00000000-0000-4000-8000-%012d", len(ids)))
		}
		query, vars = `query ($ids: [ID!]!) { users(ids: $ids) { id email displayName } }`, map[string]any{"ids": ids}
	case "mix":
		return mixWorkload(emu, show)
	case "creators", "entities":
		// 20 iTwins by id, each with its creator. As root fields, lookahead sends the creators
		// from the iTwins' batch (user batches per query stay 1). As a federation router's
		// _entities, the creators' ids are known only once the iTwins are back and go through
		// the dataloader's window (BATCH_WAIT): user batches per query above 1 are split windows.
		ids, err := itwinIDs(emu, show.Token, 20)
		if err != nil {
			return nil, err
		}
		if o.query == "entities" {
			reps := make([]map[string]any, len(ids))
			for i, id := range ids {
				reps[i] = map[string]any{"__typename": "ITwin", "id": id}
			}
			body, err := json.Marshal(map[string]any{
				"query":     `query ($r: [_Any!]!) { _entities(representations: $r) { ... on ITwin { createdByUser { email } } } }`,
				"variables": map[string]any{"r": reps}})
			if err != nil {
				return nil, err
			}
			return []request{{body: body, token: show.Token, subgraph: true}}, nil
		}
		var b strings.Builder
		b.WriteString("{")
		for i, id := range ids {
			fmt.Fprintf(&b, " t%d: itwin(id: %q) { createdByUser { email } }", i, id)
		}
		query = b.String() + " }"
	case "me":
		query = `{ me { id email } myPrimaryAccount { id displayName } }`
	default:
		return nil, fmt.Errorf("unknown query %q", o.query)
	}
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	switch o.tokens {
	case "same":
		return []request{{body: body, token: show.Token}}, nil
	case "distinct":
		if o.query != "me" {
			return nil, errors.New("-tokens distinct needs -query me: other queries read the showcase caller's data")
		}
		var reqs []request
		for _, u := range users {
			reqs = append(reqs, request{body: body, token: u.Token})
		}
		return reqs, nil
	}
	return nil, fmt.Errorf("unknown -tokens %q", o.tokens)
}

// itwinIDs reads the ids of the first n iTwins the caller is a member of from the emulator.
func itwinIDs(emu *emulator.Emulator, token string, n int) ([]string, error) {
	srv := httptest.NewServer(emu)
	defer srv.Close()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/itwins?$top=%d", srv.URL, n), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var page struct {
		ITwins []struct{ ID string } `json:"iTwins"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, err
	}
	if len(page.ITwins) != n {
		return nil, fmt.Errorf("the caller sees %d iTwins; the workload needs %d", len(page.ITwins), n)
	}
	ids := make([]string, n)
	for i, it := range page.ITwins {
		ids[i] = it.ID
	}
	return ids, nil
}

// mixWorkload is the aggregation query as a dedup-free mix: one of 200 callers (members of the
// rail program, each with its own token) asks about one of the program's members, a different
// pair each time, so no upstream call is shared by dedup or repeated within a run's cache.
func mixWorkload(emu *emulator.Emulator, show emulator.Showcase) ([]request, error) {
	srv := httptest.NewServer(emu)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/accesscontrol/itwins/"+show.ProgramID+"/members/users?$top=1000", nil)
	req.Header.Set("Authorization", "Bearer "+show.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var page struct {
		Members []struct{ ID string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, err
	}
	members := map[string]bool{}
	for _, m := range page.Members {
		members[m.ID] = true
	}
	var tokens []string
	for _, u := range emu.DemoUsers() {
		if members[u.ID] && len(tokens) < 200 {
			tokens = append(tokens, u.Token)
		}
	}
	if len(tokens) < 200 || len(page.Members) < 251 {
		return nil, fmt.Errorf("the program has %d members with tokens (of %d); the mix needs 200 of 251", len(tokens), len(page.Members))
	}
	const query = `query Mix($itwin: ID!, $member: ID!) {
  itwin(id: $itwin) { id displayName class subClass status
    account { id displayName }
    member(userId: $member) { email roles { displayName } user { id email organizationName } } } }`
	// 200 tokens x 251 members (prime to 200): request k pairs token k mod 200 with member
	// k mod 251, so 50,200 requests pass before a pair repeats.
	const members251 = 251
	reqs := make([]request, 0, 200*members251)
	for k := 0; k < 200*members251; k++ {
		body, err := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"itwin": show.ProgramID, "member": page.Members[k%members251].ID}})
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, request{body: body, token: tokens[k%200]})
	}
	return reqs, nil
}
