package graph

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
)

// Dispatch. A loader cannot know in general whether more keys are coming, so the library's
// batcher holds every batch for a fixed window (WithWait). Often the gateway does know:
// lookahead has read every key of a level off the operation (itwin(id) and its account, member
// and profile, and once the iTwin is back its creator, modifier and parent; a list page's
// children; a member page's profiles; the ids of users(ids:); the aliased user(id:) fields of
// the root). Those keys are sent at once with now(), as batches of the loader's capacity, and
// their loads are placed in the loader's cache before any resolver asks, so the resolvers'
// Loads find them there and nobody waits.
//
// The keys nobody foresaw (the creators of a federation router's _entities: lookahead does not
// follow _entities) go through a window that closes when no key has arrived for an idle gap
// (DefaultBatchIdle, tens of microseconds) or at the cap (DefaultBatchWait), whichever is first.
// Go's timers cannot wait tens of microseconds (anything under about a millisecond fires after
// about 1.1 ms), so the window's collector yields the processor (runtime.Gosched) and looks
// again: a yield puts it behind the goroutines already runnable, so by the time it looks, the
// resolvers woken with it (one level's siblings, about to ask for their children) have mostly
// had their turn. Mostly: a resolver held up longer than the gap (a garbage collector worker on
// its processor, an idle processor's thread waking) misses the batch, 2-5 % of the entity
// queries in the tests; on saturated processors resolvers wait in run queues for milliseconds
// and a level splits as often as with a fixed 2 ms window or a 10 ms cap (BENCHMARKS.md counts
// the splits; holding the window for woken waiters was tried and split no less). The looking
// costs CPU for about the gap per window (the cap at most), only on this path. The library's
// batcher has no idle gap, so the loaders keep its types (BatchFunc, Result, Thunk) and have
// their own batcher.

// dispatcher is what one request's loaders share to decide when an open window goes.
type dispatcher struct {
	wait time.Duration // the cap: a window never stays open longer
	idle time.Duration // the gap: a window closes once no key has come for this long; 0 waits for the cap
}

// loader batches the keys of one request for one endpoint.
type loader[K comparable, V any] struct {
	batch    dataloader.BatchFunc[K, V]
	capacity int
	d        *dispatcher

	mu    sync.Mutex
	cache map[K]dataloader.Thunk[V] // every key's load, for the request's life
	open  *openBatch[K, V]          // the keys waiting to go, nil when none
}

// openBatch is the keys of one batch that has not gone yet, with their loads.
type openBatch[K comparable, V any] struct {
	ctx   context.Context // the first key's, as the library passes to the batch function
	keys  []K
	slots []*pending[V]
}

// init makes b a loader of at most capacity keys a batch, whose windows d closes. Loaders are
// fields of Loaders, made with it, and their caches are made on first use: a request uses few.
func (b *loader[K, V]) init(d *dispatcher, batch dataloader.BatchFunc[K, V], capacity int) {
	b.batch, b.capacity, b.d = batch, capacity, d
}

// Load returns the key's load: the one already started, or a new one in the open window.
func (b *loader[K, V]) Load(ctx context.Context, key K) dataloader.Thunk[V] {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t, ok := b.cache[key]; ok {
		return t
	}
	p := newPending[V]()
	set(&b.cache, key, p.thunk)
	w := b.open
	if w == nil {
		w = &openBatch[K, V]{ctx: ctx}
		b.open = w
		go b.collect(w)
	}
	w.keys = append(w.keys, key)
	w.slots = append(w.slots, p)
	if len(w.keys) >= b.capacity {
		b.open = nil // full: it goes now, and the collector finds it gone
		go b.run(w.ctx, w.keys, w.slots)
	}
	return p.thunk
}

