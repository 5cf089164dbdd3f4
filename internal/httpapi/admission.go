package httpapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph"
)

// Admission: what a request may hold before and while it executes. A request reads its body
// first, under its own deadline and a byte budget shared by every body being read or held, and
// takes an execution slot only once it has one, so a slow client holds bytes it has sent, not
// a slot. Execution slots are shared between callers as upstream slots are.

// Defaults of the admission bounds; see Options.
const (
	DefaultMaxInFlightPerCaller = 16
	DefaultBodyReadTimeout      = 10 * time.Second
	DefaultBodyBufferBytes      = 32 << 20
)

// AdmissionObserver is told how many requests execute and wait, for metrics.
type AdmissionObserver interface {
	// InFlight moves the count of requests executing (holding an execution slot).
	InFlight(delta int)
	// Queued moves the count of requests waiting for an execution slot.
	Queued(delta int)
}

// inFlightWait is how long a request waits for a free slot before it is refused.
const inFlightWait = 2 * time.Second

// InFlightLimit serves at most max requests at once, each caller guaranteed share of them while
// others wait (bentley.Slots' work-conserving rule); a request past it waits up to inFlightWait
// for a slot and is then answered 503 with Retry-After, so the memory parsed documents and
// executions can take is bounded by configuration, not by traffic. A request whose platform
// calls only sleep on a hold-off gives its slot back while they do.
type InFlightLimit struct{ slots *bentley.Slots }

// NewInFlightLimit returns a bound of max requests at once with a per-caller share, for one or
// more handlers.
func NewInFlightLimit(max, share int) *InFlightLimit {
	if max <= 0 {
		max = DefaultMaxInFlight
	}
	return &InFlightLimit{slots: bentley.NewSlots(max, share)}
}

func (l *InFlightLimit) wrap(obs AdmissionObserver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		h := &heldSlot{slots: l.slots, caller: bentley.CallerOf(ctx), obs: obs}
		// A free slot is taken at once; only a request that must wait pays for a timer and
		// counts as queued.
		if !l.slots.TryAcquire(h.caller) {
			if err := l.wait(ctx, h); err != nil {
				if errors.Is(err, errOverloaded) {
					w.Header().Set("Retry-After", "1")
					writeRequestError(w, http.StatusServiceUnavailable, graph.CodeOverloaded, "the gateway is serving as many requests as it may; retry shortly")
				}
				return // else the client left
			}
		}
		h.took()
		defer h.done()
		next.ServeHTTP(w, r.WithContext(bentley.WithYielder(ctx, h)))
	})
}

var errOverloaded = errors.New("no execution slot in time")

// wait queues h's request for a slot, at most inFlightWait.
func (l *InFlightLimit) wait(ctx context.Context, h *heldSlot) error {
	if h.obs != nil {
		h.obs.Queued(1)
		defer h.obs.Queued(-1)
	}
	waitCtx, cancel := context.WithTimeoutCause(ctx, inFlightWait, errOverloaded)
	defer cancel()
	return l.slots.Acquire(waitCtx, h.caller)
}

// heldSlot is one request's execution slot, given back while the request's platform calls sleep
// (bentley.Yielder). A request's calls for one credential wait on the same hold-off, so they
// sleep together; the slot is given back when the first starts sleeping and taken again when
// the last wakes.
type heldSlot struct {
	slots  *bentley.Slots
	caller string
	obs    AdmissionObserver

	mu        sync.Mutex
	held      bool
	sleeping  int
	acquiring bool
	finished  bool
}

func (h *heldSlot) took() {
	h.mu.Lock()
	h.held = true
	h.mu.Unlock()
	if h.obs != nil {
		h.obs.InFlight(1)
	}
}

// done gives the slot back at the end of the request, if it is held.
func (h *heldSlot) done() {
	h.mu.Lock()
	h.finished = true
	release := h.held
	h.held = false
	h.mu.Unlock()
	if release {
		h.release()
	}
}

