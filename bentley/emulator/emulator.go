// Package emulator is an in-memory iTwin Platform: the iTwins, Access Control (v2) and Users
// REST APIs, served by an http.Handler from a deterministic demo dataset.
//
// It is the gateway's embedded default upstream and the upstream of every test. It follows the
// wire contract Bentley's API reference documents (https://developer.bentley.com/apis/) on its own terms: it shares no Go types with the
// bentley client, so a mistake on either side of the wire shows up as a failing test.
//
// Tests and benchmarks steer it through knobs: injected latency, injected faults and
// per-endpoint request counters with a timed request log.
package emulator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Endpoint names, used by counters, the request log and fault rules.
const (
	EndpointMyPrimaryAccount = "itwins.myprimaryaccount"
	EndpointITwin            = "itwins.get"
	EndpointITwinAccount     = "itwins.account"
	EndpointUserMember       = "accesscontrol.member"
	EndpointMe               = "users.me"
	EndpointUser             = "users.get"
	EndpointUsersByIDList    = "users.getbyidlist"
	EndpointITwins           = "itwins.list"
	EndpointFavorites        = "itwins.favorites"
	EndpointRecents          = "itwins.recents"
	EndpointUserMembers      = "accesscontrol.members"
	EndpointRoles            = "accesscontrol.roles"
	EndpointPermissions      = "accesscontrol.permissions"
	EndpointUserSearch       = "users.search"
)

// Media types the platform versions its APIs by (the Accept header).
const (
	mediaV1 = "application/vnd.bentley.itwin-platform.v1+json"
	mediaV2 = "application/vnd.bentley.itwin-platform.v2+json"
)

// maxLogEntries bounds the request log so an emulator embedded in a long-running gateway
// does not grow without limit.
const maxLogEntries = 10000

// Request is one entry of the emulator's request log.
type Request struct {
	Endpoint string
	Method   string
	Path     string
	// Query is the raw query string, with the filters and paging a client sent.
	Query string
	// Prefer is the Prefer header (return=minimal or return=representation), if any.
	Prefer string
	// Caller is the id of the authenticated user, empty when authentication failed.
	Caller string
	Status int
	Start  time.Time
	End    time.Time
	// TraceParent is the W3C traceparent header the request carried, if any.
	TraceParent string
	// Baggage is the W3C baggage header the request carried, if any.
	Baggage string
}

// Emulator serves the emulated platform. The zero value is not usable; call New.
type Emulator struct {
	data *dataset
	mux  *http.ServeMux
	// closing is closed by Close, releasing requests held by a hang fault.
	closing   chan struct{}
	closeOnce sync.Once

	mu            sync.Mutex
	latency       time.Duration
	faults        []*faultRule
	counts        map[string]int
	log           []Request
	tokenLifetime time.Duration
	issued        map[string]issuedToken
	maxPage       int                       // SetMaxPageSize; 0: pages as large as asked
	overrides     map[string]map[string]any // OverrideITwin, by iTwin id
}

