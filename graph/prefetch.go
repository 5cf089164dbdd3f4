package graph

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/itwin-graphql/gateway/bentley"
)

// Lookahead prefetch. A resolver that already knows the keys its children will load starts
// those loads before it waits for its own, so independent upstream calls go out in the same
// batch window:
//   - itwin(id) -> account, member(userId), members(first), roles, myPermissions: one round with
//     the iTwin itself, and member(userId).user too, since the key is the user id; its
//     createdByUser, lastModifiedByUser and parent are sent by the iTwins' batch the moment it is
//     back (one getbyidlist for every root iTwin's creator).
//   - a list page -> for every node: its account (one call per distinct Account), parent,
//     createdByUser and lastModifiedByUser (one getbyidlist), member pages, roles, permissions:
//     one round after the page.
//   - a member page -> every member's user: one getbyidlist after the page.
//
// Only what the selection set asks for is prefetched. Prefetched keys are known, so they are sent
// at once rather than after the batch window (dispatch.go). If the parent turns out null its
// children never resolve, so the speculative result is never read and its error never reported.

// summaryFields are the ITwin fields a list's summary representation answers without the full
// one, with the fields resolved from other endpoints by the iTwin's id alone. Any other field
// selected on a list's nodes makes the list ask for the full representation.
var summaryFields = map[string]bool{
	"__typename": true, "id": true, "class": true, "rawClass": true, "subClass": true, "rawSubClass": true,
	"type": true, "number": true, "displayName": true,
	"member": true, "members": true, "roles": true, "myPermissions": true,
}

// prefetchITwin collects into k the loads of the children an ITwin selection asks for; the
// caller sends them (Loaders.send) once it has collected every node's. t is the iTwin when it is
// already known (a list's node), nil when only its id is (itwin(id), before the GET).
func (l *Loaders) prefetchITwin(opCtx *graphql.OperationContext, fields []graphql.CollectedField, itwinID string, t *bentley.ITwin, k *known) {
	for _, f := range fields {
		switch f.Name {
		case "account":
			var accountID *string
			if t != nil {
				accountID = t.ITwinAccountID
			}
			if byID, key := l.accountKey(itwinID, accountID); byID {
				k.accountsByID = append(k.accountsByID, key)
			} else {
				k.accounts = append(k.accounts, key)
			}
		case "member":
			userID, ok := idArgument(opCtx, f, "userId")
			if !ok {
				continue // the member resolver reports the bad id
			}
			k.members = append(k.members, memberKey{itwinID: itwinID, memberID: userID})
			if selects(opCtx, f.Selections, "Member", "user") {
				k.users = append(k.users, userID)
			}
		case "members":
			first, after := connectionArgs(opCtx, f)
			if w, err := pageArgs(l.cursors, first, after, membersScope(itwinID)); err == nil {
				key := memberPageKey{itwinID: itwinID, top: w.first, skip: w.skip}
				k.memberPages = append(k.memberPages, key)
				if selectsField(nodeFields(opCtx, f.Selections, "MemberConnection", "Member"), "user") {
					l.wantUsersOf(key)
				}
			}
		case "roles":
			k.roles = append(k.roles, itwinID)
		case "myPermissions":
			k.permissions = append(k.permissions, itwinID)
		case "parent":
			if t == nil {
				l.wantRefsOf(itwinID, refParent)
			} else if t.ParentID != nil && isUUID(*t.ParentID) {
				k.itwins = append(k.itwins, strings.ToLower(*t.ParentID))
			}
		case "createdByUser", "lastModifiedByUser":
			if t == nil {
				// Known once the iTwin is back: its batch sends them (itwinRefs).
				l.wantRefsOf(itwinID, map[string]itwinRef{"createdByUser": refCreator, "lastModifiedByUser": refModifier}[f.Name])
				continue
			}
			id := t.CreatedBy
			if f.Name == "lastModifiedByUser" {
				id = t.LastModifiedBy
			}
			if id != nil && isUUID(*id) {
				k.users = append(k.users, strings.ToLower(*id))
			}
		}
	}
}

