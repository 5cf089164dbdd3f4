// Package bentley is a typed client for the parts of Bentley's iTwin Platform REST APIs the
// gateway aggregates: iTwins, Access Control (v2) and Users.
//
// Every call is made with a bearer token taken from the request context (WithToken), so one
// Client serves every caller of the gateway and never mixes their credentials.
package bentley

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
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
	// CacheEvicted reports answers the response cache dropped to stay within its bounds.
	CacheEvicted(n int)
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

// WithCache keeps successful read answers for ttl, per credential, in at most maxEntries
// entries and maxBytes bytes (least recently used evicted first). Off by default: a cached
// answer can be up to ttl stale, for instance still showing a member who was just removed.
func WithCache(ttl time.Duration, maxEntries, maxBytes int) Option {
	return func(c *Client) error {
		if ttl <= 0 {
			c.cache = nil
			return nil
		}
		if maxEntries <= 0 || maxBytes <= 0 {
			return fmt.Errorf("bentley: cache bounds must be positive, got %d entries and %d bytes", maxEntries, maxBytes)
		}
		c.cache = newResponseCache(ttl, maxEntries, maxBytes)
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

// NewTransport returns a transport tuned for fanning out to one host: Go's default keeps only
// two idle connections per host, which under a batch of concurrent calls means a new TCP and
// TLS handshake for nearly every request.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Go's default is 10 MiB of headers per answer: a hostile or broken upstream could make
		// every call in flight hold that much before its body is even read.
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}
}

// MaxResponseHeaderBytes bounds the headers of one platform answer; the platform's own are a
// few hundred bytes.
const MaxResponseHeaderBytes = 64 << 10

// NewTransportFor is NewTransport with an idle pool for maxConcurrency calls in flight: at least
// one idle connection per call that may be in flight. With fewer, every burst at the concurrency
// limit closes connections it opened and opens them again (the trial behind issue 13 saw 10-14 %
// more CPU per query past 256 concurrent calls with a fixed 256).
func NewTransportFor(maxConcurrency int) *http.Transport {
	t := NewTransport()
	t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, maxConcurrency)
	t.MaxIdleConns = max(t.MaxIdleConns, 2*maxConcurrency)
	return t
}

type credentialKey struct{}

// credential is a caller's bearer token with its hash, computed once per request.
type credential struct {
	token string
	hash  string
	// authorization is the Authorization header's value, built once for all the request's calls.
	authorization []string
}

// WithToken returns a context carrying the caller's bearer token for upstream calls.
func WithToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, credentialKey{}, &credential{token: token, hash: credentialHash(token), authorization: []string{"Bearer " + token}})
}

// request is an upstream request with what the client needs to know about it.
type request struct {
	*http.Request
	endpoint string
	body     []byte
	// credential is the hash of the bearer token, for keys of shared state.
	credential string
	// caller is whose share of the upstream slots the call takes (WithCaller).
	caller string
	// attempt numbers the request's tries from 1, for the log.
	attempt int
}

// newRequest builds a request for path, relative to the base URL, with the API's media type.
// Callers build paths with idPath, which checks and escapes ids.
func (c *Client) newRequest(ctx context.Context, endpoint, method, path string, body any) (*request, error) {
	cred, _ := ctx.Value(credentialKey{}).(*credential)
	if cred == nil || cred.token == "" {
		return nil, ErrNoCredentials
	}
	var r io.Reader
	var buf []byte
	var err error
	if body != nil {
		if buf, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("bentley: %s: encoding body: %w", endpoint, err)
		}
		r = bytes.NewReader(buf)
	}
	// Paths are relative, built from validated and escaped ids (idPath), so appending one to the
	// base is the same as resolving it against the base, and parses the URL once instead of thrice.
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, fmt.Errorf("bentley: %s: building the request: %w", endpoint, err)
	}
	// Header values are shared slices, set under their canonical keys: nothing on the way out
	// (the transport, tracing's propagator) changes a value in place, and a Set replaces it.
	accept := acceptV1
	if strings.HasPrefix(endpoint, "accesscontrol.") {
		accept = acceptV2
	}
	req.Header["Accept"] = accept
	req.Header["Authorization"] = cred.authorization
	req.Header["User-Agent"] = c.userAgent
	if body != nil {
		req.Header["Content-Type"] = contentTypeJSON
	}
	caller, _ := ctx.Value(callerKey{}).(string)
	if caller == "" {
		caller = cred.hash
	}
	return &request{Request: req, endpoint: endpoint, body: buf, credential: cred.hash, caller: caller}, nil
}

