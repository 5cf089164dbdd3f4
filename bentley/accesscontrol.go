package bentley

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Member is a user member of an iTwin (Access Control v2). Its ID is the member's IMS user id.
// For a user deleted from IMS the profile fields are nil.
type Member struct {
	ID           string  `json:"id"`
	Email        *string `json:"email"`
	GivenName    *string `json:"givenName"`
	Surname      *string `json:"surname"`
	Organization *string `json:"organization"`
	Roles        []Role  `json:"roles"`
}

// Role is a role assigned to a member. Sources disagree on which fields a member's roles carry:
// only ID and DisplayName are certain.
type Role struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Description *string  `json:"description,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
	Type        *string  `json:"type,omitempty"`
}

// GetUserMember returns one user member of an iTwin; memberID is the user's id.
//
// https://developer.bentley.com/apis/access-control-v2/operations/get-itwin-user-member/
func (c *Client) GetUserMember(ctx context.Context, itwinID, memberID string) (*Member, error) {
	path := "accesscontrol/itwins/" + url.PathEscape(itwinID) + "/members/users/" + url.PathEscape(memberID)
	req, err := c.newRequest(ctx, EndpointUserMember, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var body struct {
		Member *Member `json:"member"`
	}
	if err := c.do(req, &body); err != nil {
		return nil, err
	}
	if body.Member == nil || body.Member.ID == "" {
		return nil, fmt.Errorf("bentley: %s: answer has no member: %w", EndpointUserMember, ErrMalformedResponse)
	}
	return body.Member, nil
}
