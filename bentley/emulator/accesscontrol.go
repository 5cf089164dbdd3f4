package emulator

import (
	"net/http"
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

// GET /accesscontrol/itwins/{id}/members/users/{memberId}. The caller must be a member of the
// iTwin or an Organization Administrator of its organization. UNCONFIRMED whether a caller
// without access gets 403 or 404; 404 ItwinNotFound is the safer answer (it reveals nothing).
func (e *Emulator) getUserMember(w http.ResponseWriter, r *http.Request, caller *user) {
	t := e.data.itwinByID[strings.ToLower(r.PathValue("id"))]
	if t == nil || (t.member(caller.id) == nil && !(caller.orgAdmin && caller.org == t.org)) {
		writeError(w, http.StatusNotFound, apiError{Code: "ItwinNotFound", Message: "Requested iTwin is not available."})
		return
	}
	m := t.member(strings.ToLower(r.PathValue("memberId")))
	if m == nil {
		writeError(w, http.StatusNotFound, apiError{Code: "TeamMemberNotFound", Message: "Requested team member is not available."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"member": m.wire()})
}