// New returns an emulator seeded with the demo dataset.
func New() *Emulator {
	e := &Emulator{
		data:          seed(),
		closing:       make(chan struct{}),
		counts:        map[string]int{},
		tokenLifetime: DefaultTokenLifetime,
		issued:        map[string]issuedToken{},
	}
	e.mux = http.NewServeMux()
	e.route("GET /itwins/myprimaryaccount", EndpointMyPrimaryAccount, mediaV1, e.getMyPrimaryAccount)
	e.route("GET /itwins/{$}", EndpointITwins, mediaV1, e.listITwins)
	e.route("GET /itwins", EndpointITwins, mediaV1, e.listITwins)
	e.route("GET /itwins/favorites", EndpointFavorites, mediaV1, e.listFavorites)
	e.route("GET /itwins/recents", EndpointRecents, mediaV1, e.listRecents)
	e.route("GET /itwins/{id}", EndpointITwin, mediaV1, e.getITwin)
	e.route("GET /itwins/{id}/account", EndpointITwinAccount, mediaV1, e.getITwinAccount)
	e.route("GET /accesscontrol/itwins/{id}/members/users/{memberId}", EndpointUserMember, mediaV2, e.getUserMember)
	e.route("GET /accesscontrol/itwins/{id}/members/users", EndpointUserMembers, mediaV2, e.listUserMembers)
	e.route("GET /accesscontrol/itwins/{id}/roles", EndpointRoles, mediaV2, e.listRoles)
	e.route("GET /accesscontrol/itwins/{id}/permissions", EndpointPermissions, mediaV2, e.myPermissions)
	e.route("GET /users/me", EndpointMe, mediaV1, e.getMe)
	e.route("GET /users/{id}", EndpointUser, mediaV1, e.getUser)
	e.route("POST /users/getbyidlist", EndpointUsersByIDList, mediaV1, e.getUsersByIDList)
	e.route("GET /users/{$}", EndpointUserSearch, mediaV1, e.searchUsers)
	e.route("GET /users", EndpointUserSearch, mediaV1, e.searchUsers)
	e.mux.HandleFunc("POST /connect/token", e.observed(EndpointToken, e.issueToken))
	e.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, operationNotFound)
	})
	return e
}

// SetLatency makes every later request wait d before it is answered, as a distant platform would.
func (e *Emulator) SetLatency(d time.Duration) {
	e.mu.Lock()
	e.latency = d
	e.mu.Unlock()
}

// Calls reports how many requests reached an endpoint since the last Reset, faulted ones included.
func (e *Emulator) Calls(endpoint string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts[endpoint]
}

// TotalCalls reports how many requests reached any endpoint since the last Reset.
func (e *Emulator) TotalCalls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.counts {
		n += c
	}
	return n
}

// Requests returns a copy of the request log (the latest entries, oldest first).
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Request(nil), e.log...)
}

// Rounds reads upstream round trips off a request log: the length of the longest chain of
// requests each of which started only after the one before it had finished. Requests that did
// not wait for each other overlap and count as one round. With a latency (SetLatency) well above
// the client's own work between calls, this is how many times the client waited on the platform.
func Rounds(log []Request) int {
	log = append([]Request(nil), log...)
	sort.Slice(log, func(i, j int) bool { return log[i].Start.Before(log[j].Start) })
	depth := make([]int, len(log))
	most := 0
	for i := range log {
		depth[i] = 1
		for j := 0; j < i; j++ {
			if !log[j].End.After(log[i].Start) {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		most = max(most, depth[i])
	}
	return most
}

// Reset clears counters, the request log, faults, overrides and the page size cap; latency
// stays as it is.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts = map[string]int{}
	e.log = nil
	e.faults = nil
	e.overrides = nil
	e.maxPage = 0
}

// Close releases every request held by a hang fault. The emulator keeps serving afterwards.
func (e *Emulator) Close() {
	e.closeOnce.Do(func() { close(e.closing) })
}

// ServeHTTP answers one platform request.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mux.ServeHTTP(w, r)
}

// handlerFunc serves an authenticated request for the given caller.
type handlerFunc func(w http.ResponseWriter, r *http.Request, caller *user)

// route registers one operation behind the platform's common gate: request log and counter,
// latency, faults, authentication, then the Accept version check.
func (e *Emulator) route(pattern, endpoint, media string, h handlerFunc) {
	e.mux.HandleFunc(pattern, e.observed(endpoint, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-correlation-id", correlationID())
		caller, ok := e.authenticate(w, r)
		if !ok {
			return
		}
		callerOf(r).id = caller.id
		if !acceptsVersion(r, media) {
			writeError(w, http.StatusNotFound, operationNotFound)
			return
		}
		w.Header().Set("x-itwinplatform-media-type", strings.TrimSuffix(strings.TrimPrefix(media, "application/vnd."), "+json"))
		w.Header().Set("x-itwinplatform-region", "East US")
		h(w, r, caller)
	}))
}

// callerSlot lets the platform gate tell the request log who the caller was.
type callerSlot struct{ id string }

type callerKey struct{}

