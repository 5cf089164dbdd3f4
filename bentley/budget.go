package bentley

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Budget counts one request's upstream attempts. The client takes from it before every retry
// (first attempts are taken by whoever decides to make the call), so retries spend the same
// per-request budget as calls do, and tells it of every HTTP request it actually sends.
type Budget interface {
	// Take spends one attempt, or fails when the budget is spent.
	Take() error
	// Sent records one HTTP request sent to the platform for this request: not a cache hit, not
	// a call shared with another caller's identical one.
	Sent()
}

type budgetKey struct{}

// WithBudget returns a context whose upstream retries spend b.
func WithBudget(ctx context.Context, b Budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

func budgetFrom(ctx context.Context) Budget {
	b, _ := ctx.Value(budgetKey{}).(Budget)
	return b
}

// Defaults of the process-wide retry budget.
const (
	// DefaultRetryRatio lets retries add at most a fifth to the upstream load: during a
	// platform-wide 429 or 503 storm the gateway must not multiply the load that caused it.
	DefaultRetryRatio = 0.2
	// retryFloor retries a second are allowed whatever the traffic, so a quiet gateway still
	// retries its few calls.
	retryFloor = 10
	// retryBurst caps the retries saved up in quiet times.
	retryBurst = 100
)

// retryBudget is the process-wide retry budget, after gRPC's and Envoy's: every first attempt
// earns ratio of a retry, time earns retryFloor a second, and each retry spends one.
type retryBudget struct {
	ratio float64
	now   func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newRetryBudget(ratio float64) *retryBudget {
	return &retryBudget{ratio: ratio, now: time.Now, tokens: retryFloor}
}

// attempted records a first attempt.
func (b *retryBudget) attempted() {
	b.mu.Lock()
	b.tokens = min(b.tokens+b.ratio, retryBurst)
	b.mu.Unlock()
}

// allow spends one retry, if the budget has one.
func (b *retryBudget) allow() bool {
	if b.ratio <= 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if !b.last.IsZero() {
		b.tokens = min(b.tokens+now.Sub(b.last).Seconds()*retryFloor, retryBurst)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// WithRetryBudget bounds retries across the process to ratio of recent first attempts, plus a
// few a second (DefaultRetryRatio when not given; 0 turns retries off).
func WithRetryBudget(ratio float64) Option {
	return func(c *Client) error {
		if ratio < 0 || ratio > 1 {
			return errors.New("bentley: the retry budget must be a fraction from 0 to 1")
		}
		c.retryBudget = newRetryBudget(ratio)
		return nil
	}
}
