package bentley

import (
	"context"
	"fmt"
	"net/http"
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
	path, err := idPath(EndpointUserMember, "accesscontrol/itwins/%s/members/users/%s", itwinID, memberID)
	if err != nil {
		return nil, err
	}
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

// ListUserMembers returns a page of an iTwin's user members: top of them (0 leaves the
// platform's default, 100) after skipping skip.
//
// https://developer.bentley.com/apis/access-control-v2/operations/get-itwin-user-members/
func (c *Client) ListUserMembers(ctx context.Context, itwinID string, top, skip int) (*MemberPage, error) {
	if top < 0 || top > MaxPageSize || skip < 0 {
		return nil, fmt.Errorf("bentley: %s: $top %d or $skip %d out of range", EndpointUserMembers, top, skip)
	}
	path, err := idPath(EndpointUserMembers, "accesscontrol/itwins/%s/members/users", itwinID)
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, EndpointUserMembers, http.MethodGet, path+pageQuery(top, skip, nil), nil)
	if err != nil {
		return nil, err
	}
	var body struct {
		Members *[]Member `json:"members"`
		Links   links     `json:"_links"`
	}
	if err := c.do(req, &body); err != nil {
		return nil, err
	}
	if body.Members == nil {
		return nil, fmt.Errorf("bentley: %s: answer has no members: %w", EndpointUserMembers, ErrMalformedResponse)
	}
	for _, m := range *body.Members {
		if m.ID == "" {
			return nil, fmt.Errorf("bentley: %s: a member has no id: %w", EndpointUserMembers, ErrMalformedResponse)
		}
	}
	return &MemberPage{Members: *body.Members, HasNext: body.Links.hasNext()}, nil
}

// GetRoles returns the roles that can be assigned on an iTwin. The platform answers 403 to a
// caller without the administration_manage_roles permission.
//
// https://developer.bentley.com/apis/access-control-v2/operations/get-itwin-roles/
func (c *Client) GetRoles(ctx context.Context, itwinID string) ([]Role, error) {
	path, err := idPath(EndpointRoles, "accesscontrol/itwins/%s/roles", itwinID)
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, EndpointRoles, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var body struct {
		Roles *[]Role `json:"roles"`
	}
	if err := c.do(req, &body); err != nil {
		return nil, err
	}
	if body.Roles == nil {
		return nil, fmt.Errorf("bentley: %s: answer has no roles: %w", EndpointRoles, ErrMalformedResponse)
	}
	return *body.Roles, nil
}

// GetMyPermissions returns the caller's own permissions on an iTwin.
//
// https://developer.bentley.com/apis/access-control-v2/operations/get-itwin-permissions/
func (c *Client) GetMyPermissions(ctx context.Context, itwinID string) ([]string, error) {
	path, err := idPath(EndpointPermissions, "accesscontrol/itwins/%s/permissions", itwinID)
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, EndpointPermissions, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var body struct {
		Permissions *[]string `json:"permissions"`
	}
	if err := c.do(req, &body); err != nil {
		return nil, err
	}
	if body.Permissions == nil {
		return nil, fmt.Errorf("bentley: %s: answer has no permissions: %w", EndpointPermissions, ErrMalformedResponse)
	}
	return *body.Permissions, nil
}
