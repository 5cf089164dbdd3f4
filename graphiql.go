package main

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
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

// graphiqlPage is GraphiQL, with the releases and integrity hashes gqlgen's own page pins. Unlike
// that page it never persists the headers editor (which holds a bearer token): not in the URL,
// where it would reach history, logs and Referer headers, and not in localStorage
// (shouldPersistHeaders: false). The query, variables and operation name do live in the URL, so a
// link opens the same query.
var graphiqlPage = template.Must(template.New("graphiql").Parse(`<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>iTwin Platform GraphQL</title>
  <meta name="referrer" content="no-referrer">
  <style>body { margin: 0; } #graphiql { height: 100vh; }</style>
  <script src="https://cdn.jsdelivr.net/npm/react@18.2.0/umd/react.production.min.js"
    integrity="sha256-S0lp+k7zWUMk2ixteM6HZvu8L9Eh//OVrt+ZfbCpmgY=" crossorigin="anonymous"></script>
  <script src="https://cdn.jsdelivr.net/npm/react-dom@18.2.0/umd/react-dom.production.min.js"
    integrity="sha256-IXWO0ITNDjfnNXIu5POVfqlgYoop36bDzhodR6LW5Pc=" crossorigin="anonymous"></script>
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/graphiql@4.1.2/graphiql.min.css"
    integrity="sha256-MEh+B2NdMSpj9kexQNN3QKc8UzMrCXW/Sx/phcpuyIU=" crossorigin="anonymous">
</head>
<body>
  <div id="graphiql">Loading…</div>
  <script src="https://cdn.jsdelivr.net/npm/graphiql@4.1.2/graphiql.min.js"
    integrity="sha256-hnImuor1znlJkD/FOTL3jayfS/xsyNoP04abi8bFJWs=" crossorigin="anonymous"></script>
  <script>
    const parameters = Object.fromEntries(new URLSearchParams(window.location.search));
    delete parameters.headers; // never read a token from a link
    function updateURL() {
      const search = new URLSearchParams();
      for (const key of ['query', 'variables', 'operationName']) {
        if (parameters[key]) search.set(key, parameters[key]);
      }
      history.replaceState(null, '', '?' + search.toString());
    }
    const headers = {{.Headers}};
    ReactDOM.render(React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).href }),
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      query: parameters.query,
      variables: parameters.variables,
      operationName: parameters.operationName,
      headers: headers ? JSON.stringify(headers, null, 2) : undefined,
      onEditQuery: (v) => { parameters.query = v; updateURL(); },
      onEditVariables: (v) => { parameters.variables = v; updateURL(); },
      onEditOperationName: (v) => { parameters.operationName = v; updateURL(); },
      inputValueDeprecation: true,
    }), document.getElementById('graphiql'));
  </script>
</body>
</html>
`))

// graphiQL serves GraphiQL at / against /graphql. A visit without a query in the URL is
// redirected to one with the aggregation query (and, with the emulator, the showcase ids as its
// variables); in emulator mode the headers editor holds the demo token.
func graphiQL(itwinID, memberID, demoToken string) http.Handler {
	var headers map[string]string
	if demoToken != "" {
		headers = map[string]string{"Authorization": "Bearer " + demoToken}
	}
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
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		_ = graphiqlPage.Execute(w, map[string]any{"Headers": headers})
	})
}
