package emulator

import (
	"net/http"
	"slices"
	"strings"
)

// userMember is the Access Control v2 user member. For a user deleted from IMS every profile
// field is null (the "Missing Users" section of the get-itwin-user-member page).
type userMember struct {
	ID           string       `json:"id"`
	Email        *string      `json:"email"`
	GivenName    *string      `json:"givenName"`
	Surname      *string      `json:"surname"`
	Organization *string      `json:"organization"`
	Roles        []memberRole `json:"roles"`
}

// memberRole follows the Role schema of the get-itwin-user-member page. Sources disagree on
// whether member roles carry permissions; this emulator sends them, and the client treats
// everything but id and displayName as optional.
type memberRole struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

func (m *membership) wire() userMember {
	out := userMember{ID: m.user.id, Roles: make([]memberRole, 0, len(m.roles))}
	if !m.user.deleted {
		out.Email = &m.user.email
		out.GivenName = &m.user.given
		out.Surname = &m.user.surname
		out.Organization = &m.user.org.name
	}
	for _, r := range m.roles {
		out.Roles = append(out.Roles, memberRole{ID: r.id, DisplayName: r.displayName, Description: r.description, Permissions: r.permissions})
	}
	return out
}

var itwinNotFoundAC = apiError{Code: "ItwinNotFound", Message: "Requested iTwin is not available."}

// accessibleITwin finds an iTwin whose Access Control data the caller may read: it must be a
// member of the iTwin or an Organization Administrator of its organization. UNCONFIRMED whether a
// caller without access gets 403 or 404; 404 ItwinNotFound is the safer answer (it reveals
// nothing), so such an iTwin is reported exactly like one that does not exist.
func (e *Emulator) accessibleITwin(w http.ResponseWriter, r *http.Request, caller *user) *itwin {
	t := e.data.itwinByID[strings.ToLower(r.PathValue("id"))]
	if t == nil || (t.member(caller.id) == nil && !(caller.orgAdmin && caller.org == t.org)) {
		writeError(w, http.StatusNotFound, itwinNotFoundAC)
		return nil
	}
	return t
}

// GET /accesscontrol/itwins/{id}/members/users/{memberId}; memberId is the user id.
func (e *Emulator) getUserMember(w http.ResponseWriter, r *http.Request, caller *user) {
	t := e.accessibleITwin(w, r, caller)
	if t == nil {
		return
	}
	m := t.member(strings.ToLower(r.PathValue("memberId")))
	if m == nil {
		writeError(w, http.StatusNotFound, apiError{Code: "TeamMemberNotFound", Message: "Requested team member is not available."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"member": m.wire()})
}

// membersPage is the member lists' paging. The examples use $top=100, which looks like the
// default; the maximum is UNCONFIRMED, and 1000 (the iTwins lists' maximum) is assumed.
var membersPage = pageLimits{def: 100, max: 1000}

// GET /accesscontrol/itwins/{id}/members/users: the iTwin's user members, paged, in the order
// they joined.
func (e *Emulator) listUserMembers(w http.ResponseWriter, r *http.Request, caller *user) {
	t := e.accessibleITwin(w, r, caller)
	if t == nil {
		return
	}
	p, ok := parsePage(w, r, membersPage, "InvalidiTwinsMemberRequest")
	if !ok {
		return
	}
	start, end, more := e.window(p, len(t.members))
	out := make([]userMember, 0, end-start)
	for _, m := range t.members[start:end] {
		out = append(out, m.wire())
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": out, "_links": links(r, p, end-start, more)})
}

// roleJSON is the Role of GET .../roles. The role "type" (Custom or Default) that ACC added in
// 2026 is not on the portal pages read, so it is not sent.
type roleJSON struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

// permissionsOf is the caller's permissions on an iTwin: those of its roles there, or every
// permission for an Organization Administrator of the iTwin's organization.
func (e *Emulator) permissionsOf(caller *user, t *itwin) []string {
	set := map[string]bool{}
	if caller.orgAdmin && caller.org == t.org {
		for _, r := range e.data.itwinByID[t.accountID].roles {
			for _, p := range r.permissions {
				set[p] = true
			}
		}
	}
	if m := t.member(caller.id); m != nil {
		for _, r := range m.roles {
			for _, p := range r.permissions {
				set[p] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// GET /accesscontrol/itwins/{id}/roles: the roles assignable on the iTwin, those of its Account.
// Reading them needs administration_manage_roles (or Org Admin): other members get 403.
func (e *Emulator) listRoles(w http.ResponseWriter, r *http.Request, caller *user) {
	t := e.accessibleITwin(w, r, caller)
	if t == nil {
		return
	}
	if !slices.Contains(e.permissionsOf(caller, t), "administration_manage_roles") {
		writeError(w, http.StatusForbidden, apiError{
			Code: "InsufficientPermissions", Message: "The user has insufficient permissions for the requested operation.",
		})
		return
	}
	account := e.data.itwinByID[t.accountID]
	out := make([]roleJSON, 0, len(account.roles))
	for _, ro := range account.roles {
		out = append(out, roleJSON{ID: ro.id, DisplayName: ro.displayName, Description: ro.description, Permissions: ro.permissions})
	}
	writeJSON(w, http.StatusOK, map[string]any{"roles": out})
}

// GET /accesscontrol/itwins/{id}/permissions: the caller's own permissions on the iTwin.
func (e *Emulator) myPermissions(w http.ResponseWriter, r *http.Request, caller *user) {
	t := e.accessibleITwin(w, r, caller)
	if t == nil {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"permissions": e.permissionsOf(caller, t)})
}
