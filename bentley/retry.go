package bentley

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"
)

// Retry policy defaults. The platform rate-limits per OAuth client, so retries are few and
// spaced: a retry storm would only keep the whole deployment over its limit.
const (
	DefaultRetries = 2
	retryBaseDelay = 100 * time.Millisecond
	retryMaxDelay  = 2 * time.Second
)

// WithRetries sets how many times a failed read is retried (0 disables retries). A call is
// retried on 429, 502, 503, 504 and connection errors, never on a timeout: a platform that did not
// answer in UPSTREAM_TIMEOUT is not asked to do it again on the caller's time.
func WithRetries(n int) Option {
	return func(c *Client) error {
		if n < 0 {
			return errors.New("bentley: retries must not be negative")
		}
		c.retries = n
		return nil
	}
}

// Defaults the gateway configures (the client itself is unbounded without WithMaxConcurrency):
// UPSTREAM_MAX_CONCURRENCY and UPSTREAM_MAX_CONCURRENCY_PER_CALLER.
const (
	DefaultMaxConcurrency          = 128
	DefaultMaxConcurrencyPerCaller = 32
)

// WithMaxConcurrency bounds the upstream calls in flight at once across all callers (0 means
// unbounded), so one burst of queries cannot trip the platform's rate limit for everyone.
func WithMaxConcurrency(n int) Option {
	return func(c *Client) error {
		if n < 0 {
			return errors.New("bentley: max concurrency must not be negative")
		}
		c.maxConcurrency = n
		return nil
	}
}

// retryable reports whether an attempt's outcome may succeed if tried again.
func retryable(res *rawResponse, err error) bool {
	if err != nil {
		// Connection refused or reset, a broken body: yes. Our own timeout or the caller's
		// cancellation: no.
		return errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrTimeout)
	}
	switch res.status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryDelay is how long to wait before attempt n+1 (n counts from 0): the platform's
// Retry-After when it sent one, otherwise exponential backoff with full jitter. A backoff library
// such as cenkalti/backoff would cover only the second half; Retry-After and the caller's
// deadline (fitsIn) decide most waits here.
func retryDelay(res *rawResponse, attempt int) time.Duration {
	if res != nil {
		if d := parseRetryAfter(res.header.Get("Retry-After"), time.Now()); d > 0 || res.header.Get("Retry-After") == "0" {
			return d
		}
	}
	ceiling := min(retryBaseDelay<<attempt, retryMaxDelay)
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

// fitsIn reports whether waiting d still leaves time for another attempt before ctx's deadline.
// The attempt needs a share of the time too, so the wait must end before the deadline with a
// margin of a tenth of the per-call timeout.
func (c *Client) fitsIn(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return d <= c.timeout
	}
	return time.Now().Add(d + c.timeout/10).Before(deadline)
}

// sleep waits d or until ctx is done; it reports whether the full wait happened. The context's
// Yielder, if any, is given back for the wait and taken again after it.
func sleep(ctx context.Context, d time.Duration) bool {
	if y, _ := ctx.Value(yielderKey{}).(Yielder); y != nil && d > 0 {
		resume := y.Yield()
		done := sleepFor(ctx, d)
		return resume(ctx) == nil && done
	}
	return sleepFor(ctx, d)
}

func sleepFor(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
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

// acquire takes a slot for one upstream call, waiting while every slot is taken; see slots for
// how waiting callers share them. Each acquire that returns nil is paired with one release.
func (c *Client) acquire(ctx context.Context, caller string) error {
	if c.slots == nil {
		return nil
	}
	return c.slots.Acquire(ctx, caller)
}

// release gives back the slot of an acquire that returned nil.
func (c *Client) release(caller string) {
	if c.slots != nil {
		c.slots.Release(caller)
	}
}
