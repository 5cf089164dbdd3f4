package bentley

import (
	"container/list"
	"context"
	"errors"
	"sync"
)

// Slots bounds work in flight and shares it between callers, work-conserving: a taker gets a
// slot at once while one is free, whoever it is; when none is, it waits, and each freed slot goes
// to the longest-waiting taker of a caller holding less than its share, or, when every waiting
// caller is at its share, to the longest-waiting one. golang.org/x/sync/semaphore hands slots out
// in arrival order only, which is what let one caller's wide queries starve the rest, so the queue
// is kept here. The client bounds upstream calls with it; the gateway bounds executing requests
// with another.
type Slots struct {
	max, share int

	mu      sync.Mutex
	inUse   int
	held    map[string]int
	waiting *list.List // of *slotWaiter, oldest first
}

type slotWaiter struct {
	caller  string
	granted chan struct{}
}

// NewSlots returns max slots, of which each caller is guaranteed share while others wait (0 or
// more than max: no share, first come first served).
func NewSlots(max, share int) *Slots {
	if share <= 0 || share > max {
		share = max
	}
	return &Slots{max: max, share: share, held: map[string]int{}, waiting: list.New()}
}

// TryAcquire takes a slot for caller if one is free, without waiting; true when it did. Each
// TryAcquire that returns true is paired with one Release for the same caller.
func (s *Slots) TryAcquire(caller string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inUse < s.max {
		s.grant(caller)
		return true
	}
	return false
}

// Acquire takes a slot for caller, waiting for one when all are taken, until ctx ends (its
// cause is returned). Each Acquire that returns nil is paired with one Release for the same
// caller.
func (s *Slots) Acquire(ctx context.Context, caller string) error {
	s.mu.Lock()
	if s.inUse < s.max {
		s.grant(caller)
		s.mu.Unlock()
		return nil
	}
	w := &slotWaiter{caller: caller, granted: make(chan struct{})}
	el := s.waiting.PushBack(w)
	s.mu.Unlock()
	select {
	case <-w.granted:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		select {
		case <-w.granted:
			// Granted as the context ended: hand the slot on.
			s.mu.Unlock()
			s.Release(caller)
		default:
			s.waiting.Remove(el)
			s.mu.Unlock()
		}
		return context.Cause(ctx)
	}
}

// Waiting is how many takers wait for a slot.
func (s *Slots) Waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting.Len()
}

// grant gives caller a slot. s.mu must be held.
func (s *Slots) grant(caller string) {
	s.inUse++
	s.held[caller]++
}

// Release gives back a slot caller acquired, to the next waiter if any.
func (s *Slots) Release(caller string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inUse--
	if s.held[caller]--; s.held[caller] == 0 {
		delete(s.held, caller)
	}
	s.dispatch()
}

// dispatch hands free slots to waiters: first those whose caller is below its share, oldest
// first, then any, oldest first. s.mu must be held.
func (s *Slots) dispatch() {
	for s.inUse < s.max && s.waiting.Len() > 0 {
		next := s.waiting.Front()
		for el := s.waiting.Front(); el != nil; el = el.Next() {
			if s.held[el.Value.(*slotWaiter).caller] < s.share {
				next = el
				break
			}
		}
		w := s.waiting.Remove(next).(*slotWaiter)
		s.grant(w.caller)
		close(w.granted)
	}
}

type callerKey struct{}

// CallerOf is the key the context's calls share slots under: the WithCaller identity's hash, else
// the token's, else "". It never holds a token.
func CallerOf(ctx context.Context) string {
	if caller, _ := ctx.Value(callerKey{}).(string); caller != "" {
		return caller
	}
	if cred, _ := ctx.Value(credentialKey{}).(*credential); cred != nil && cred.token != "" {
		return cred.hash
	}
	return ""
}

// Yielder is what a request holds while it executes (an execution slot, say) and may give back
// while one of its calls only sleeps, waiting out a 429 hold-off or a retry's backoff. Yield
// gives it back; resume takes it again before the call goes on, and fails when ctx ends first.
type Yielder interface {
	Yield() (resume func(ctx context.Context) error)
}

type yielderKey struct{}

// WithYielder returns a context whose calls give y back while they sleep.
func WithYielder(ctx context.Context, y Yielder) context.Context {
	return context.WithValue(ctx, yielderKey{}, y)
}

// WithCaller returns a context whose upstream calls count against the slots of the caller
// identity names (an API key, say), for WithMaxConcurrencyPerCaller. Only its hash is kept, as for
// tokens. Without it, calls count against the context's token.
func WithCaller(ctx context.Context, identity string) context.Context {
	return context.WithValue(ctx, callerKey{}, credentialHash("caller\x00"+identity))
}

// WithMaxConcurrencyPerCaller sets each caller's share of the WithMaxConcurrency slots (0: no
// share, first come first served). The share binds only while others wait: a caller alone may use
// every idle slot, and a freed slot goes first to a waiting caller below its share, so one
// caller's wide queries cannot keep the others waiting.
func WithMaxConcurrencyPerCaller(n int) Option {
	return func(c *Client) error {
		if n < 0 {
			return errors.New("bentley: max concurrency per caller must not be negative")
		}
		c.share = n
		return nil
	}
}
