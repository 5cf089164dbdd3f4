package bentley

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"syscall"
	"time"
)

// WithLogger logs every failed upstream attempt: the endpoint's pattern (never the URL, its ids or
// its query, never a token), the cause, the attempt's number and its duration. Failures that call
// for attention (no answer, 429, 5xx) are logged at WARN, other statuses (404, 403) at DEBUG.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		c.logger = l
		return nil
	}
}

// endpointPatterns are the operations behind the endpoint names, as the platform documents them.
var endpointPatterns = map[string]string{
	EndpointMyPrimaryAccount: "GET /itwins/myprimaryaccount",
	EndpointITwin:            "GET /itwins/{id}",
	EndpointITwinAccount:     "GET /itwins/{id}/account",
	EndpointITwins:           "GET /itwins/",
	EndpointFavorites:        "GET /itwins/favorites",
	EndpointRecents:          "GET /itwins/recents",
	EndpointUserMember:       "GET /accesscontrol/itwins/{id}/members/users/{memberId}",
	EndpointUserMembers:      "GET /accesscontrol/itwins/{id}/members/users",
	EndpointRoles:            "GET /accesscontrol/itwins/{id}/roles",
	EndpointPermissions:      "GET /accesscontrol/itwins/{id}/permissions",
	EndpointMe:               "GET /users/me",
	EndpointUser:             "GET /users/{id}",
	EndpointUsersByIDList:    "POST /users/getbyidlist",
	EndpointUserSearch:       "GET /users/?$search=",
}

// transportCause classifies a failure to get an answer: dns, refused, reset, timeout, tls, or
// network for anything else.
func transportCause(err error) string {
	var (
		dnsErr  *net.DNSError
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		recErr  tls.RecordHeaderError
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		host    x509.HostnameError
	)
	switch {
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &host):
		return "tls"
	}
	return "network"
}

// logAttempt logs one failed attempt; res is nil when no answer came (err says why).
func (c *Client) logAttempt(ctx context.Context, req *request, res *rawResponse, err error, d time.Duration) {
	if c.logger == nil || (err == nil && res.status < 400) {
		return
	}
	level, cause, code := slog.LevelWarn, "", ""
	switch {
	case err != nil && ctx.Err() != nil:
		return // the caller left or ran out of time: not the platform's failure
	case err != nil:
		cause = transportCause(err)
	default:
		cause = "status " + strconv.Itoa(res.status)
		var env envelope
		if json.Unmarshal(res.body, &env) == nil && env.Error != nil {
			code = sanitizeCode(env.Error.Code)
		}
		if res.status < 500 && res.status != 429 {
			level = slog.LevelDebug
		}
	}
	c.logger.LogAttrs(ctx, level, "upstream attempt failed",
		slog.String("endpoint", req.endpoint),
		slog.String("operation", endpointPatterns[req.endpoint]),
		slog.String("cause", cause),
		slog.String("upstream_code", code),
		slog.Int("attempt", req.attempt),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000))
}