func callerOf(r *http.Request) *callerSlot {
	if s, ok := r.Context().Value(callerKey{}).(*callerSlot); ok {
		return s
	}
	return &callerSlot{}
}

// observed wraps every endpoint, the token endpoint included, with the test knobs: the request
// log and counter, latency, and faults.
func (e *Emulator) observed(endpoint string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		entry := Request{
			Endpoint: endpoint, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Prefer: r.Header.Get("Prefer"),
			Start: time.Now(), TraceParent: r.Header.Get("traceparent"), Baggage: r.Header.Get("baggage"),
		}
		slot := &callerSlot{}
		e.mu.Lock()
		e.counts[endpoint]++
		latency := e.latency
		fault := e.matchFault(endpoint)
		e.mu.Unlock()
		defer func() {
			entry.Status = rec.status
			entry.End = time.Now()
			entry.Caller = slot.id
			e.mu.Lock()
			if len(e.log) >= maxLogEntries {
				// Drop the older half at once: amortised O(1) per request.
				e.log = append(e.log[:0], e.log[maxLogEntries/2:]...)
			}
			e.log = append(e.log, entry)
			e.mu.Unlock()
		}()

		if !e.sleep(r.Context(), latency) {
			return
		}
		if fault != nil && e.applyFault(rec, r, endpoint, fault) {
			return
		}
		h(rec, r.WithContext(context.WithValue(r.Context(), callerKey{}, slot)))
	}
}

// sleep waits d unless the request is cancelled first; it reports whether to go on.
func (e *Emulator) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// authenticate resolves the bearer token to a demo user, answering 401 when it cannot.
func (e *Emulator) authenticate(w http.ResponseWriter, r *http.Request) (*user, bool) {
	header := r.Header.Get("Authorization")
	if header == "" {
		writeError(w, http.StatusUnauthorized, apiError{
			Code:    "HeaderNotFound",
			Message: "Header Authorization was not found in the request. Access denied.",
		})
		return nil, false
	}
	scheme, token, _ := strings.Cut(header, " ")
	u := e.lookupToken(strings.TrimSpace(token))
	if !strings.EqualFold(scheme, "Bearer") || u == nil {
		// The body of a live 401 for an invalid token on the same gateway (section 0.3). The
		// body for an expired token is UNCONFIRMED; clients classify 401s by status alone.
		writeError(w, http.StatusUnauthorized, apiError{
			Code:    "Unauthorized",
			Message: "Access denied due to invalid client. Make sure that client was registered on https://developer.bentley.com.",
			Details: []apiDetail{{Code: "UnknownClient", Message: "Client was not registered on https://developer.bentley.com."}},
		})
		return nil, false
	}
	return u, true
}

// acceptsVersion applies the platform's versioning by Accept header. Only an explicit platform
// media type naming another version is refused (404 ResourceNotFound / OperationNotFound). A
// missing or generic Accept ("*/*", "application/json") is served as the operation's default
// version: the iTwins and Users pages mark the header required, yet Bentley's own clients send no
// version and their live tests pass (https://github.com/iTwin/itwins-client, whose requests set
// no versioned Accept).
func acceptsVersion(r *http.Request, media string) bool {
	named := false
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		if mt == media {
			return true
		}
		if strings.HasPrefix(mt, "application/vnd.bentley.itwin-platform.") {
			named = true
		}
	}
	return !named
}

// apiError is the body of the platform's {"error":{...}} envelope.
type apiError struct {
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Target  *string     `json:"target,omitempty"`
	Details []apiDetail `json:"details,omitempty"`
}

type apiDetail struct {
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Target  *string `json:"target,omitempty"`
}

var operationNotFound = apiError{
	Code:    "ResourceNotFound",
	Message: "The requested resource was not found. Verify the API URL and the Accept header.",
	Details: []apiDetail{{Code: "OperationNotFound", Message: "Unable to match incoming request to an operation."}},
}

func writeError(w http.ResponseWriter, status int, e apiError) {
	writeJSON(w, status, map[string]apiError{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // hrefs keep their "&" as the platform writes them
	_ = enc.Encode(v)
}

func correlationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (for the reset fault).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
