package bentley

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

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
		if res, ok := c.cache.get(ctx, key); ok {
			c.observeShared(req.endpoint, "cache_hit")
			return res, nil
		}
		c.observeShared(req.endpoint, "cache_miss")
		if c.shared != nil {
			if res, ok := c.sharedGet(req, key); ok {
				c.observeShared(req.endpoint, "shared_cache_hit")
				c.cache.put(ctx, key, res)
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
				c.cache.put(ctx, key, res)
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
