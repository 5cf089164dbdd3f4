package graph_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/itwin-graphql/gateway/internal/testenv"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestReadmeExamples runs every GraphQL example of the README against the emulator: each must be
// a named operation (code generators skip anonymous ones) and answer without errors. The ids the
// README quotes must be the emulator's.
func TestReadmeExamples(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	e := testenv.New(t)
	vars := map[string]any{"itwin": e.Show.ITwinID, "member": e.Show.MemberID, "account": e.Show.AccountID}
	for _, id := range []string{e.Show.ITwinID, e.Show.MemberID, e.Show.AccountID, e.Show.ProgramID} {
		if !strings.Contains(readme, id) {
			t.Errorf("the README does not quote the emulator's id %s", id)
		}
	}
	blocks := regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(readme, -1)
	if len(blocks) < 4 {
		t.Fatalf("%d GraphQL examples in the README, want the aggregation and the list examples", len(blocks))
	}
	for _, b := range blocks {
		doc, err := parser.ParseQuery(&ast.Source{Input: b[1]})
		if err != nil {
			t.Errorf("example does not parse: %v\n%s", err, b[1])
			continue
		}
		for _, op := range doc.Operations {
			if op.Name == "" {
				t.Errorf("anonymous operation in the README:\n%s", b[1])
			}
			used := map[string]any{}
			for _, v := range op.VariableDefinitions {
				used[v.Variable] = vars[v.Variable]
			}
			resp := e.Query(t, e.Show.Token, b[1], used)
			if len(resp.Errors) > 0 || len(resp.Data) == 0 {
				t.Errorf("%s: errors %+v", op.Name, resp.Errors)
			}
		}
	}
}
