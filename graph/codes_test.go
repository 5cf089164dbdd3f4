package graph_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/itwin-graphql/gateway/graph"
)

// Every extensions.code is defined once, in graph/codes.go: no other source file of the gateway
// spells one as a literal, so a code cannot drift between the place that answers it and the
// place that documents it.
func TestErrorCodesAreDefinedInOnePlace(t *testing.T) {
	codes := map[string]bool{}
	for _, c := range []string{graph.CodeUnauthenticated, graph.CodeForbidden, graph.CodeNotFound, graph.CodeBadUserInput,
		graph.CodeRateLimited, graph.CodeUpstreamUnavailable, graph.CodeUpstreamError, graph.CodeInternal,
		graph.CodeRequestLimitExceeded, graph.CodeDepthLimitExceeded, graph.CodeComplexityLimitExceeded,
		graph.CodeAliasLimitExceeded, graph.CodeRequestTooLarge, graph.CodeBadRequest, graph.CodeOverloaded,
		graph.CodePersistedQueryNotFound, graph.CodePersistedQueryNotInList, graph.CodeParseFailed, graph.CodeValidationFailed} {
		codes[c] = true
	}
	root := ".."
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			// The examples are clients, and the emulator is the platform: neither answers these.
			switch rel {
			case "examples", "bentley/emulator", ".git":
				return filepath.SkipDir
			}
			if d.Name() == "node_modules" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "generated.go") || rel == "graph/codes.go" {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if v, err := strconv.Unquote(lit.Value); err == nil && codes[v] {
				t.Errorf("%s spells the code %s: use its constant from graph/codes.go", fset.Position(lit.Pos()), v)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 30 {
		t.Fatalf("only %d source files read", checked)
	}
}
