package graph

import (
	"errors"
	"sync/atomic"
)

// errBudgetExceeded is returned for upstream calls past the operation's budget.
var errBudgetExceeded = errors.New("the operation's budget of upstream calls is spent")

// callBudget counts one operation's upstream attempts and refuses those past max (0: no limit).
// It is the operation's bentley.Budget.
type callBudget struct {
	max  int64
	used atomic.Int64
	// sent counts the HTTP requests actually sent for the operation: cache hits, calls shared with
	// another caller and calls never made (no token) are not among them.
	sent atomic.Int64
	// refused, when set, is told of every call refused for the budget.
	refused func()
}

// Take spends one attempt for the platform client's retries (bentley.Budget).
func (b *callBudget) Take() error { return b.take() }

// Sent records an HTTP request sent (bentley.Budget).
func (b *callBudget) Sent() { b.sent.Add(1) }

// take spends one attempt, or fails once the budget is spent.
func (b *callBudget) take() error {
	if b.max > 0 && b.used.Add(1) > b.max {
		if b.refused != nil {
			b.refused()
		}
		return errBudgetExceeded
	}
	return nil
}
