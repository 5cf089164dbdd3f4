package graph

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph/model"
)

// Lists are Relay connections over the platform's $top/$skip paging.
//
// A cursor is the position of an item in its list, bound to that list: base64url of the
// position and a checksum over the position and the list's scope (which list, of which iTwin or
// account, with which filter). A cursor from another list or filter, or one altered by hand, fails
// the checksum and is refused as BAD_USER_INPUT before any upstream call. With CURSOR_KEY the
// checksum is an HMAC-SHA-256 under that key, so only the gateway can make a cursor; without it
// the checksum is a plain SHA-256, which a forger could rebuild to reach another position (up to
// 2^30) of a list it may read anyway.
//
// hasNextPage follows the platform's _links.next, never "the page was full": the platform may
// serve fewer items than asked, and a cursor holds the position of the item it names, so a walk
// with any page size visits every item once, in the platform's order.

// Page sizes of a connection's first argument.
const (
	DefaultPageSize = 25
	MaxPageSize     = 100
)

// cursorSumLen is the checksum's length in bytes.
const cursorSumLen = 12

// scope names one list and its filter, the context in which cursors are valid.
type scope string

// itwinsScope is the scope of an iTwins list: its name, the Account it is of (if any) and the
// filter in a canonical form.
func itwinsScope(list, account string, q bentley.ITwinQuery) scope {
	sub := slices.Clone(q.SubClasses)
	slices.Sort(sub)
	return scope(strings.Join([]string{
		list, account, strings.Join(sub, ","), q.Status, q.Type, q.Search,
		strconv.FormatBool(q.IncludeInactive), q.ParentID, q.AccountID,
	}, "\x00"))
}

func membersScope(itwinID string) scope { return scope("members\x00" + itwinID) }

// cursors make and read cursors, signed under key when there is one.
type cursors struct{ key []byte }

func (c cursors) sum(s scope, offset uint64) []byte {
	h := sha256.New()
	if c.key != nil {
		h = hmac.New(sha256.New, c.key)
	}
	h.Write([]byte("itwin-graphql cursor v1\x00"))
	h.Write([]byte(s))
	h.Write(binary.AppendUvarint(nil, offset))
	return h.Sum(nil)[:cursorSumLen]
}

// cursor returns the cursor of the item at offset in the list s.
func (c cursors) cursor(s scope, offset int) string {
	b := binary.AppendUvarint(nil, uint64(offset))
	return base64.RawURLEncoding.EncodeToString(append(b, c.sum(s, uint64(offset))...))
}

// offset reads a cursor of the list s back into its item's position.
func (c cursors) offset(s scope, cursor string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) <= cursorSumLen {
		return 0, false
	}
	off, n := binary.Uvarint(raw)
	if n <= 0 || n != len(raw)-cursorSumLen || off > 1<<30 {
		return 0, false
	}
	if subtle.ConstantTimeCompare(raw[n:], c.sum(s, off)) != 1 {
		return 0, false
	}
	return int(off), true
}

// window is the part of a list one connection field asks for.
type window struct {
	first, skip int
	scope       scope
	cursors     cursors
}

// pageArgs checks a connection's first and after. Both errors are BAD_USER_INPUT, raised before
// any upstream call.
func pageArgs(c cursors, first *int, after *string, s scope) (window, error) {
	w := window{first: DefaultPageSize, scope: s, cursors: c}
	if first != nil {
		w.first = *first
	}
	if w.first < 1 || w.first > MaxPageSize {
		return window{}, inputErrorf("first must be 1 to %d, got %d", MaxPageSize, w.first)
	}
	if after != nil {
		off, ok := c.offset(s, *after)
		if !ok {
			return window{}, inputErrorf("after is not a cursor of this list with this filter; take it from the same list's pageInfo.endCursor or an edge's cursor")
		}
		w.skip = off + 1
	}
	return w, nil
}

