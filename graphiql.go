package main

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/99designs/gqlgen/graphql/playground"
)

// aggregationQuery is the query GraphiQL opens with: an iTwin, its account, a member and the
// member's user profile, in one request.
const aggregationQuery = `# An iTwin, its account, one of its members and that member's profile:
# one GraphQL request, one round of upstream calls.
query Aggregation($itwin: ID!, $member: ID!) {
  itwin(id: $itwin) {
    id
    displayName
    class
    subClass
    status
    account { id displayName }
    member(userId: $member) {
      email
      roles { displayName }
      user { id email organizationName }
    }
  }
}`

// graphiQL serves GraphiQL at / against /graphql. A visit without a query in the URL is
// redirected to one with the aggregation query (and, with the emulator, the showcase ids as its
// variables); in emulator mode the headers editor holds the demo token.
func graphiQL(itwinID, memberID, demoToken string) http.Handler {
	opts := []playground.GraphiqlConfigOption{playground.WithGraphiqlPersistStateInURL(true)}
	if demoToken != "" {
		opts = append(opts, playground.WithGraphiqlUiHeaders(map[string]string{"Authorization": "Bearer " + demoToken}))
	}
	page := playground.Handler("iTwin Platform GraphQL", "/graphql", opts...)
	vars := map[string]string{"itwin": "<an iTwin id>", "member": "<a member's user id>"}
	if itwinID != "" {
		vars = map[string]string{"itwin": itwinID, "member": memberID}
	}
	varsJSON, _ := json.MarshalIndent(vars, "", "  ")
	start := "/?" + url.Values{"query": {aggregationQuery}, "variables": {string(varsJSON)}}.Encode()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			http.Redirect(w, r, start, http.StatusFound)
			return
		}
		page.ServeHTTP(w, r)
	})
}
