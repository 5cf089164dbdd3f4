package emulator

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Paging follows section 0.5 of the contract: $top and $skip ($skip applied first), answers
// carrying "_links" with absolute hrefs that repeat the query, "prev" when $skip > 0 and "next"
// only while more items remain (omitted, not null, on the last page). No total count.

// pageLimits are one list's default and maximum $top.
type pageLimits struct {
	def, max int
}

// page is the slice of a list one request asked for.
type page struct {
	top, skip int
}

// parsePage reads $top and $skip. A value that is not a whole number in range is answered with
// 422 and the list's error code, the detail naming the parameter, as the platform does.
func parsePage(w http.ResponseWriter, r *http.Request, lim pageLimits, code string) (page, bool) {
	p := page{top: lim.def}
	q := r.URL.Query()
	for _, param := range []struct {
		name     string
		dst      *int
		min, max int
	}{{"$top", &p.top, 1, lim.max}, {"$skip", &p.skip, 0, 1 << 30}} {
		raw, ok := q[param.name]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(raw[0])
		if err != nil || n < param.min || n > param.max {
			writeError(w, http.StatusUnprocessableEntity, invalidQuery(code, param.name, "Value outside of valid range."))
			return page{}, false
		}
		*param.dst = n
	}
	return p, true
}

// invalidQuery is a 422 about one query parameter.
func invalidQuery(code, target, message string) apiError {
	return apiError{
		Code:    code,
		Message: "Request body or query is invalid.",
		Details: []apiDetail{{Code: "InvalidValue", Message: message, Target: &target}},
	}
}

// window cuts one page out of n items: the items' start and end, and whether more remain.
// The emulator may serve fewer items than $top asks (SetMaxPageSize), as the platform may.
func (e *Emulator) window(p page, n int) (start, end int, more bool) {
	e.mu.Lock()
	size := p.top
	if e.maxPage > 0 {
		size = min(size, e.maxPage)
	}
	e.mu.Unlock()
	start = min(p.skip, n)
	end = min(start+size, n)
	return start, end, end < n
}

// links builds the "_links" of a page: self, prev when the page is not the first, next when more
// items remain. The next page starts right after the items served, whatever $top asked.
func links(r *http.Request, p page, served int, more bool) map[string]any {
	href := func(skip, top int) map[string]string {
		rest := url.Values{}
		for k, v := range r.URL.Query() {
			if k != "$top" && k != "$skip" {
				rest[k] = v
			}
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		// "$" is left as it is, as in the platform's own hrefs ("?$skip=0&$top=100&subClass=Project").
		query := "$skip=" + strconv.Itoa(skip) + "&$top=" + strconv.Itoa(top)
		if len(rest) > 0 {
			query += "&" + rest.Encode()
		}
		return map[string]string{"href": scheme + "://" + r.Host + r.URL.Path + "?" + query}
	}
	out := map[string]any{"self": href(p.skip, p.top)}
	if p.skip > 0 {
		out["prev"] = href(max(p.skip-p.top, 0), p.top)
	}
	if more {
		out["next"] = href(p.skip+served, p.top)
	}
	return out
}

// SetMaxPageSize makes every list serve at most n items a page, fewer than $top may ask, as the
// platform may; 0 restores the requested sizes.
func (e *Emulator) SetMaxPageSize(n int) {
	e.mu.Lock()
	e.maxPage = max(n, 0)
	e.mu.Unlock()
}

// boolParam reads a true/false query parameter; ok is false when it is present but neither.
func boolParam(q url.Values, name string) (v, present, ok bool) {
	raw, present := q[name]
	if !present {
		return false, false, true
	}
	switch strings.ToLower(raw[0]) {
	case "true":
		return true, true, true
	case "false":
		return false, true, true
	}
	return false, true, false
}