// do sends req and decodes a 2xx JSON answer into v. Any other answer becomes a *Error; an
// answer that is not the documented JSON wraps ErrMalformedResponse; a network failure or
// timeout wraps ErrUnavailable. Every request the client makes is a read (GETs and the
// idempotent getbyidlist POST), so each may be answered from the cache or share an identical
// call already in flight.
func (c *Client) do(req *request, v any) error {
	res, err := c.fetch(req)
	if err != nil {
		return err
	}
	return decodeAnswer(req.endpoint, res, v)
}

// fetch gets the raw answer from the cache, or from the platform with retries: on 429, 502,
// 503, 504 and connection errors it tries again after the platform's Retry-After or a jittered
// backoff, as long as the wait fits in the time the caller has left. When it does not, the
// failure is returned at once, with the Retry-After for the caller to honour.
func (c *Client) fetch(req *request) (*rawResponse, error) {
	ctx := req.Context()
	var key string
	if c.cache != nil || c.flights != nil {
		// Prefer is part of the key: the same URL answers a summary or the full representation.
		key = shareKey(req.credential, req.Method, req.URL.String(), req.Header.Get("Prefer"), req.body)
	}
	if c.cache != nil {
		if res, ok := c.cache.get(key); ok {
			c.observeShared(req.endpoint, "cache_hit")
			return res, nil
		}
		c.observeShared(req.endpoint, "cache_miss")
		if c.shared != nil {
			if res, ok := c.sharedGet(req, key); ok {
				c.observeShared(req.endpoint, "shared_cache_hit")
				c.cache.put(key, res)
				return res, nil
			}
			c.observeShared(req.endpoint, "shared_cache_miss")
		}
	}
	// A hold-off (this replica's 429, or one another replica published) is waited out when the
	// caller's deadline allows, and otherwise answered with the platform's 429 at once: calling
	// would only earn another.
	if until := c.holdOffs.get(req.credential, time.Now()); !until.IsZero() {
		wait := time.Until(until)
		if !c.fitsIn(ctx, wait) {
			c.observeRefused(req.endpoint, "held_off")
			return heldOff(req.endpoint, wait), nil
		}
		if !sleep(ctx, wait) {
			return nil, fmt.Errorf("bentley: %s: %w", req.endpoint, context.Cause(ctx))
		}
	}
	for attempt := 0; ; attempt++ {
		if attempt == 0 {
			c.retryBudget.attempted()
		}
		req.attempt = attempt + 1
		res, err := c.attempt(req, key)
		c.noteRateLimit(req, res)
		if !retryable(res, err) || attempt >= c.retries {
			if err == nil && c.cache != nil && res.status >= 200 && res.status < 300 {
				if evicted := c.cache.put(key, res); evicted > 0 && c.observer != nil {
					c.observer.CacheEvicted(evicted)
				}
				if c.shared != nil {
					c.sharedPut(req, key, res)
				}
			}
			return res, err
		}
		wait := retryDelay(res, attempt)
		if !c.fitsIn(ctx, wait) {
			c.observeRefused(req.endpoint, "deadline")
			return res, err
		}
		// A retry spends the request's budget of upstream attempts and the process's retry
		// budget; without both, the failure stands.
		if !c.retryBudget.allow() {
			c.observeRefused(req.endpoint, "retry_budget")
			return res, err
		}
		if b := budgetFrom(ctx); b != nil && b.Take() != nil {
			c.observeRefused(req.endpoint, "request_budget")
			return res, err
		}
		if c.observer != nil {
			c.observer.UpstreamRetry(req.endpoint, retryCause(res))
		}
		if !sleep(ctx, wait) {
			return nil, fmt.Errorf("bentley: %s: %w", req.endpoint, context.Cause(ctx))
		}
	}
}

func (c *Client) observeShared(endpoint, kind string) {
	if c.observer != nil {
		c.observer.UpstreamShared(endpoint, kind)
	}
}

