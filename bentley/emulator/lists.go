package emulator

import (
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// The iTwins lists (section 1.3): GET /itwins/ (the caller's iTwins), /itwins/favorites and
// /itwins/recents, with their filters, paging and representations.

// iTwinsPage is the iTwins lists' paging: a default page of 100 (a live self href carries
// $top=100) and a maximum of 1000 (documented for favourites; assumed for the others, where it
// is UNCONFIRMED).
var iTwinsPage = pageLimits{def: 100, max: 1000}

// maxRecents is how many recently used iTwins the platform keeps per user.
const maxRecents = 25

// X-Max-Return caps the items reachable through paging of GET /itwins/: default 1000, 1 to 10000.
const (
	defaultMaxReturn = 1000
	maxMaxReturn     = 10000
)

var subClasses = []string{"Account", "Asset", "Portfolio", "Program", "Project", "WorkPackage"}

var statuses = []string{"Active", "Inactive", "Trial"}

// canonical returns the value of allowed that matches v case-insensitively, or "".
func canonical(allowed []string, v string) string {
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a
		}
	}
	return ""
}

// itwinFilter is a list request's filters, already validated.
type itwinFilter struct {
	subClasses      map[string]bool
	status          string
	includeInactive bool
	typ             *string
	number          *string
	displayName     *string
	parentID        string
	accountID       string
	search          *string
}

const invalidITwins = "InvalidiTwinsRequest"

// parseITwinFilter validates the filters of an iTwins list; it writes the 422 and reports false
// on a bad one. Parameters the list does not document are ignored, as a web API ignores
// unknown query parameters.
func parseITwinFilter(w http.ResponseWriter, r *http.Request, all bool) (itwinFilter, bool) {
	q := r.URL.Query()
	var f itwinFilter
	fail := func(target, message string) (itwinFilter, bool) {
		writeError(w, http.StatusUnprocessableEntity, invalidQuery(invalidITwins, target, message))
		return itwinFilter{}, false
	}
	if raw := q.Get("subClass"); raw != "" {
		f.subClasses = map[string]bool{}
		for _, v := range strings.Split(raw, ",") {
			c := canonical(subClasses, strings.TrimSpace(v))
			if c == "" {
				return fail("subClass", "Invalid subClass value.")
			}
			f.subClasses[c] = true
		}
	}
	if raw, ok := q["status"]; ok {
		if f.status = canonical(statuses, raw[0]); f.status == "" {
			return fail("status", "Invalid status value.")
		}
	}
	inactive, present, ok := boolParam(q, "includeInactive")
	if !ok {
		return fail("includeInactive", "Invalid includeInactive value.")
	}
	if present && f.status != "" {
		return fail("includeInactive", "The status and includeInactive parameters cannot be used together.")
	}
	f.includeInactive = inactive
	if v, ok := q["type"]; ok {
		f.typ = &v[0]
	}
	if !all {
		return f, true
	}
	if v, ok := q["$search"]; ok {
		f.search = &v[0]
	}
	for name, dst := range map[string]**string{"number": &f.number, "displayName": &f.displayName} {
		if v, ok := q[name]; ok {
			if f.search != nil {
				return fail(name, "The "+name+" parameter cannot be used with $search.")
			}
			*dst = &v[0]
		}
	}
	f.parentID = strings.ToLower(q.Get("parentId"))
	f.accountID = strings.ToLower(q.Get("iTwinAccountId"))
	return f, true
}

// keeps reports whether an iTwin passes the filters. Inactive iTwins are hidden unless a status
// or includeInactive asks for them.
func (f itwinFilter) keeps(t *itwin) bool {
	switch {
	case f.status != "" && t.status != f.status:
		return false
	case f.status == "" && !f.includeInactive && t.status == "Inactive":
		return false
	case f.subClasses != nil && !f.subClasses[t.subClass]:
		return false
	case f.typ != nil && (t.typ == nil || *t.typ != *f.typ):
		return false
	case f.number != nil && t.number != *f.number:
		return false
	case f.displayName != nil && t.displayName != *f.displayName:
		return false
	case f.parentID != "" && (t.parentID == nil || *t.parentID != f.parentID):
		return false
	case f.accountID != "" && t.accountID != f.accountID:
		return false
	case f.search != nil && !strings.Contains(t.number, *f.search) && !strings.Contains(t.displayName, *f.search):
		// $search is a case-sensitive substring of number or displayName, without wildcards.
		return false
	}
	return true
}

// GET /itwins/: the iTwins the caller is a member of, and the Accounts of its organization.
func (e *Emulator) listITwins(w http.ResponseWriter, r *http.Request, caller *user) {
	maxReturn := defaultMaxReturn
	if raw := r.Header.Get("X-Max-Return"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxMaxReturn {
			writeError(w, http.StatusUnprocessableEntity, invalidQuery(invalidITwins, "X-Max-Return", "Value outside of valid range."))
			return
		}
		maxReturn = n
	}
	var visible []*itwin
	for _, t := range e.data.itwins {
		if caller.sees(t) {
			visible = append(visible, t)
		}
	}
	w.Header().Set("X-Max-Return", strconv.Itoa(maxReturn))
	e.serveITwins(w, r, visible, true, maxReturn)
}

// GET /itwins/favorites: the caller's favourite iTwins.
func (e *Emulator) listFavorites(w http.ResponseWriter, r *http.Request, caller *user) {
	var out []*itwin
	for _, t := range e.data.itwins {
		if caller.sees(t) && affinity(caller, t)%3 == 0 {
			out = append(out, t)
		}
	}
	e.serveITwins(w, r, out, false, 0)
}

// GET /itwins/recents: the iTwins the caller used last, most recent first, at most 25.
func (e *Emulator) listRecents(w http.ResponseWriter, r *http.Request, caller *user) {
	var used []*itwin
	for _, t := range e.data.itwins {
		if caller.sees(t) && t.class != "Account" {
			used = append(used, t)
		}
	}
	// A demo user's "last used" times are a fixed function of user and iTwin.
	sort.SliceStable(used, func(i, j int) bool { return affinity(caller, used[i]) > affinity(caller, used[j]) })
	e.serveITwins(w, r, used[:min(len(used), maxRecents)], false, 0)
}

// affinity is a fixed pseudo-random number per user and iTwin, from which the demo derives
// favourites and recent use.
func affinity(u *user, t *itwin) uint32 {
	sum := sha256.Sum256([]byte(u.id + "/" + t.id))
	return binary.BigEndian.Uint32(sum[:4])
}

// serveITwins filters, pages and answers one of the iTwins lists, in the representation the
// request prefers: the summary unless Prefer asks for return=representation.
func (e *Emulator) serveITwins(w http.ResponseWriter, r *http.Request, list []*itwin, all bool, maxReturn int) {
	filter, ok := parseITwinFilter(w, r, all)
	if !ok {
		return
	}
	p, ok := parsePage(w, r, iTwinsPage, invalidITwins)
	if !ok {
		return
	}
	var kept []*itwin
	for _, t := range list {
		if filter.keeps(t) {
			kept = append(kept, t)
		}
	}
	if maxReturn > 0 && len(kept) > maxReturn {
		kept = kept[:maxReturn] // paging past X-Max-Return finds no more items, and no error
	}
	start, end, more := e.window(p, len(kept))
	full := prefers(r, "representation")
	items := make([]any, 0, end-start)
	for _, t := range kept[start:end] {
		items = append(items, e.wireITwin(t, full))
	}
	writeJSON(w, http.StatusOK, map[string]any{"iTwins": items, "_links": links(r, p, end-start, more)})
}
