package graphiql

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The embedded files are the ones the manifest hashed: a hand edit, a truncated copy or a file
// from another release fails here (and the browser would refuse it by its integrity attribute).
func TestEmbeddedFilesMatchTheirIntegrity(t *testing.T) {
	if len(Manifest()) < 6 {
		t.Fatalf("manifest lists %d files", len(Manifest()))
	}
	for _, a := range Manifest() {
		if got := Integrity(a.Body()); got != a.Integrity {
			t.Errorf("%s: embedded content hashes to %s, manifest says %s", a.Name, got, a.Integrity)
		}
		if a.Version == "" || a.License == "" {
			t.Errorf("%s: no version or licence recorded", a.Name)
		}
	}
}

// The manifest's versions are the ones package.json pins, so the update command was run after
// the last pin.
func TestManifestFollowsPackageJSON(t *testing.T) {
	raw, err := os.ReadFile("package.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Manifest() {
		if !strings.HasPrefix(a.Name, "LICENSE.graphiql-explorer") && !strings.Contains(string(raw), `"`+a.Package+`": "`+a.Version+`"`) {
			t.Errorf("%s comes from %s@%s, which package.json does not pin", a.Name, a.Package, a.Version)
		}
	}
}

func TestPageLoadsOnlyEmbeddedFiles(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, AssetsPath) {
			Assets().ServeHTTP(w, r)
			return
		}
		Page(Options{Endpoint: "/graphql", Headers: map[string]string{"Authorization": "Bearer demo"}}).ServeHTTP(w, r)
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.Request.URL.Query().Get("query") != AggregationQuery {
		t.Errorf("/ did not redirect to the aggregation query: %s", resp.Request.URL)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Errorf("the page names another host:\n%s", page)
	}
	if !strings.Contains(page, `"Authorization":"Bearer demo"`) {
		t.Errorf("the demo header is not in the page's configuration:\n%s", page)
	}
	// Every script and stylesheet is embedded, carries its integrity, and is served with it.
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)" integrity="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) != 7 {
		t.Fatalf("page loads %d files with integrity, want 7:\n%s", len(refs), page)
	}
	for _, ref := range refs {
		ref[2] = html.UnescapeString(ref[2]) // html/template writes + as &#43;, as HTML allows
		resp, err := http.Get(srv.URL + ref[1])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || Integrity(b) != ref[2] {
			t.Errorf("%s: status %d, integrity %s, page expects %s", ref[1], resp.StatusCode, Integrity(b), ref[2])
		}
		ct := resp.Header.Get("Content-Type")
		if (strings.HasSuffix(ref[1], ".js") && !strings.HasPrefix(ct, "text/javascript")) ||
			(strings.HasSuffix(ref[1], ".css") && !strings.HasPrefix(ct, "text/css")) {
			t.Errorf("%s served as %s", ref[1], ct)
		}
		// Revalidation by ETag costs no body.
		req, _ := http.NewRequest("GET", srv.URL+ref[1], nil)
		req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
		again, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		again.Body.Close()
		if again.StatusCode != http.StatusNotModified {
			t.Errorf("%s revalidated with its ETag: %d, want 304", ref[1], again.StatusCode)
		}
	}
	// Only the files the manifest lists (and start.js) are served: not the manifest, not the source.
	for _, p := range []string{AssetsPath + "nope.js", AssetsPath + "../graphiql.go", AssetsPath + "manifest.json", AssetsPath + "page.html"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
}

// start.js holds the rules that keep a bearer token out of links and storage.
func TestStartScriptNeverPersistsHeaders(t *testing.T) {
	js := string(served["start.js"].Body())
	for _, must := range []string{"shouldPersistHeaders: false", "delete parameters.headers", "plugins: [GraphiQLPluginExplorer.explorerPlugin()]"} {
		if !strings.Contains(js, must) {
			t.Errorf("start.js lacks %q", must)
		}
	}
	for _, never := range []string{"onEditHeaders", "search.set('headers'", "localStorage"} {
		if strings.Contains(js, never) {
			t.Errorf("start.js contains %q", never)
		}
	}
}
