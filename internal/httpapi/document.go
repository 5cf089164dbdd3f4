package httpapi

import (
	"context"
	"crypto/sha256"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/sharedstate"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// documentLimit bounds the work a document can cause before gqlgen validates it. Validation and
// gqlgen's complexity walk expand fragment spreads afresh at every use: a chain of fragments each
// spreading the next twice doubles with every link, so a 1 KB document can cost them 2^40 steps.
// This check parses the document (linear, bounded by MAX_TOKENS) and measures every operation,
// introspection included, costing each fragment once (memoised), so its own work is linear in the
// document's size. It refuses a document that selects more than maxFields fields once its
// fragments are expanded, nests deeper than maxDepth (introspection not counted: its type
// references nest by design), or has more than maxAliases aliases, and, when introspection is
// off, one that asks for __schema or __type, as a clean validation error.
//
// A document is measured once: the verdict is remembered by the document's SHA-256, so a query
// served from gqlgen's parsed-query cache is not parsed again here.
type documentLimit struct {
	maxTokens, maxDepth, maxAliases, maxFields int
	introspection                              bool
	verdicts                                   *sharedstate.LRU[*gqlerror.Error]
}

// verdictEntries bounds the remembered verdicts: 32-byte keys and a pointer each.
const verdictEntries = 10000

func newDocumentLimit(l graph.Limits, introspection bool) documentLimit {
	return documentLimit{
		maxTokens: l.MaxTokens, maxDepth: l.MaxDepth, maxAliases: l.MaxAliases, maxFields: l.MaxComplexity,
		introspection: introspection,
		verdicts:      sharedstate.NewLRU[*gqlerror.Error](verdictEntries, verdictEntries*64),
	}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentLimit{}

func (documentLimit) ExtensionName() string                          { return "DocumentLimit" }
func (documentLimit) Validate(schema graphql.ExecutableSchema) error { return nil }

func (d documentLimit) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" {
		return nil // gqlgen reports the missing query
	}
	sum := sha256.Sum256([]byte(params.Query))
	key := string(sum[:])
	if verdict, ok := d.verdicts.Get(ctx, key); ok {
		return verdict
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, d.maxTokens)
	if err != nil {
		return nil // gqlgen parses it again and reports the error with its own code
	}
	verdict := d.judge(doc)
	d.verdicts.Add(ctx, key, verdict)
	return verdict
}

// judge measures every operation of a parsed document.
func (d documentLimit) judge(doc *ast.QueryDocument) *gqlerror.Error {
	m := measurer{fragments: doc.Fragments, memo: map[string]shape{}, visiting: map[string]bool{}}
	var total shape
	for _, op := range doc.Operations {
		sh := m.selectionSet(op.SelectionSet)
		total = total.plus(sh)
		switch {
		case sh.depth > d.maxDepth:
			return graph.CodedError(graph.CodeDepthLimitExceeded, "the query is nested %d levels deep; at most %d are allowed", sh.depth, d.maxDepth)
		case sh.aliases > d.maxAliases:
			return graph.CodedError(graph.CodeAliasLimitExceeded, "the query has %d aliased fields; at most %d are allowed", sh.aliases, d.maxAliases)
		}
	}
	if total.fields > d.maxFields {
		return graph.CodedError(graph.CodeComplexityLimitExceeded, "the query selects more than %d fields once its fragments are expanded", d.maxFields)
	}
	if !d.introspection && m.introspects {
		return graph.CodedError(graph.CodeValidationFailed, "introspection is disabled on this server")
	}
	return nil
}

// shape is what the limits look at in a selection set: its field depth (introspection not
// counted), and how many aliased fields and fields in all it holds with fragments expanded.
type shape struct{ depth, aliases, fields int }

// saturation caps the counts, so a fragment bomb cannot overflow them.
const saturation = 1 << 40

func (a shape) plus(b shape) shape {
	return shape{depth: max(a.depth, b.depth), aliases: min(a.aliases+b.aliases, saturation), fields: min(a.fields+b.fields, saturation)}
}

// measurer measures selection sets, each fragment once: linear in the document's size however
// often fragments are spread.
type measurer struct {
	fragments ast.FragmentDefinitionList
	memo      map[string]shape
	visiting  map[string]bool // validation refuses fragment cycles; this guards against them anyway
	// introspects is set when any selection asks for __schema or __type.
	introspects bool
}

func (m *measurer) selectionSet(sel ast.SelectionSet) shape {
	var out shape
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			child := m.selectionSet(s.SelectionSet)
			f := shape{depth: child.depth + 1, aliases: child.aliases, fields: min(child.fields+1, saturation)}
			if strings.HasPrefix(s.Name, "__") {
				// Introspection counts as work, not as depth: the type references of GraphiQL's own
				// introspection query nest eight levels below __schema.
				f.depth = 0
				if s.Name == "__schema" || s.Name == "__type" {
					m.introspects = true
				}
			}
			if s.Alias != "" && s.Alias != s.Name {
				f.aliases++
			}
			out = out.plus(f)
		case *ast.InlineFragment:
			out = out.plus(m.selectionSet(s.SelectionSet))
		case *ast.FragmentSpread:
			sh, ok := m.memo[s.Name]
			if !ok {
				def := m.fragments.ForName(s.Name)
				if def == nil || m.visiting[s.Name] {
					continue
				}
				m.visiting[s.Name] = true
				sh = m.selectionSet(def.SelectionSet)
				delete(m.visiting, s.Name)
				m.memo[s.Name] = sh
			}
			out = out.plus(sh)
		}
	}
	return out
}
