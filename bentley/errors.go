package bentley

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxErrorBodyBytes bounds what is read of an error answer.
const maxErrorBodyBytes = 64 << 10

var (
	// ErrNoCredentials means the context carried no bearer token; no call was made.
	ErrNoCredentials = errors.New("bentley: no bearer token in context")
	// ErrUnavailable means the platform could not be reached or did not answer in time.
	ErrUnavailable = errors.New("bentley: platform unavailable")
	// ErrTimeout is the ErrUnavailable of a call that got no answer within the per-call timeout.
	ErrTimeout = fmt.Errorf("%w: no answer in time", ErrUnavailable)
	// ErrMalformedResponse means a 2xx answer was not the documented JSON, or was too large.
	ErrMalformedResponse = errors.New("bentley: malformed response")
	// ErrTooManyIDs means a batch call was asked for more ids than the platform accepts.
	ErrTooManyIDs = errors.New("bentley: too many ids for one call")
	// ErrInvalidID refuses an id that is not a canonical UUID before it becomes a path segment.
	// The gateway validates its callers' ids first, so one reaching the client came from an
	// upstream answer: a list item or a reference the platform should not have sent.
	ErrInvalidID = errors.New("bentley: an id is not a UUID")
)

// Error is a non-2xx answer from the platform, parsed from its {"error":{...}} envelope when
// the body is one. Its message never contains the token or the request URL.
type Error struct {
	// Endpoint is the operation that failed (EndpointITwin, ...).
	Endpoint string
	// Status is the HTTP status code.
	Status int
	// Code, Message and Target come from the envelope; Code is empty when the body was not one.
	Code    string
	Message string
	Target  string
	Details []ErrorDetail
	// RetryAfter is the wait the platform asked for with a Retry-After header, zero when absent.
	RetryAfter time.Duration
}

// ErrorDetail is one entry of the envelope's details.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

// Error names the endpoint, the status and the platform's code: enough to log, nothing secret.
func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("bentley: %s: HTTP %d", e.Endpoint, e.Status)
	}
	return fmt.Sprintf("bentley: %s: HTTP %d %s", e.Endpoint, e.Status, e.Code)
}

// Temporary reports whether the same call may succeed later: rate limiting and server errors.
func (e *Error) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// IsNotFound reports whether err is a 404 from the platform.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// IsTemporary reports whether err may go away on its own: a 429 or 5xx answer, an unavailable
// platform, or a cancelled or expired context. Loaders must not cache such failures.
func IsTemporary(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// envelope is the platform's error body.
type envelope struct {
	Error *struct {
		Code    string        `json:"code"`
		Message string        `json:"message"`
		Target  *string       `json:"target"`
		Details []ErrorDetail `json:"details"`
	} `json:"error"`
}

// checkResponse turns a non-2xx answer into *Error. The body is read through a size limit and
// may be anything: "clients MUST NOT assume that every failed request will produce an object
// of this schema".
func checkResponse(endpoint string, res *rawResponse) error {
	if res.status >= 200 && res.status < 300 {
		return nil
	}
	e := &Error{
		Endpoint:   endpoint,
		Status:     res.status,
		RetryAfter: parseRetryAfter(res.header.Get("Retry-After"), time.Now()),
	}
	var env envelope
	if json.Unmarshal(res.body, &env) == nil && env.Error != nil {
		e.Code = sanitizeCode(env.Error.Code)
		e.Message = env.Error.Message
		if env.Error.Target != nil {
			e.Target = *env.Error.Target
		}
		e.Details = env.Error.Details
	}
	return e
}

// sanitizeCode keeps an upstream error code only if it looks like one (at most 64 letters,
// digits, '.', '_' or '-'): codes are shown to GraphQL clients, free text from the upstream is not.
func sanitizeCode(code string) string {
	if len(code) > 64 {
		return ""
	}
	for _, r := range code {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-') {
			return ""
		}
	}
	return code
}

// decodeAnswer turns a raw answer into v: a *Error for a non-2xx status, ErrMalformedResponse
// for a 2xx body that is not JSON of the expected shape.
func decodeAnswer(endpoint string, res *rawResponse, v any) error {
	if err := checkResponse(endpoint, res); err != nil {
		return err
	}
	if err := json.Unmarshal(res.body, v); err != nil {
		return fmt.Errorf("bentley: %s: decoding response: %w", endpoint, ErrMalformedResponse)
	}
	return nil
}

// maxRetryAfter caps what a Retry-After may ask for: a day is already "not in this request".
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP date (RFC 9110 10.2.3), capped
// at maxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}
