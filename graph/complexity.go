package graph

import (
	"github.com/itwin-graphql/gateway/graph/model"
	"github.com/itwin-graphql/gateway/graph/subgraph"
)

// upstreamFieldCost is the complexity of a field that makes (or shares) an upstream call, against
// 1 for a plain field: the cost that matters is the platform's.
const upstreamFieldCost = 10

// batchedFieldCost is the complexity of a field answered from a batch call many objects share
// (a user profile through getbyidlist): a fraction of a call each.
const batchedFieldCost = 2

// complexity assigns costs to the fields that call the platform. A connection costs one call
// plus its page size times what each item selects, so nested lists multiply as their calls do.
func complexity() ComplexityRoot {
	var c ComplexityRoot
	upstream := func(child int) int { return upstreamFieldCost + child }
	batched := func(child int) int { return batchedFieldCost + child }
	page := func(child int, first *int) int {
		n := DefaultPageSize
		if first != nil && *first > 0 {
			n = min(*first, MaxPageSize) // out of range is refused by the resolver
		}
		return upstreamFieldCost + n*child
	}
	list := func(child int, first *int, _ *string, _ *model.ITwinFilter) int { return page(child, first) }
	c.Query.Me = upstream
	c.Query.MyPrimaryAccount = upstream
	c.Query.User = func(child int, _ string) int { return upstream(child) }
	c.Query.Itwin = func(child int, _ string) int { return upstream(child) }
	// A users(ids:) list costs one upstream call per 1000 ids plus one per id returned.
	c.Query.Users = func(_ int, ids []string) int {
		calls := (len(ids) + 999) / 1000
		return calls*upstreamFieldCost + len(ids)
	}
	// A search returns up to 1000 users; a page's worth is charged.
	c.Query.SearchUsers = func(child int, _ string) int { return page(child, nil) }
	c.Query.Itwins = list
	c.Query.FavoriteItwins = list
	c.Query.RecentItwins = list
	c.Account.Itwins = list
	c.ITwin.Account = upstream
	c.ITwin.Parent = upstream
	c.ITwin.Roles = upstream
	c.ITwin.MyPermissions = upstream
	c.ITwin.CreatedByUser = batched
	c.ITwin.LastModifiedByUser = batched
	c.ITwin.Member = func(child int, _ string) int { return upstream(child) }
	c.ITwin.Members = func(child int, first *int, _ *string) int { return page(child, first) }
	c.Member.User = batched
	return c
}

// subgraphComplexity gives the subgraph schema the plain schema's costs: its object types are
// the same, and its Query has the same fields plus _service and _entities. gqlgen keeps the
// latter's cost functions unexported, so entitySchema costs _entities (its selection once per
// representation); entityCheck bounds the representations and the call budget their calls.
func subgraphComplexity() subgraph.ComplexityRoot {
	c := complexity()
	var s subgraph.ComplexityRoot
	s.Account, s.ITwin, s.Member, s.User = c.Account, c.ITwin, c.Member, c.User
	s.Query.Me = c.Query.Me
	s.Query.MyPrimaryAccount = c.Query.MyPrimaryAccount
	s.Query.User = c.Query.User
	s.Query.Itwin = c.Query.Itwin
	s.Query.Users = c.Query.Users
	s.Query.SearchUsers = c.Query.SearchUsers
	s.Query.Itwins = c.Query.Itwins
	s.Query.FavoriteItwins = c.Query.FavoriteItwins
	s.Query.RecentItwins = c.Query.RecentItwins
	return s
}
