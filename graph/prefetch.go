package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Lookahead prefetch. A resolver that already knows the keys its children will load (from its
// own arguments) starts those loads before it waits for its own. Every independent upstream call
// of a query then goes out in the same batch window: itwin(id) -> account, member(id) ->
// member.user is one round trip instead of three.
//
// Only what the selection set asks for is prefetched. A prefetch only enqueues a key: if the
// parent turns out null its children never resolve, so the speculative result is never read
// and its error is never reported.

// prefetchITwin starts the loads of an ITwin field's children: its account, each member(id:)
// it selects and, since a member's id is its user id, each such member's user.
func (l *Loaders) prefetchITwin(ctx context.Context, itwinID string) {
	opCtx, sel, ok := selection(ctx)
	if !ok {
		return
	}
	for _, f := range graphql.CollectFields(opCtx, sel, []string{"ITwin"}) {
		switch f.Name {
		case "account":
			l.accounts.Load(ctx, itwinID)
		case "member":
			memberID, ok := idArgument(opCtx, f, "id")
			if !ok {
				continue // the member resolver reports the bad id
			}
			l.members.Load(ctx, memberKey{itwinID: itwinID, memberID: memberID})
			if selects(opCtx, f.Selections, "Member", "user") {
				l.users.Load(ctx, memberID)
			}
		}
	}
}

// prefetchMemberUser starts the load of a member's user profile while the member itself loads.
func (l *Loaders) prefetchMemberUser(ctx context.Context, memberID string) {
	if opCtx, sel, ok := selection(ctx); ok && selects(opCtx, sel, "Member", "user") {
		l.users.Load(ctx, memberID)
	}
}

// selection returns the operation and the current field's selection set, when there is one.
func selection(ctx context.Context) (*graphql.OperationContext, ast.SelectionSet, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || !graphql.HasOperationContext(ctx) {
		return nil, nil, false
	}
	return graphql.GetOperationContext(ctx), fc.Field.Selections, true
}

// selects reports whether a selection set on the given type selects the named field, directly
// or through fragments.
func selects(opCtx *graphql.OperationContext, sel ast.SelectionSet, typeName, field string) bool {
	for _, f := range graphql.CollectFields(opCtx, sel, []string{typeName}) {
		if f.Name == field {
			return true
		}
	}
	return false
}

// idArgument returns a field's ID argument, with variables applied, when it is a valid UUID.
func idArgument(opCtx *graphql.OperationContext, f graphql.CollectedField, name string) (string, bool) {
	v, ok := f.ArgumentMap(opCtx.Variables)[name].(string)
	if !ok || !isUUID(v) {
		return "", false
	}
	return strings.ToLower(v), true
}
