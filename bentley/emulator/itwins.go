package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
)

// itwinSummary is the minimal representation: "only id, class, subClass, type, number and
// displayName", yet the same summary schema also lists status (get-my-primary-account,
// get-itwin-account), so the emulator sends it: clients must cope with either.
type itwinSummary struct {
	ID          string  `json:"id"`
	Class       string  `json:"class"`
	SubClass    string  `json:"subClass"`
	Type        *string `json:"type"`
	Number      string  `json:"number"`
	DisplayName string  `json:"displayName"`
	Status      string  `json:"status"`
}

// itwinFull is the full representation (Prefer: return=representation).
type itwinFull struct {
	itwinSummary
	DataCenterLocation   string   `json:"dataCenterLocation"`
	ParentID             *string  `json:"parentId"`
	ITwinAccountID       string   `json:"iTwinAccountId"`
	GeographicLocation   *string  `json:"geographicLocation"`
	Latitude             *float64 `json:"latitude"`
	Longitude            *float64 `json:"longitude"`
	IANATimeZone         *string  `json:"ianaTimeZone"`
	ImageName            *string  `json:"imageName"`
	Image                *string  `json:"image"`
	CreatedDateTime      string   `json:"createdDateTime"`
	CreatedBy            *string  `json:"createdBy"`
	LastModifiedDateTime string   `json:"lastModifiedDateTime"`
	LastModifiedBy       *string  `json:"lastModifiedBy"`
}

func (t *itwin) summary() itwinSummary {
	return itwinSummary{ID: t.id, Class: t.class, SubClass: t.subClass, Type: t.typ, Number: t.number, DisplayName: t.displayName, Status: t.status}
}

func (t *itwin) full() itwinFull {
	return itwinFull{
		itwinSummary:         t.summary(),
		DataCenterLocation:   t.dataCenter,
		ParentID:             t.parentID,
		ITwinAccountID:       t.accountID,
		GeographicLocation:   t.geographic,
		Latitude:             t.latitude,
		Longitude:            t.longitude,
		IANATimeZone:         t.timeZone,
		CreatedDateTime:      t.created,
		CreatedBy:            userID(t.createdBy),
		LastModifiedDateTime: t.lastModified,
		LastModifiedBy:       userID(t.lastModifedBy),
	}
}

func userID(u *user) *string {
	if u == nil {
		return nil
	}
	return &u.id
}

// represent answers {"iTwin": ...} in the representation the request prefers.
func (e *Emulator) represent(w http.ResponseWriter, t *itwin, full bool) {
	writeJSON(w, http.StatusOK, map[string]any{"iTwin": e.wireITwin(t, full)})
}

// wireITwin is an iTwin's JSON in one representation, with any OverrideITwin fields applied.
func (e *Emulator) wireITwin(t *itwin, full bool) any {
	var v any = t.summary()
	if full {
		v = t.full()
	}
	e.mu.Lock()
	override := e.overrides[t.id]
	e.mu.Unlock()
	if override == nil {
		return v
	}
	raw, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	for k, val := range override {
		if _, ok := m[k]; ok {
			m[k] = val
		}
	}
	return m
}

// OverrideITwin replaces fields of an iTwin's JSON in every answer that carries them, with values
// the dataset would never hold: a subClass the platform adds tomorrow, a date in a form nobody
// documented. Tests use it to show that clients survive such answers.
func (e *Emulator) OverrideITwin(id string, fields map[string]any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.overrides == nil {
		e.overrides = map[string]map[string]any{}
	}
	e.overrides[strings.ToLower(id)] = fields
}

// prefers reports whether the Prefer header asks for the given return mode.
func prefers(r *http.Request, mode string) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), "return="+mode) {
				return true
			}
		}
	}
	return false
}

// sees applies the iTwins API's visibility rule: callers see the iTwins they are members
// of, and every Account iTwin their organization owns.
func (u *user) sees(t *itwin) bool {
	if t.class == "Account" && t.org == u.org {
		return true
	}
	return t.member(u.id) != nil
}

var iTwinNotFound = apiError{Code: "iTwinNotFound", Message: "Requested iTwin is not available."}

// lookupITwin finds an iTwin the caller may see. An iTwin that exists but is hidden from
// the caller is reported exactly like one that does not exist, so ids cannot be probed.
func (e *Emulator) lookupITwin(id string, caller *user) *itwin {
	t := e.data.itwinByID[strings.ToLower(id)]
	if t == nil || !caller.sees(t) {
		return nil
	}
	return t
}

// GET /itwins/myprimaryaccount: the primary Account of the caller's organization. The page
// documents the summary; Prefer: return=representation is honoured as on the other reads.
func (e *Emulator) getMyPrimaryAccount(w http.ResponseWriter, r *http.Request, caller *user) {
	e.represent(w, caller.org.accounts[0], prefers(r, "representation"))
}

// GET /itwins/{id}. UNCONFIRMED whether return=minimal trims this response: the docs show the
// full representation, so that is the default and only an explicit return=minimal trims it.
func (e *Emulator) getITwin(w http.ResponseWriter, r *http.Request, caller *user) {
	t := e.lookupITwin(r.PathValue("id"), caller)
	if t == nil {
		writeError(w, http.StatusNotFound, iTwinNotFound)
		return
	}
	e.represent(w, t, !prefers(r, "minimal"))
}

// GET /itwins/{id}/account: the Account owning the iTwin; summary unless representation is asked.
func (e *Emulator) getITwinAccount(w http.ResponseWriter, r *http.Request, caller *user) {
	t := e.lookupITwin(r.PathValue("id"), caller)
	if t == nil {
		writeError(w, http.StatusNotFound, iTwinNotFound)
		return
	}
	e.represent(w, e.data.itwinByID[t.accountID], prefers(r, "representation"))
}