// connectionArgs reads a connection field's first and after, with variables and defaults
// applied; nil where absent or not of the expected type (the resolver reports that).
func connectionArgs(opCtx *graphql.OperationContext, f graphql.CollectedField) (first *int, after *string) {
	args := f.ArgumentMap(opCtx.Variables)
	switch v := args["first"].(type) {
	case int64:
		n := int(v)
		first = &n
	case int:
		first = &v
	case json.Number:
		if n, err := strconv.Atoi(v.String()); err == nil {
			first = &n
		}
	}
	if v, ok := args["after"].(string); ok {
		after = &v
	}
	return first, after
}

// nodeFields collects the ITwin (or Member) fields a connection selects on its items, through
// both nodes { ... } and edges { node { ... } }, fragments included.
func nodeFields(opCtx *graphql.OperationContext, sel ast.SelectionSet, connType, nodeType string) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, f := range graphql.CollectFields(opCtx, sel, []string{connType}) {
		switch f.Name {
		case "nodes":
			out = append(out, graphql.CollectFields(opCtx, f.Selections, []string{nodeType})...)
		case "edges":
			for _, e := range graphql.CollectFields(opCtx, f.Selections, []string{connType[:len(connType)-len("Connection")] + "Edge"}) {
				if e.Name == "node" {
					out = append(out, graphql.CollectFields(opCtx, e.Selections, []string{nodeType})...)
				}
			}
		}
	}
	return out
}

// needsFull reports whether any selected field lies outside the summary representation.
func needsFull(fields []graphql.CollectedField) bool {
	for _, f := range fields {
		if !summaryFields[f.Name] {
			return true
		}
	}
	return false
}

// prefetchMemberUsers starts the user loads of a member page's members when the selection asks
// for their profiles: all of them in one batch, one getbyidlist.
func (l *Loaders) prefetchMemberUsers(ctx context.Context, page *bentley.MemberPage) {
	opCtx, sel, ok := selection(ctx)
	if !ok {
		return
	}
	// Pages whose profiles lookahead foresaw had them sent with their batch (NewLoaders); for any
	// other, sibling pages may be resolving at the same moment, so the profiles go through the
	// window and share one call.
	if selectsField(nodeFields(opCtx, sel, "MemberConnection", "Member"), "user") {
		for _, m := range page.Members {
			l.users.Load(ctx, strings.ToLower(m.ID))
		}
	}
}

// prefetchMemberUser starts the load of a member's user profile while the member itself loads.
func (l *Loaders) prefetchMemberUser(ctx context.Context, userID string) {
	if opCtx, sel, ok := selection(ctx); ok && selects(opCtx, sel, "Member", "user") {
		l.users.now(ctx, []string{userID})
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

// selectsField reports whether collected fields include the named one.
func selectsField(fields []graphql.CollectedField, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
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

// prefetchRoot collects, once per request, every key the operation's root fields foresee (each
// itwin(id:) with the children its selection asks for, each user(id:), aliased or not, and the ids
// of users(ids:)) and sends them together: the first root field to resolve sends them all, so
// sibling root fields share batches (40 aliased user fields, or an iTwin's member profile and a
// users list, are one getbyidlist) and nobody waits for the window. Invalid ids, and an ids list
// past maxIDs, are left to their resolvers, which refuse them.
func (l *Loaders) prefetchRoot(ctx context.Context, maxIDs int) {
	l.root.Do(func() {
		if !graphql.HasOperationContext(ctx) {
			return
		}
		opCtx := graphql.GetOperationContext(ctx)
		if opCtx.Operation == nil {
			return
		}
		var k known
		for _, f := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{"Query"}) {
			switch f.Name {
			case "user":
				if id, ok := idArgument(opCtx, f, "id"); ok {
					k.users = append(k.users, id)
				}
			case "users":
				raw, _ := f.ArgumentMap(opCtx.Variables)["ids"].([]any)
				if maxIDs > 0 && len(raw) > maxIDs {
					continue
				}
				ids := make([]string, 0, len(raw))
				for _, v := range raw {
					if id, ok := v.(string); ok && isUUID(id) {
						ids = append(ids, strings.ToLower(id))
					}
				}
				if len(ids) == len(raw) {
					k.users = append(k.users, ids...)
				}
			case "itwin":
				if id, ok := idArgument(opCtx, f, "id"); ok {
					k.itwins = append(k.itwins, id)
					l.prefetchITwin(opCtx, graphql.CollectFields(opCtx, f.Selections, []string{"ITwin"}), id, nil, &k)
				}
			}
		}
		l.send(ctx, &k)
	})
}
