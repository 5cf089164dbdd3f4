package graph

import (
	"context"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// _entities costs what it returns. A router asks for many entities in one field, so the field's
// selection is paid once per representation: its complexity, its calls (through the call budget)
// and its size. Representations are checked before execution, all types together, so a request
// with thousands of malformed ones is one BAD_USER_INPUT, not thousands of errors and log lines.

// MaxRepresentations bounds the representations of one operation, of all types together (unknown
// types included), as USERS_MAX_IDS bounds users(ids:).
const MaxRepresentations = 1000

// maxTypenameInMessage bounds how much of a client's __typename an error quotes.
const maxTypenameInMessage = 64

// entitySchema is the subgraph's executable schema with _entities costed per representation:
// gqlgen keeps the field's cost function unexported, so the schema's Complexity answers for it.
type entitySchema struct{ graphql.ExecutableSchema }

func (s entitySchema) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	if typeName == "Query" && field == "_entities" {
		return costOf(len(representations(args["representations"])), batchedFieldCost+child), true
	}
	return s.ExecutableSchema.Complexity(ctx, typeName, field, child, args)
}

// costOf is n items of each, without overflowing.
func costOf(n, each int) int {
	if n > 0 && each > math.MaxInt32/n {
		return math.MaxInt32
	}
	return n * each
}

// representations reads the representations argument, as a document literal or a variable.
func representations(v any) []any {
	switch reps := v.(type) {
	case []any:
		return reps
	case []map[string]any:
		out := make([]any, len(reps))
		for i, r := range reps {
			out[i] = r
		}
		return out
	}
	return nil
}

// entityCheck refuses, before execution, an operation whose _entities fields carry more than
// MaxRepresentations representations in all, or one that is not an object naming an entity type
// of this subgraph in __typename.
type entityCheck struct{ types map[string]bool }

func newEntityCheck(es graphql.ExecutableSchema) entityCheck {
	c := entityCheck{types: map[string]bool{}}
	if u := es.Schema().Types["_Entity"]; u != nil {
		for _, name := range u.Types {
			c.types[name] = true
		}
	}
	return c
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = entityCheck{}

func (entityCheck) ExtensionName() string                          { return "EntityRepresentations" }
func (entityCheck) Validate(schema graphql.ExecutableSchema) error { return nil }

func (c entityCheck) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	total := 0
	var refused *gqlerror.Error
	rootFields(rc.Doc, rc.Operation.SelectionSet, func(f *ast.Field) {
		if refused != nil || f.Name != "_entities" {
			return
		}
		reps := representations(f.ArgumentMap(rc.Variables)["representations"])
		if total += len(reps); total > MaxRepresentations {
			refused = CodedError(CodeBadUserInput, "_entities has more than %d representations in this operation, of all types together", MaxRepresentations)
			return
		}
		for i, rep := range reps {
			m, _ := rep.(map[string]any)
			typename, ok := m["__typename"].(string)
			switch {
			case !ok:
				refused = CodedError(CodeBadUserInput, "representation %d has no __typename string", i)
			case !c.types[typename]:
				refused = CodedError(CodeBadUserInput, "representation %d names %q, which is not an entity type of this subgraph", i, Truncate(typename, maxTypenameInMessage))
			}
			if refused != nil {
				return
			}
		}
	})
	return refused
}

// rootFields calls fn for each field of a root selection set, fragments expanded.
func rootFields(doc *ast.QueryDocument, set ast.SelectionSet, fn func(*ast.Field)) {
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				fn(s)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if seen[s.Name] {
					continue
				}
				seen[s.Name] = true
				if def := doc.Fragments.ForName(s.Name); def != nil {
					walk(def.SelectionSet)
				}
			}
		}
	}
	walk(set)
}
