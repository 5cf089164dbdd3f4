package bentley

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// MaxPageSize is the largest $top the iTwins lists document (favourites: at most 1000).
const MaxPageSize = 1000

// ITwinQuery selects one page of an iTwins list. Empty strings and a nil SubClasses leave a
// filter out. The platform refuses Status together with IncludeInactive (422), and the favourites
// and recents lists document only SubClasses, Status, Type and IncludeInactive.
type ITwinQuery struct {
	SubClasses      []string // platform spelling: "Asset", "WorkPackage"
	Status          string   // "Active", "Inactive" or "Trial"
	Type            string
	Search          string // a case-sensitive substring of number or displayName
	IncludeInactive bool
	ParentID        string
	AccountID       string
	// Top and Skip page the list; Top 0 leaves the platform's default (100).
	Top, Skip int
	// Full asks for the full representation instead of the summary.
	Full bool
}

// ITwinPage is one page of an iTwins list.
type ITwinPage struct {
	ITwins []ITwin
	// HasNext says the platform linked a next page. It may serve fewer items than Top asked,
	// so a short page does not mean the last one.
	HasNext bool
}

// MemberPage is one page of an iTwin's user members.
type MemberPage struct {
	Members []Member
	HasNext bool
}

// links is the HAL-style "_links" of a list answer. Only self is guaranteed; next is omitted on
// the last page. Hrefs are opaque: the client pages with $skip/$top itself.
type links struct {
	Next *struct {
		Href string `json:"href"`
	} `json:"next"`
}

func (l links) hasNext() bool { return l.Next != nil && l.Next.Href != "" }

// pageQuery renders $top and $skip (with "$" as it is, the way the platform writes its own
// hrefs) ahead of the other parameters.
func pageQuery(top, skip int, rest url.Values) string {
	var b strings.Builder
	if top > 0 {
		b.WriteString("$top=" + strconv.Itoa(top))
	}
	if skip > 0 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString("$skip=" + strconv.Itoa(skip))
	}
	if enc := rest.Encode(); enc != "" {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(enc)
	}
	if b.Len() == 0 {
		return ""
	}
	return "?" + b.String()
}

func (q ITwinQuery) values() url.Values {
	v := url.Values{}
	set := func(name, value string) {
		if value != "" {
			v.Set(name, value)
		}
	}
	set("subClass", strings.Join(q.SubClasses, ","))
	set("status", q.Status)
	set("type", q.Type)
	set("$search", q.Search)
	set("parentId", q.ParentID)
	set("iTwinAccountId", q.AccountID)
	if q.IncludeInactive {
		v.Set("includeInactive", "true")
	}
	return v
}

// listITwins reads one page of one of the iTwins lists.
func (c *Client) listITwins(ctx context.Context, endpoint, path string, q ITwinQuery) (*ITwinPage, error) {
	if q.Top < 0 || q.Top > MaxPageSize || q.Skip < 0 {
		return nil, fmt.Errorf("bentley: %s: $top %d or $skip %d out of range", endpoint, q.Top, q.Skip)
	}
	req, err := c.newRequest(ctx, endpoint, http.MethodGet, path+pageQuery(q.Top, q.Skip, q.values()), nil)
	if err != nil {
		return nil, err
	}
	if q.Full {
		req.Header["Prefer"] = preferFull
	} else {
		req.Header["Prefer"] = preferMinimal
	}
	var body struct {
		ITwins *[]ITwin `json:"iTwins"`
		Links  links    `json:"_links"`
	}
	if err := c.do(req, &body); err != nil {
		return nil, err
	}
	if body.ITwins == nil {
		return nil, fmt.Errorf("bentley: %s: answer has no iTwins: %w", endpoint, ErrMalformedResponse)
	}
	for _, t := range *body.ITwins {
		if t.ID == "" {
			return nil, fmt.Errorf("bentley: %s: an iTwin has no id: %w", endpoint, ErrMalformedResponse)
		}
	}
	return &ITwinPage{ITwins: *body.ITwins, HasNext: body.Links.hasNext()}, nil
}

// ListITwins returns a page of the iTwins the caller is a member of.
//
// https://developer.bentley.com/apis/itwins/operations/get-my-itwins/
func (c *Client) ListITwins(ctx context.Context, q ITwinQuery) (*ITwinPage, error) {
	return c.listITwins(ctx, EndpointITwins, "itwins/", q)
}

// ListFavoriteITwins returns a page of the caller's favourite iTwins.
//
// https://developer.bentley.com/apis/itwins/operations/get-my-favorite-itwins/
func (c *Client) ListFavoriteITwins(ctx context.Context, q ITwinQuery) (*ITwinPage, error) {
	return c.listITwins(ctx, EndpointFavorites, "itwins/favorites", q)
}

// ListRecentITwins returns a page of the iTwins the caller used last (at most 25, most recent
// first).
//
// https://developer.bentley.com/apis/itwins/operations/get-my-recently-used-itwins/
func (c *Client) ListRecentITwins(ctx context.Context, q ITwinQuery) (*ITwinPage, error) {
	return c.listITwins(ctx, EndpointRecents, "itwins/recents", q)
}
