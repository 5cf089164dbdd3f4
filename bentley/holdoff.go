package bentley

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// holdOffs remembers, per credential hash, until when the platform asked for no more calls
// (a 429's Retry-After), whether this replica saw the 429 or another one published it. The
// platform limits per OAuth client; in service mode that is the one credential every call uses,
// and in pass-through mode the scope is each caller's token, since an opaque token does not say
// which OAuth client it belongs to. Anyone who can publish to the shared store can publish
// hold-offs, so they are bounded: none lasts past maxHoldOff, at most maxHoldOffs are kept, and
// the expired are pruned once per holdOffPrune, not on every set.
type holdOffs struct {
	mu        sync.Mutex
	until     map[string]time.Time
	nextPrune time.Time
}

// Bounds of the hold-offs kept.
const (
	maxHoldOff   = 24 * time.Hour
	maxHoldOffs  = 10000
	holdOffPrune = time.Minute
)

func (h *holdOffs) get(scope string, now time.Time) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.until[scope]
	if ok && !now.Before(t) {
		delete(h.until, scope)
		return time.Time{}
	}
	return t
}

// set records a hold-off, keeping the later one and cutting it to maxHoldOff from now; it
// reports whether it changed anything. When maxHoldOffs are kept and none has expired, a new
// scope is not recorded: its calls go on and meet the platform's own 429.
func (h *holdOffs) set(scope string, until time.Time) bool {
	now := time.Now()
	until = minTime(until, now.Add(maxHoldOff))
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.until == nil {
		h.until = map[string]time.Time{}
	}
	if !now.Before(h.nextPrune) {
		for k, t := range h.until {
			if !now.Before(t) {
				delete(h.until, k)
			}
		}
		h.nextPrune = now.Add(holdOffPrune)
	}
	prev, known := h.until[scope]
	if !until.After(prev) || !known && len(h.until) >= maxHoldOffs {
		return false
	}
	h.until[scope] = until
	return true
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// HoldOff applies a hold-off another replica published: calls with the credential hash scope
// wait until until, or fail fast with the platform's 429 if that does not fit their deadline.
func (c *Client) HoldOff(scope string, until time.Time) {
	c.holdOffs.set(scope, until)
}

// heldOff is the answer for a call made during a hold-off that the caller cannot wait out: the
// platform's own 429, as it would have answered, so it maps to RATE_LIMITED with Retry-After.
func heldOff(endpoint string, wait time.Duration) *rawResponse {
	code := "RateLimitExceeded"
	if strings.HasPrefix(endpoint, "accesscontrol.") {
		code = "TooManyRequests"
	}
	secs := int((wait + time.Second - 1) / time.Second)
	header := http.Header{}
	header.Set("Retry-After", strconv.Itoa(secs))
	header.Set("Content-Type", "application/json")
	body := `{"error":{"code":"` + code + `","message":"Held off: the platform asked this credential to wait."}}`
	return &rawResponse{status: http.StatusTooManyRequests, header: header, body: []byte(body)}
}

// noteRateLimit records a 429's Retry-After as a hold-off for the request's credential, here and
// (through the shared store) on every replica.
func (c *Client) noteRateLimit(req *request, res *rawResponse) {
	if res == nil || res.status != http.StatusTooManyRequests {
		return
	}
	wait := parseRetryAfter(res.header.Get("Retry-After"), time.Now())
	if wait <= 0 {
		return
	}
	until := time.Now().Add(wait)
	if c.holdOffs.set(req.credential, until) && c.shared != nil {
		c.shared.PublishHoldOff(req.credential, until)
	}
}
