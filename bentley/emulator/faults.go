package emulator

import (
	"net/http"
	"strconv"
	"strings"
)

// FaultKind says how an injected fault breaks a response.
type FaultKind int

const (
	// FaultStatus answers with Status (429 or 5xx, say) and the platform's error envelope.
	FaultStatus FaultKind = iota + 1
	// FaultMalformed answers 200 with a truncated JSON body.
	FaultMalformed
	// FaultOversized answers 200 with a body of Size bytes (16 MiB when Size is 0).
	FaultOversized
	// FaultHang holds the request until the client gives up or the emulator is closed.
	FaultHang
	// FaultReset drops the TCP connection without an answer.
	FaultReset
)

// Fault describes a failure to inject into matching requests.
type Fault struct {
	// Endpoint is an endpoint name (EndpointITwin, ...), an API prefix ("users", "itwins",
	// "accesscontrol") or empty for every endpoint.
	Endpoint string
	Kind     FaultKind
	// Status is the HTTP status of a FaultStatus.
	Status int
	// RetryAfter is sent as the Retry-After header when set (seconds or an HTTP date).
	RetryAfter string
	// Times limits the fault to that many requests; 0 means until Reset.
	Times int
	// Every applies the fault to every n-th matching request only; 0 or 1 means each one.
	Every int
	// Size is the body size of a FaultOversized.
	Size int
}

type faultRule struct {
	Fault
	seen    int // matching requests so far
	applied int
}

// Inject adds a fault rule. Rules are tried in the order they were added; the first that
// applies to a request wins.
func (e *Emulator) Inject(f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, &faultRule{Fault: f})
}

// matchFault picks the fault for one request to endpoint; e.mu must be held.
func (e *Emulator) matchFault(endpoint string) *Fault {
	for _, r := range e.faults {
		if !r.matches(endpoint) {
			continue
		}
		if r.Times > 0 && r.applied >= r.Times {
			continue
		}
		r.seen++
		if r.Every > 1 && r.seen%r.Every != 0 {
			continue
		}
		r.applied++
		f := r.Fault
		return &f
	}
	return nil
}

func (r *faultRule) matches(endpoint string) bool {
	return r.Endpoint == "" || r.Endpoint == endpoint || strings.HasPrefix(endpoint, r.Endpoint+".")
}

// applyFault writes the fault's answer; it reports false when the request should go on.
func (e *Emulator) applyFault(w http.ResponseWriter, r *http.Request, endpoint string, f *Fault) bool {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	switch f.Kind {
	case FaultStatus:
		body := apiError{Code: "InternalServerError", Message: "The service encountered an unexpected condition."}
		switch {
		case f.Status == http.StatusTooManyRequests:
			// The body differs per API (section 0.3); clients must key on the status.
			api, _, _ := strings.Cut(endpoint, ".")
			body = apiError{
				Code:    "RateLimitExceeded",
				Message: "The client sent more requests than allowed by this API for the current tier of the client.",
			}
			if api == "accesscontrol" {
				body = apiError{Code: "TooManyRequests", Message: "More requests were received than the subscription rate-limit allows."}
			}
			// The headers the rate-limits page lists for a 429; the Application one would name
			// the caller's client_id, which the emulator does not know.
			w.Header().Set("ITwinPlatform-RateLimited-Tier", "Trial")
			w.Header().Set("ITwinPlatform-RateLimited-API", api)
			w.Header().Set("ITwinPlatform-RateLimited-Operation", endpoint)
		case f.Status == http.StatusServiceUnavailable:
			body = apiError{Code: "ServiceUnavailable", Message: "The service is temporarily unavailable."}
		}
		writeError(w, f.Status, body)
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"iTwin":{"id":"0f0b6d5e-`))
	case FaultOversized:
		size := f.Size
		if size <= 0 {
			size = 16 << 20
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat(" ", 64<<10))
		for written := 0; written < size; {
			n := min(len(chunk), size-written)
			if _, err := w.Write(chunk[:n]); err != nil {
				return true
			}
			written += n
		}
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-e.closing:
		}
	case FaultReset:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// HTTP/2 or a recorder: the nearest thing is to abort the handler.
			panic(http.ErrAbortHandler)
		}
		if tcp, ok := conn.(interface{ SetLinger(int) error }); ok {
			_ = tcp.SetLinger(0) // send RST, not FIN
		}
		_ = conn.Close()
	default:
		return false
	}
	return true
}
