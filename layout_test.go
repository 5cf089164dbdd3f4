package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowedImports is the layout's import table (README, "Layout"): for each package of the module,
// the packages of the module it may import. A package missing from the table may import nothing
// of the module; "x/..." allows x and everything below it.
var allowedImports = map[string][]string{
	"":                   {"internal/...", "graph", "bentley", "bentley/emulator"},
	"internal/httpapi":   {"graph", "internal/auth", "internal/sharedstate", "internal/telemetry", "internal/httpapi/graphiql", "bentley"},
	"internal/telemetry": {"graph"},
	"graph":              {"bentley", "graph/model", "graph/subgraph"},
	"graph/subgraph":     {"graph/model"},
	"cmd/loadtest":       {"bentley", "bentley/emulator"},
	// The tests' fixtures may use anything; only test files may import them (checked below).
	"internal/testenv":          {"internal/...", "graph", "bentley", "bentley/emulator"},
	"examples/supergraph/notes": {},
	// The notes subgraph of the supergraph example runs on the emulator's demo data.
	"examples/supergraph/notes-server": {"examples/supergraph/notes", "bentley/emulator"},
}

// forbiddenInCore are the outside packages the GraphQL core must not need: the HTTP surface,
// shared state and telemetry are other rooms.
var forbiddenInCore = []string{"net/http", "github.com/redis/", "github.com/prometheus/", "go.opentelemetry.io/"}

// The layout holds by itself: every import between the module's packages is one the table
// allows, and graph imports no HTTP, Redis, Prometheus or OpenTelemetry package. Test files are
// not read (go list's Imports are the package's own), so tests may use any fixture.
func TestImportsFollowTheLayout(t *testing.T) {
	const module = "github.com/itwin-graphql/gateway"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	packages := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		packages++
		for _, imp := range fields[1:] {
			if pkg == "graph" {
				for _, f := range forbiddenInCore {
					if imp == f || strings.HasSuffix(f, "/") && strings.HasPrefix(imp, f) {
						t.Errorf("graph imports %s: the GraphQL core needs no HTTP, Redis, Prometheus or OpenTelemetry package", imp)
					}
				}
			}
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			if dep == "internal/testenv" {
				t.Errorf("%s imports internal/testenv outside its tests", pkg)
				continue
			}
			if !allowed(pkg, dep) {
				name := pkg
				if name == "" {
					name = "main"
				}
				t.Errorf("%s imports %s, which the layout's import table does not allow", name, dep)
			}
		}
	}
	if packages < 10 {
		t.Fatalf("go list named %d packages", packages)
	}
}

func allowed(pkg, dep string) bool {
	return slices.ContainsFunc(allowedImports[pkg], func(a string) bool {
		if prefix, ok := strings.CutSuffix(a, "/..."); ok {
			return dep == prefix || strings.HasPrefix(dep, prefix+"/")
		}
		return dep == a
	})
}
