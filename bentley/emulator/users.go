package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
)

// maxIDsPerCall is the getbyidlist limit: "up to 1000 user ids".
const maxIDsPerCall = 1000

// maxRequestBody bounds what the emulator reads of a request body.
const maxRequestBody = 1 << 20

// userJSON is the minimal User of get-user, getbyidlist and search.
type userJSON struct {
	ID               string `json:"id"`
	Email            string `json:"email"`
	GivenName        string `json:"givenName"`
	Surname          string `json:"surname"`
	OrganizationName string `json:"organizationName"`
}

// meJSON is the /users/me user. The docs' example uses the email as displayName; so does this.
type meJSON struct {
	ID               string `json:"id"`
	DisplayName      string `json:"displayName"`
	GivenName        string `json:"givenName"`
	Surname          string `json:"surname"`
	Email            string `json:"email"`
	AlternateEmail   string `json:"alternateEmail"`
	Phone            string `json:"phone"`
	OrganizationName string `json:"organizationName"`
	City             string `json:"city"`
	Country          string `json:"country"`
	Language         string `json:"language"`
	CreatedDateTime  string `json:"createdDateTime"`
}

func (u *user) wire() userJSON {
	return userJSON{ID: u.id, Email: u.email, GivenName: u.given, Surname: u.surname, OrganizationName: u.org.name}
}

// visibleTo applies the Users API's rule: only users of the caller's organization, and never
// users deleted from IMS.
func (u *user) visibleTo(caller *user) bool {
	return !u.deleted && u.org == caller.org
}

// GET /users/me.
func (e *Emulator) getMe(w http.ResponseWriter, r *http.Request, caller *user) {
	writeJSON(w, http.StatusOK, map[string]any{"user": meJSON{
		ID:               caller.id,
		DisplayName:      caller.email,
		GivenName:        caller.given,
		Surname:          caller.surname,
		Email:            caller.email,
		AlternateEmail:   strings.Replace(caller.email, "@", ".alt@", 1),
		Phone:            caller.phone,
		OrganizationName: caller.org.name,
		City:             caller.city,
		Country:          caller.country,
		Language:         caller.language,
		CreatedDateTime:  caller.created,
	}})
}

// GET /users/{id}: users of the caller's organization only; anyone else is 404 UserNotFound.
func (e *Emulator) getUser(w http.ResponseWriter, r *http.Request, caller *user) {
	u := e.data.usersByID[strings.ToLower(r.PathValue("id"))]
	if u == nil || !u.visibleTo(caller) {
		writeError(w, http.StatusNotFound, apiError{Code: "UserNotFound", Message: "Requested user is not available."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u.wire()})
}

func invalidUsersRequest(detail apiDetail) apiError {
	return apiError{Code: "InvalidUsersRequest", Message: "Cannot query users.", Details: []apiDetail{detail}}
}

// POST /users/getbyidlist: a bare JSON array of ids, at most 1000. Unknown and cross-organization
// ids are silently left out. The answer's order is UNCONFIRMED upstream, so the emulator answers
// in id order, never in request order: a client that relies on the order fails its tests here.
func (e *Emulator) getUsersByIDList(w http.ResponseWriter, r *http.Request, caller *user) {
	target := "request"
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	var ids []string
	if err != nil || len(body) > maxRequestBody || json.Unmarshal(body, &ids) != nil || ids == nil {
		writeError(w, http.StatusUnprocessableEntity, invalidUsersRequest(apiDetail{
			Code: "InvalidRequestBody", Message: "The request body must be a JSON array of user Ids.", Target: &target,
		}))
		return
	}
	if len(ids) > maxIDsPerCall {
		writeError(w, http.StatusUnprocessableEntity, invalidUsersRequest(apiDetail{
			Code: "InvalidValue", Message: "The request body cannot contain more than 1000 user Ids.", Target: &target,
		}))
		return
	}
	found := map[string]*user{}
	for _, id := range ids {
		if u := e.data.usersByID[strings.ToLower(id)]; u != nil && u.visibleTo(caller) {
			found[u.id] = u
		}
	}
	out := make([]userJSON, 0, len(found))
	for _, u := range found {
		out = append(out, u.wire())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// Search text bounds of GET /users/?$search=, and the most users one search returns.
const (
	minSearch     = 3
	maxSearch     = 200
	maxSearchHits = 1000
)

// GET /users/?$search=: users of the caller's organization whose name or email contains the
// text, case-insensitively; no paging, at most 1000. A caller outside any organization (a
// service application) finds nobody.
func (e *Emulator) searchUsers(w http.ResponseWriter, r *http.Request, caller *user) {
	target := "$search"
	raw, ok := r.URL.Query()["$search"]
	switch {
	case !ok:
		writeError(w, http.StatusUnprocessableEntity, invalidUsersRequest(apiDetail{
			Code: "MissingRequiredParameter", Message: "The $search parameter is required.", Target: &target,
		}))
		return
	case len([]rune(raw[0])) < minSearch || len([]rune(raw[0])) > maxSearch:
		writeError(w, http.StatusUnprocessableEntity, invalidUsersRequest(apiDetail{
			Code: "InvalidValue", Message: "The $search parameter must be 3 to 200 characters long.", Target: &target,
		}))
		return
	}
	text := strings.ToLower(raw[0])
	out := []userJSON{}
	for _, u := range e.data.users {
		if len(out) == maxSearchHits {
			break
		}
		name := strings.ToLower(u.given + " " + u.surname)
		if u.visibleTo(caller) && (strings.Contains(name, text) || strings.Contains(strings.ToLower(u.email), text)) {
			out = append(out, u.wire())
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}
