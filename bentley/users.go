package bentley

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"unicode/utf8"
)

// MaxUsersPerCall is the most ids POST /users/getbyidlist accepts in one call.
const MaxUsersPerCall = 1000

// User is a user profile. GetUser and GetUsers fill the minimal fields (id, email, givenName,
// surname, organizationName); GetMe fills the rest as well.
type User struct {
	ID               string  `json:"id"`
	Email            *string `json:"email"`
	GivenName        *string `json:"givenName"`
	Surname          *string `json:"surname"`
	OrganizationName *string `json:"organizationName"`
	DisplayName      *string `json:"displayName,omitempty"`
	AlternateEmail   *string `json:"alternateEmail,omitempty"`
	Phone            *string `json:"phone,omitempty"`
	City             *string `json:"city,omitempty"`
	Country          *string `json:"country,omitempty"`
	Language         *string `json:"language,omitempty"`
	CreatedDateTime  *string `json:"createdDateTime,omitempty"`
}

type userResponse struct {
	User *User `json:"user"`
}

func (c *Client) getUser(ctx context.Context, endpoint, path string) (*User, error) {
	req, err := c.newRequest(ctx, endpoint, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var body userResponse
	if err := c.do(req, &body); err != nil {
		return nil, err
	}
	if body.User == nil || body.User.ID == "" {
		return nil, fmt.Errorf("bentley: %s: answer has no user: %w", endpoint, ErrMalformedResponse)
	}
	return body.User, nil
}

// GetMe returns the calling user's own profile, with the extra fields only /me has.
//
// https://developer.bentley.com/apis/users/operations/me/
func (c *Client) GetMe(ctx context.Context) (*User, error) {
	return c.getUser(ctx, EndpointMe, "users/me")
}

// GetUser returns a user of the caller's organization.
//
// https://developer.bentley.com/apis/users/operations/get-user/
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	path, err := idPath(EndpointUser, "users/%s", id)
	if err != nil {
		return nil, err
	}
	return c.getUser(ctx, EndpointUser, path)
}

// GetUsers returns the users of the caller's organization among ids, at most MaxUsersPerCall
// of them. Unknown ids, and users of other organizations, are silently left out, and the
// answer's order is not the request's: match results by ID.
//
// https://developer.bentley.com/apis/users/operations/get-users-by-id-list/
func (c *Client) GetUsers(ctx context.Context, ids []string) ([]User, error) {
	if len(ids) > MaxUsersPerCall {
		return nil, fmt.Errorf("bentley: %s: %d ids, at most %d: %w", EndpointUsersByIDList, len(ids), MaxUsersPerCall, ErrTooManyIDs)
	}
	if len(ids) == 0 {
		return []User{}, nil
	}
	// Sorted, so the same set of ids is the same request: it can share an in-flight call or a
	// cached answer. The body is a bare JSON array of ids, not an object.
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	req, err := c.newRequest(ctx, EndpointUsersByIDList, http.MethodPost, "users/getbyidlist", sorted)
	if err != nil {
		return nil, err
	}
	return c.doUsers(req)
}

// doUsers sends a request answered by {"users": [...]}.
func (c *Client) doUsers(req *request) ([]User, error) {
	var body struct {
		Users *[]User `json:"users"`
	}
	if err := c.do(req, &body); err != nil {
		return nil, err
	}
	if body.Users == nil {
		return nil, fmt.Errorf("bentley: %s: answer has no users: %w", req.endpoint, ErrMalformedResponse)
	}
	return *body.Users, nil
}

// Bounds of a user search's text (in characters), as the platform enforces them.
const (
	MinSearchLength = 3
	MaxSearchLength = 200
)

// SearchUsers returns the users of the caller's organization whose name or email contains text
// (at most 1000, no paging). A service application's token belongs to no organization and finds
// nobody.
//
// https://developer.bentley.com/apis/users/operations/get-users/
func (c *Client) SearchUsers(ctx context.Context, text string) ([]User, error) {
	if n := utf8.RuneCountInString(text); n < MinSearchLength || n > MaxSearchLength {
		return nil, fmt.Errorf("bentley: %s: search text of %d characters, want %d to %d", EndpointUserSearch, n, MinSearchLength, MaxSearchLength)
	}
	req, err := c.newRequest(ctx, EndpointUserSearch, http.MethodGet, "users/?$search="+url.QueryEscape(text), nil)
	if err != nil {
		return nil, err
	}
	return c.doUsers(req)
}
