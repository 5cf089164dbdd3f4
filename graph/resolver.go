// Package graph serves the GraphQL schema: resolvers, per-request loaders and the error
// presenter. Resolvers reach the platform only through the request's Loaders.
package graph

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph/model"
	subgraphpkg "github.com/itwin-graphql/gateway/graph/subgraph"
)

//go:generate go tool gqlgen generate
//go:generate go -C .. tool gqlgen generate --config gqlgen.subgraph.yml

// Resolver is the root resolver. It holds nothing of any caller: everything a resolver needs for
// a request (the loaders, hence the caller's token) travels in the request context.
type Resolver struct {
	// maxUserIDs bounds the ids of one users(ids:) field.
	maxUserIDs int
	// conv maps platform answers to schema objects; nil logs nothing.
	conv *converter
}

// NewResolver returns the root resolver; logger receives platform values the gateway could not
// map (an enum value or a date form it does not know), once each.
func NewResolver(maxUserIDs int, logger *slog.Logger) *Resolver {
	return &Resolver{maxUserIDs: maxUserIDs, conv: newConverter(logger)}
}

// NewSchema returns the executable schema an endpoint serves: the plain graph, or with subgraph
// the Apollo Federation v2 subgraph (the same graph plus _service and _entities), costed for the
// complexity limit, with the extensions its server must use before that limit (the subgraph's
// check of its representations).
func NewSchema(maxUserIDs int, logger *slog.Logger, subgraph bool) (graphql.ExecutableSchema, []graphql.HandlerExtension) {
	resolver := NewResolver(maxUserIDs, logger)
	if !subgraph {
		return NewExecutableSchema(Config{Resolvers: resolver, Complexity: complexity()}), nil
	}
	es := entitySchema{subgraphpkg.NewExecutableSchema(subgraphpkg.Config{Resolvers: SubgraphResolver{resolver}, Complexity: subgraphComplexity()})}
	return es, []graphql.HandlerExtension{newEntityCheck(es)}
}

var quietConverter = newConverter(nil)

func (r *Resolver) convert() *converter {
	if r.conv == nil {
		return quietConverter
	}
	return r.conv
}

// errNoLoaders means the handler was built without Middleware: a wiring bug, not a client's.
var errNoLoaders = errors.New("graph: no loaders in request context")

// requestLoaders returns the request's loaders.
func requestLoaders(ctx context.Context) (*Loaders, error) {
	if l := loadersFrom(ctx); l != nil {
		return l, nil
	}
	return nil, errNoLoaders
}

// itwinList serves one page of an iTwins list. account is the Account whose iTwins are listed,
// "" for the caller's lists. The page asks for the full representation only when the nodes
// select a field the summary lacks, and starts its nodes' children's loads (prefetchITwin) before
// any node resolves.
func (r *Resolver) itwinList(ctx context.Context, list, account string, first *int, after *string, filter *model.ITwinFilter) (*model.ITwinConnection, error) {
	q, err := itwinQuery(list, filter)
	if err != nil {
		return nil, err
	}
	if account != "" {
		if q.AccountID != "" && q.AccountID != account {
			return nil, inputErrorf("filter.accountId must be this account's id, or left out")
		}
		q.AccountID = account
	}
	l, err := requestLoaders(ctx)
	if err != nil {
		return nil, err
	}
	w, err := pageArgs(l.cursors, first, after, itwinsScope(list, account, q))
	if err != nil {
		return nil, err
	}
	opCtx, sel, ok := selection(ctx)
	var fields []graphql.CollectedField
	if ok {
		fields = nodeFields(opCtx, sel, "ITwinConnection", "ITwin")
	}
	q.Top, q.Skip, q.Full = w.first, w.skip, needsFull(fields)
	page, err := l.ITwinPage(ctx, list, q)
	if err != nil {
		return nil, err
	}
	nodes := make([]*model.ITwin, len(page.ITwins))
	var k known
	for i := range page.ITwins {
		t := &page.ITwins[i]
		if ok {
			l.prefetchITwin(opCtx, fields, strings.ToLower(t.ID), t, &k)
		}
		nodes[i] = r.convert().iTwin(ctx, t)
	}
	l.send(ctx, &k) // every node's children, one batch per loader, before any node resolves
	return itwinConnection(w, nodes, page.HasNext), nil
}

// userByRef resolves a user id held by another object (a member, an iTwin's creator) through the
// batched Users loader. A user the Users API does not return to this caller is null, with no
// error: another organization's people and deleted users are normal here.
func (r *Resolver) userByRef(ctx context.Context, id *string) (*model.User, error) {
	if id == nil || !isUUID(*id) {
		return nil, nil
	}
	l, err := requestLoaders(ctx)
	if err != nil {
		return nil, err
	}
	u, err := l.User(ctx, strings.ToLower(*id))
	if err != nil || u == nil {
		return nil, err
	}
	return toUser(u), nil
}

// own returns the caller's /users/me profile when obj is the caller, and nil for anyone else:
// the fields only /me has are filled for the caller on every path that returns the caller's
// User, so two answers about one person never disagree. It costs one /users/me call per request,
// shared by every such field.
func (r *Resolver) own(ctx context.Context, obj *model.User) (*bentley.User, error) {
	l, err := requestLoaders(ctx)
	if err != nil {
		return nil, err
	}
	me, err := l.Me(ctx)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(me.ID, obj.ID) {
		return nil, nil
	}
	return me, nil
}

// ownField is one of the caller's /users/me fields when obj is the caller, else null (see own).
func (r *Resolver) ownField(ctx context.Context, obj *model.User, field func(*bentley.User) *string) (*string, error) {
	me, err := r.own(ctx, obj)
	if me == nil {
		return nil, err
	}
	return field(me), nil
}

// isFull reports whether an iTwin answer is the full representation: it always carries the data
// center and the creation date, which the summary lacks.
func isFull(t *bentley.ITwin) bool {
	return t.DataCenterLocation != "" || t.CreatedDateTime != nil
}
