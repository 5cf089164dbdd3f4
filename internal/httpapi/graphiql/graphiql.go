// Package graphiql serves GraphiQL from files embedded in the binary: the browser builds of the
// npm releases pinned in package.json (copied unchanged by scripts/update-graphiql.sh), the page,
// and its start script. The page makes no request to any other host, so it works behind a
// firewall and in an air-gapped cluster, and its Content-Security-Policy forbids it from trying.
package graphiql

import (
	"bytes"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// AssetsPath is where the embedded files are served; the page refers to them under it.
const AssetsPath = "/graphiql/"

//go:embed assets start.js page.html
var files embed.FS

// AggregationQuery is the query GraphiQL opens with: an iTwin, its account, a member and the
// member's user profile, in one request. It is named, as client generators require.
const AggregationQuery = `# An iTwin, its account, one of its members and that member's profile:
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

// Asset is one embedded file with the Subresource Integrity the manifest records for it.
type Asset struct {
	Name      string `json:"name"`
	Package   string `json:"package"`
	Version   string `json:"version"`
	License   string `json:"license"`
	Integrity string `json:"integrity"`
	body      []byte
}

// Manifest lists the embedded npm files, as assets/manifest.json records them.
func Manifest() []Asset { return manifest }

var (
	manifest []Asset
	served   = map[string]*Asset{} // by name: the npm files and start.js
	page     = template.Must(template.ParseFS(files, "page.html"))
)

func init() {
	raw, err := files.ReadFile("assets/manifest.json")
	if err != nil {
		panic(err) // the embed pattern above guarantees the file; a build without it is broken
	}
	var m struct{ Files []Asset }
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(fmt.Sprintf("graphiql: assets/manifest.json: %v", err))
	}
	manifest = m.Files
	for i := range manifest {
		a := &manifest[i]
		if a.body, err = files.ReadFile("assets/" + a.Name); err != nil {
			panic(fmt.Sprintf("graphiql: manifest names %s: %v", a.Name, err))
		}
		served[a.Name] = a
	}
	start, _ := files.ReadFile("start.js")
	served["start.js"] = &Asset{Name: "start.js", Integrity: Integrity(start), body: start}
}

// Integrity is the SHA-384 Subresource Integrity value of b.
func Integrity(b []byte) string {
	sum := sha512.Sum384(b)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Body is the embedded file's content, for tests that check it against its integrity.
func (a Asset) Body() []byte { return a.body }

// Options configure the page.
type Options struct {
	Endpoint string            // the GraphQL endpoint's path, e.g. /graphql
	ITwinID  string            // prefilled $itwin, when known (the emulator's showcase)
	MemberID string            // prefilled $member
	Headers  map[string]string // prefilled headers editor (the emulator's demo token); never persisted
}

// csp allows the page nothing but this origin: scripts and styles from AssetsPath, requests to the
// endpoint. GraphiQL sets inline styles and its fonts and icons are data: URLs.
const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Page serves GraphiQL. A visit without a query in the URL is redirected to one with the
// aggregation query and its variables, so a link always opens the same query. The headers editor
// (which holds a bearer token) is never persisted: not in the URL, where it would reach history,
// logs and Referer headers, and not in localStorage; start.js holds those rules.
func Page(opts Options) http.Handler {
	vars := map[string]string{"itwin": "<an iTwin id>", "member": "<a member's user id>"}
	if opts.ITwinID != "" {
		vars = map[string]string{"itwin": opts.ITwinID, "member": opts.MemberID}
	}
	varsJSON, _ := json.MarshalIndent(vars, "", "  ")
	start := "/?" + url.Values{"query": {AggregationQuery}, "variables": {string(varsJSON)}}.Encode()
	config := map[string]any{"endpoint": opts.Endpoint, "headers": opts.Headers}
	var buf bytes.Buffer
	err := page.Execute(&buf, map[string]any{
		"Assets": AssetsPath,
		"Files":  served,
		"Config": config,
	})
	if err != nil {
		panic(fmt.Sprintf("graphiql: page template: %v", err)) // fixed template and data
	}
	body := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			http.Redirect(w, r, start, http.StatusFound)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(body)
	})
}

// Assets serves the embedded files under AssetsPath. Their ETag is their integrity hash, so a
// browser revalidates them for free; a new release changes the hash.
func Assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := served[strings.TrimPrefix(r.URL.Path, AssetsPath)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", contentType(a.Name))
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("ETag", `"`+a.Integrity+`"`)
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, a.Name, time.Time{}, bytes.NewReader(a.body))
	})
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json":
		return "application/json"
	default:
		return "text/plain; charset=utf-8" // licences and the third-party list
	}
}
