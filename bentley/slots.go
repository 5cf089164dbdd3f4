package bentley

import (
	"container/list"
	"context"
	"errors"
	"sync"
)

// slots bounds the upstream calls in flight and shares them between callers, work-conserving: a
// call gets a slot at once while one is free, whoever makes it; when none is, it waits, and each
// freed slot goes to the longest-waiting call of a caller holding less than its share, or, when
// every waiting caller is at its share, to the longest-waiting call. golang.org/x/sync/semaphore
// hands slots out in arrival order only, which is what let one caller's wide queries starve the
// rest, so the queue is kept here.
type slots struct {
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

func newSlots(max, share int) *slots {
	if share <= 0 || share > max {
		share = max
	}
	return &slots{max: max, share: share, held: map[string]int{}, waiting: list.New()}
}

// acquire takes a slot for caller, waiting for one when all are taken. Each acquire that
// returns nil is paired with one release for the same caller.
func (s *slots) acquire(ctx context.Context, caller string) error {
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
			s.release(caller)
		default:
			s.waiting.Remove(el)
			s.mu.Unlock()
		}
		return context.Cause(ctx)
	}
}

// grant gives caller a slot. s.mu must be held.
func (s *slots) grant(caller string) {
	s.inUse++
	s.held[caller]++
}

// release gives back a slot caller acquired, to the next waiter if any.
func (s *slots) release(caller string) {
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
func (s *slots) dispatch() {
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