// pageInfo describes a page of n items served for w.
func pageInfo(w window, n int, hasNext bool) *model.PageInfo {
	info := &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: w.skip > 0}
	if n > 0 {
		start, end := w.cursors.cursor(w.scope, w.skip), w.cursors.cursor(w.scope, w.skip+n-1)
		info.StartCursor, info.EndCursor = &start, &end
	}
	return info
}

// cut trims a page the platform made longer than asked: the surplus is cut, and there is then
// certainly a next page.
func cut[N any](w window, nodes []N, hasNext bool) ([]N, *model.PageInfo) {
	if len(nodes) > w.first {
		nodes, hasNext = nodes[:w.first], true
	}
	return nodes, pageInfo(w, len(nodes), hasNext)
}

func itwinConnection(w window, nodes []*model.ITwin, hasNext bool) *model.ITwinConnection {
	nodes, info := cut(w, nodes, hasNext)
	edges := make([]*model.ITwinEdge, len(nodes))
	for i, n := range nodes {
		edges[i] = &model.ITwinEdge{Cursor: w.cursors.cursor(w.scope, w.skip+i), Node: n}
	}
	return &model.ITwinConnection{Edges: edges, Nodes: nodes, PageInfo: info}
}

func memberConnection(w window, nodes []*model.Member, hasNext bool) *model.MemberConnection {
	nodes, info := cut(w, nodes, hasNext)
	edges := make([]*model.MemberEdge, len(nodes))
	for i, n := range nodes {
		edges[i] = &model.MemberEdge{Cursor: w.cursors.cursor(w.scope, w.skip+i), Node: n}
	}
	return &model.MemberConnection{Edges: edges, Nodes: nodes, PageInfo: info}
}

// The iTwins lists, by the name of their field.
const (
	listITwins    = "itwins"
	listFavorites = "favoriteItwins"
	listRecents   = "recentItwins"
	listAccount   = "Account.itwins"
)

// maxFilterText bounds filter.type and filter.search: the platform documents no limit, and a
// query string should not carry a document.
const maxFilterText = 200

// itwinQuery maps a list's filter to the platform's parameters, refusing before any upstream
// call what the platform would refuse (status with includeInactive) or what the list does not
// document (favourites and recents take subClass, status, type and includeInactive only).
func itwinQuery(list string, f *model.ITwinFilter) (bentley.ITwinQuery, error) {
	var q bentley.ITwinQuery
	if f == nil {
		return q, nil
	}
	for _, s := range f.SubClass {
		q.SubClasses = append(q.SubClasses, enumToUpstream(string(s)))
	}
	if f.Status != nil {
		q.Status = enumToUpstream(string(*f.Status))
	}
	if f.IncludeInactive != nil && *f.IncludeInactive {
		if f.Status != nil {
			return q, inputErrorf("filter.status and filter.includeInactive: true cannot be combined; status alone picks the iTwins of one status")
		}
		q.IncludeInactive = true
	}
	for _, text := range []struct {
		name string
		v    *string
		dst  *string
	}{{"type", f.Type, &q.Type}, {"search", f.Search, &q.Search}} {
		if text.v == nil {
			continue
		}
		if n := len([]rune(*text.v)); n < 1 || n > maxFilterText {
			return q, inputErrorf("filter.%s must be 1 to %d characters", text.name, maxFilterText)
		}
		*text.dst = *text.v
	}
	for _, id := range []struct {
		name string
		v    *string
		dst  *string
	}{{"parentId", f.ParentID, &q.ParentID}, {"accountId", f.AccountID, &q.AccountID}} {
		if id.v == nil {
			continue
		}
		v, err := parseID("filter."+id.name, *id.v)
		if err != nil {
			return q, err
		}
		*id.dst = v
	}
	unsupported := func(name string, set bool) error {
		if set {
			return inputErrorf("%s does not support filter.%s", list, name)
		}
		return nil
	}
	switch list {
	case listFavorites, listRecents:
		for _, err := range []error{
			unsupported("search", q.Search != ""), unsupported("parentId", q.ParentID != ""), unsupported("accountId", q.AccountID != ""),
		} {
			if err != nil {
				return q, err
			}
		}
	}
	return q, nil
}