func (c *Client) observeRefused(endpoint, reason string) {
	if c.observer != nil {
		c.observer.RetryRefused(endpoint, reason)
	}
}

// retryCause names why an attempt is retried: its status, or "connection" when none came.
func retryCause(res *rawResponse) string {
	if res == nil {
		return "connection"
	}
	return strconv.Itoa(res.status)
}

// attempt makes one call, shared with identical concurrent calls when dedup is on.
func (c *Client) attempt(req *request, key string) (*rawResponse, error) {
	if c.flights == nil {
		return c.roundTrip(req.Context(), req)
	}
	res, err, shared := c.flights.do(req.Context(), key, func(ctx context.Context) (*rawResponse, error) {
		return c.roundTrip(ctx, req)
	})
	if shared {
		c.observeShared(req.endpoint, "dedup_join")
	}
	if err != nil && req.Context().Err() != nil {
		err = fmt.Errorf("bentley: %s: %w", req.endpoint, err)
	}
	return res, err
}

// roundTrip makes one upstream call under ctx and the per-call deadline, and reads the answer
// through the size limit.
func (c *Client) roundTrip(ctx context.Context, req *request) (*rawResponse, error) {
	if err := c.acquire(ctx, req.caller); err != nil {
		return nil, fmt.Errorf("bentley: %s: %w", req.endpoint, err)
	}
	defer c.release(req.caller)
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	out := req.WithContext(callCtx)
	if req.body != nil {
		out.Body = io.NopCloser(bytes.NewReader(req.body))
	}
	if b := budgetFrom(ctx); b != nil {
		// ctx is the request's own, or for a shared call its first caller's: the call counts once.
		b.Sent()
	}
	start := time.Now()
	// The transport, not http.Client.Do: Do copies the request's headers on every call so that it
	// could follow a redirect (4 % of the gateway's CPU on the mix, BENCHMARKS.md), and the
	// platform's contract has none. A 3xx is an unexpected status like any other, and the
	// caller's token never follows a Location anywhere.
	resp, err := c.transport.RoundTrip(out)
	if c.observer != nil {
		status := 0
		if err == nil {
			status = resp.StatusCode
		}
		c.observer.UpstreamCall(req.endpoint, status, time.Since(start))
	}
	if err != nil {
		c.logAttempt(ctx, req, nil, err, time.Since(start))
		return nil, c.transportError(ctx, req.endpoint, err)
	}
	defer func() {
		// Drain a little so the connection can be reused, then close.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		_ = resp.Body.Close()
	}()
	limit := int64(MaxResponseBytes)
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		limit = maxErrorBodyBytes
	}
	body, err := readBody(resp, limit)
	if err != nil {
		c.logAttempt(ctx, req, nil, err, time.Since(start))
		return nil, c.transportError(ctx, req.endpoint, err)
	}
	if int64(len(body)) > limit {
		if limit == maxErrorBodyBytes {
			body = body[:limit] // an error body is only looked at for its envelope
		} else {
			return nil, fmt.Errorf("bentley: %s: response larger than %d bytes: %w", req.endpoint, MaxResponseBytes, ErrMalformedResponse)
		}
	}
	res := &rawResponse{status: resp.StatusCode, header: resp.Header, body: body}
	c.logAttempt(ctx, req, res, nil, time.Since(start))
	return res, nil
}

// readBody reads at most limit+1 bytes of an answer: into one buffer of the announced length when
// there is one within the limit (the platform's JSON answers carry Content-Length), and otherwise
// growing as io.ReadAll does. The transport holds a body to its Content-Length either way.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= limit {
		buf := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit+1))
}

// transportError classifies a failure to get an answer. The caller's own cancellation stays
// recognisable as context.Canceled; everything else is the upstream being unavailable. The
// message names the endpoint, never the URL or the token.
func (c *Client) transportError(ctx context.Context, endpoint string, err error) error {
	if cause := context.Cause(ctx); cause != nil {
		return fmt.Errorf("bentley: %s: %w", endpoint, cause)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("bentley: %s: no answer within %s: %w", endpoint, c.timeout, ErrTimeout)
	}
	return fmt.Errorf("bentley: %s: %w", endpoint, ErrUnavailable)
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