func (h *heldSlot) release() {
	h.slots.Release(h.caller)
	if h.obs != nil {
		h.obs.InFlight(-1)
	}
}

// Yield gives the slot back while a call sleeps.
func (h *heldSlot) Yield() func(context.Context) error {
	h.mu.Lock()
	h.sleeping++
	release := h.sleeping == 1 && h.held && !h.finished
	if release {
		h.held = false
	}
	h.mu.Unlock()
	if release {
		h.release()
	}
	return h.resume
}

// resume takes the slot again when the last sleeping call wakes; the caller's share rules apply
// as to any request waiting for a slot.
func (h *heldSlot) resume(ctx context.Context) error {
	h.mu.Lock()
	h.sleeping--
	acquire := h.sleeping == 0 && !h.held && !h.acquiring && !h.finished
	if acquire {
		h.acquiring = true
	}
	h.mu.Unlock()
	if !acquire {
		return nil
	}
	err := h.slots.Acquire(ctx, h.caller)
	h.mu.Lock()
	h.acquiring = false
	keep := err == nil && !h.finished
	h.held = keep
	h.mu.Unlock()
	switch {
	case err != nil:
		return err
	case !keep:
		h.slots.Release(h.caller) // the request ended while the slot was on its way
		return nil
	}
	if h.obs != nil {
		h.obs.InFlight(1)
	}
	return nil
}

// bodyBudget bounds the bytes of request bodies held at once, being read or read: a body takes
// its bytes as they arrive, so a slow client holds what it has sent, and gives them back when
// its request is answered.
type bodyBudget struct{ left atomic.Int64 }

// BodyBudget is a budget of request body bytes, for one or more handlers.
type BodyBudget struct{ b *bodyBudget }

// NewBodyBudget returns a budget of bytes (DefaultBodyBufferBytes when not positive).
func NewBodyBudget(bytes int64) *BodyBudget {
	if bytes <= 0 {
		bytes = DefaultBodyBufferBytes
	}
	b := &bodyBudget{}
	b.left.Store(bytes)
	return &BodyBudget{b: b}
}

func (b *bodyBudget) take(n int64) bool {
	if b.left.Add(-n) < 0 {
		b.left.Add(n)
		return false
	}
	return true
}

func (b *bodyBudget) give(n int64) { b.left.Add(n) }

// bodyChunk is the step in which a body of unknown or large length takes from the budget.
const bodyChunk = 16 << 10

var (
	errBodyTooLarge = errors.New("body too large")
	errBodyBudget   = errors.New("body budget spent")
)

// readAllBudgeted reads r to its end, at most max bytes, taking buffer space from budget as it
// grows, refusing more than limit bytes. It returns the body and the bytes taken, to be given back when the request is done
// (also on error).
func readAllBudgeted(r io.Reader, contentLength, limit int64, budget *bodyBudget) ([]byte, int64, error) {
	first := int64(bodyChunk)
	if contentLength >= 0 && contentLength < first {
		first = contentLength + 1 // room to see the end
	}
	var held int64
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			grow := max(first, int64(cap(buf))) // double, from the first step
			grow = min(grow, limit+1-int64(cap(buf)))
			if contentLength >= 0 && int64(cap(buf)) <= contentLength {
				grow = min(grow, contentLength+1-int64(cap(buf)))
			}
			if grow <= 0 {
				return nil, held, errBodyTooLarge
			}
			if !budget.take(grow) {
				return nil, held, errBodyBudget
			}
			held += grow
			next := make([]byte, len(buf), int64(cap(buf))+grow)
			copy(next, buf)
			buf = next
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, held, errBodyTooLarge
		}
		if err == io.EOF {
			return buf, held, nil
		}
		if err != nil {
			return nil, held, err
		}
	}
}

// isTimeout reports whether a body read failed on its deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, http.ErrHandlerTimeout)
}
