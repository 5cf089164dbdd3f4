// Package bentley is a typed client for the parts of Bentley's iTwin Platform REST APIs the
// gateway aggregates: iTwins, Access Control (v2) and Users.
//
// Every call is made with a bearer token taken from the request context (WithToken), so one
// Client serves every caller of the gateway and never mixes their credentials.
package bentley

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is the iTwin Platform's public API host.
const DefaultBaseURL = "https://api.bentley.com"

// DefaultTimeout bounds a single upstream call when WithTimeout is not given.
const DefaultTimeout = 10 * time.Second

// MaxResponseBytes bounds every response body the client reads, and so, with the bound on
// concurrent calls, the memory upstream answers can take. The largest legitimate answer here is
// a getbyidlist or a search of 1000 users, about 200 KiB.
const MaxResponseBytes = 1 << 20

// The platform versions its APIs by media type: v1 for iTwins and Users, v2 for Access Control.
const (
	mediaV1 = "application/vnd.bentley.itwin-platform.v1+json"
	mediaV2 = "application/vnd.bentley.itwin-platform.v2+json"
)

// The values of the headers every platform call sends, shared by all requests (see newRequest).
var (
	acceptV1        = []string{mediaV1}
	acceptV2        = []string{mediaV2}
	contentTypeJSON = []string{"application/json"}
	preferFull      = []string{"return=representation"}
	preferMinimal   = []string{"return=minimal"}
)

// Endpoint names, as reported in errors and observed by tests.
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

// Client calls the iTwin Platform. It is safe for concurrent use by many callers.
type Client struct {
	baseURL    *url.URL
	base       string // baseURL as text, ending in "/": every path is relative to it
	httpClient *http.Client
	// transport is httpClient's, called directly for platform calls (see roundTrip).
	transport http.RoundTripper
	userAgent []string // the User-Agent header's value, shared by every request (see newRequest)
	timeout   time.Duration
	flights   *flightGroup   // nil: no deduplication
	cache     *responseCache // nil: no caching
	retries   int
	// slots bounds concurrent upstream calls and shares them between callers; nil: unbounded.
	slots          *Slots
	maxConcurrency int
	share          int
	// retryBudget bounds retries across the process.
	retryBudget *retryBudget
	observer    Observer
	logger      *slog.Logger
	// shared is the tier shared by replicas (Redis); nil: this process only.
	shared SharedStore
	// holdOffs are the waits 429s asked for, per credential hash.
	holdOffs holdOffs
}

// Observer is told about every upstream call, for metrics. Nothing passed to it carries a token,
// a URL or an id: only endpoint names (EndpointITwin, ...) and statuses.
type Observer interface {
	// UpstreamCall reports one call: its HTTP status (0 when no answer came) and duration.
	UpstreamCall(endpoint string, status int, d time.Duration)
	// UpstreamRetry reports that a failed call of endpoint is about to be tried again, and why:
	// the status that failed ("429", "503", ...) or "connection".
	UpstreamRetry(endpoint, cause string)
	// RetryRefused reports a retry not made: "request_budget" (the request's attempts are spent),
	// "retry_budget" (the process-wide budget is) or "deadline" (the wait would not fit); and
	// "held_off" for a call not made because a 429's Retry-After outlasts the caller's deadline.
	RetryRefused(endpoint, reason string)
	// UpstreamShared reports a read answered without a call of its own: "cache_hit",
	// "shared_cache_hit" (from the tier replicas share), or "dedup_join" (shared with an
	// identical call in flight); and "cache_miss" / "shared_cache_miss" for a read a tier could
	// not answer.
	UpstreamShared(endpoint, kind string)
}

// WithObserver sets the observer of upstream calls.
func WithObserver(o Observer) Option {
	return func(c *Client) error {
		c.observer = o
		return nil
	}
}

// Option configures a Client.
type Option func(*Client) error

// WithBaseURL points the client at another platform host: the emulator, a proxy, or a
// regional host. Paths are appended as in the real API ({base}/itwins/{id}).
func WithBaseURL(raw string) Option {
	return func(c *Client) error {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("bentley: base URL %q must be an absolute http or https URL", raw)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("bentley: base URL %q must not carry a query, fragment or user info", raw)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.baseURL, c.base = u, u.String()
		return nil
	}
}

// WithHTTPClient replaces the HTTP client, for its transport (tracing, tests). Platform calls
// use only the transport: the client sets a deadline per call itself (WithTimeout) and follows
// no redirect (roundTrip); readiness pings go through the whole client.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("bentley: nil HTTP client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithTimeout bounds each upstream call, inside whatever deadline the caller's context has.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("bentley: timeout must be positive, got %s", d)
		}
		c.timeout = d
		return nil
	}
}

// WithDedup makes identical concurrent reads with the same credential share one upstream call
// (on by default). Answers are shared as bytes, so no caller sees another's decoded values.
func WithDedup(on bool) Option {
	return func(c *Client) error {
		c.flights = nil
		if on {
			c.flights = &flightGroup{}
		}
		return nil
	}
}

// WithCache keeps successful read answers for ttl, per credential, in store, which bounds them.
// Off by default (and with a ttl of 0 or no store): a cached answer can be up to ttl stale, for
// instance still showing a member who was just removed.
func WithCache(ttl time.Duration, store AnswerCache) Option {
	return func(c *Client) error {
		if ttl <= 0 || store == nil {
			c.cache = nil
			return nil
		}
		c.cache = &responseCache{ttl: ttl, store: store, now: time.Now}
		return nil
	}
}

// WithUserAgent sets the User-Agent sent upstream.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		c.userAgent = []string{ua}
		return nil
	}
}

// NewClient returns a client for DefaultBaseURL unless options say otherwise.
func NewClient(opts ...Option) (*Client, error) {
	c := &Client{
		httpClient:  &http.Client{Transport: NewTransport()},
		userAgent:   []string{"itwin-graphql-gateway"},
		timeout:     DefaultTimeout,
		flights:     &flightGroup{},
		retries:     DefaultRetries,
		retryBudget: newRetryBudget(DefaultRetryRatio),
	}
	if err := WithBaseURL(DefaultBaseURL)(c); err != nil {
		return nil, err
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if c.maxConcurrency > 0 {
		c.slots = NewSlots(c.maxConcurrency, c.share)
	}
	c.transport = c.httpClient.Transport
	if c.transport == nil {
		c.transport = http.DefaultTransport
	}
	return c, nil
}

// Ping reports whether the platform answers HTTP at all: any status counts, since the request
// carries no token. It is the one request that needs no credentials, for readiness probes.
func (c *Client) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL.String(), nil)
	if err != nil {
		return fmt.Errorf("bentley: ping: %w", err)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("bentley: ping: %w", ErrUnavailable)
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	_ = resp.Body.Close()
	return nil
}