// collect sends w once no key has joined it for the idle gap, or at the cap.
func (b *loader[K, V]) collect(w *openBatch[K, V]) {
	d := b.d
	start := time.Now()
	if d.idle <= 0 {
		time.Sleep(d.wait)
	}
	quiet, seen := start, -1
	for {
		if d.idle > 0 {
			runtime.Gosched()
		}
		b.mu.Lock()
		if b.open != w {
			b.mu.Unlock()
			return // it went out full
		}
		now := time.Now()
		if n := len(w.keys); n != seen {
			seen, quiet = n, now
		}
		if d.idle <= 0 || now.Sub(start) >= d.wait || now.Sub(quiet) >= d.idle {
			b.open = nil
			b.mu.Unlock()
			b.run(w.ctx, w.keys, w.slots)
			return
		}
		b.mu.Unlock()
	}
}

// now starts the loads of keys at once, in batches of at most the loader's capacity. A key
// already loading (or loaded) keeps its load; a key given twice is loaded once.
func (b *loader[K, V]) now(ctx context.Context, keys []K) {
	todo, slots := b.claim(keys)
	for len(todo) > 0 {
		n := min(len(todo), b.capacity)
		chunk, ps := todo[:n], slots[:n]
		todo, slots = todo[n:], slots[n:]
		go b.run(ctx, chunk, ps)
	}
}

// claim places a pending load for each key that has none (a key given twice gets one), under
// one lock, and returns those keys with their loads. Keys already loading cost nothing: a root
// field's prefetch has usually claimed them before the field's own call.
func (b *loader[K, V]) claim(keys []K) (todo []K, slots []*pending[V]) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		if _, ok := b.cache[k]; ok {
			continue
		}
		p := newPending[V]()
		set(&b.cache, k, p.thunk)
		todo = append(todo, k)
		slots = append(slots, p)
	}
	return todo, slots
}

// Prime places a known value for key unless the key already has a load.
func (b *loader[K, V]) Prime(_ context.Context, key K, value V) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.cache[key]; !ok {
		set(&b.cache, key, func() (V, error) { return value, nil })
	}
}

// Clear forgets key's load, so the next Load asks the platform again.
func (b *loader[K, V]) Clear(_ context.Context, key K) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.cache, key)
}

// run makes one batch call and hands each key its result; a panic fails the batch's keys, as
// the dataloader does, instead of the process.
func (b *loader[K, V]) run(ctx context.Context, keys []K, slots []*pending[V]) {
	var results []*dataloader.Result[V]
	defer func() {
		if r := recover(); r != nil {
			results = nil
			err := fmt.Errorf("panic in a batch: %v", r)
			for _, p := range slots {
				p.set(&dataloader.Result[V]{Error: err})
			}
		}
	}()
	results = b.batch(ctx, keys)
	for i, p := range slots {
		if i < len(results) && results[i] != nil {
			p.set(results[i])
		} else {
			p.set(&dataloader.Result[V]{Error: fmt.Errorf("the batch returned %d results for %d keys", len(results), len(keys))})
		}
	}
}

// pending is one key's load: its thunk waits for the batch's result.
type pending[V any] struct {
	once sync.Once
	done chan struct{}
	res  *dataloader.Result[V]
}

func newPending[V any]() *pending[V] { return &pending[V]{done: make(chan struct{})} }

func (p *pending[V]) set(r *dataloader.Result[V]) {
	p.once.Do(func() {
		p.res = r
		close(p.done)
	})
}

func (p *pending[V]) thunk() (V, error) {
	<-p.done
	return p.res.Data, p.res.Error
}

// known collects the keys a resolver can foresee, to send them together with Loaders.send.
type known struct {
	itwins, accounts, accountsByID, roles, permissions, users []string
	members                                                   []memberKey
	memberPages                                               []memberPageKey
}

// send starts every collected load at once.
func (l *Loaders) send(ctx context.Context, k *known) {
	l.itwins.now(ctx, k.itwins)
	l.accounts.now(ctx, k.accounts)
	l.accountsByID.now(ctx, k.accountsByID)
	l.members.now(ctx, k.members)
	l.memberPages.now(ctx, k.memberPages)
	l.roles.now(ctx, k.roles)
	l.permissions.now(ctx, k.permissions)
	l.users.now(ctx, k.users)
}
