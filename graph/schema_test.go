package graph_test

import (
	"os"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestSchemaIsDescribed keeps the public contract self-documenting: every type, field, argument,
// input field and enum value of schema.graphqls has a description, as GraphiQL and generated
// clients show them.
func TestSchemaIsDescribed(t *testing.T) {
	raw, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, gqlErr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(raw)})
	if gqlErr != nil {
		t.Fatal(gqlErr)
	}
	checked := 0
	for name, def := range schema.Types {
		if def.BuiltIn {
			continue
		}
		if def.Description == "" {
			t.Errorf("type %s has no description", name)
		}
		for _, f := range def.Fields {
			if len(f.Name) > 1 && f.Name[:2] == "__" {
				continue
			}
			checked++
			if f.Description == "" {
				t.Errorf("%s.%s has no description", name, f.Name)
			}
			for _, a := range f.Arguments {
				checked++
				if a.Description == "" {
					t.Errorf("argument %s of %s.%s has no description", a.Name, name, f.Name)
				}
			}
		}
		for _, v := range def.EnumValues {
			checked++
			if v.Description == "" {
				t.Errorf("enum value %s.%s has no description", name, v.Name)
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d fields, arguments and values checked", checked)
	}
}
