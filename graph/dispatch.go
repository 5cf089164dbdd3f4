package graph

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
)

// Dispatch without a window. The dataloader collects keys for a fixed window (BatchWait) because
// in general a loader cannot know whether more keys are coming. Often the gateway does know:
// lookahead has read every key of a level off the operation (itwin(id) and its account, member
// and profile; a list page's children; a member page's profiles; the ids of users(ids:); the
// aliased user(id:) fields of the root). Those keys are sent at once with now(), as batches of
// the loader's capacity, and their results are placed in the loader's cache before any resolver
// asks, so the resolvers' Loads find them there and nobody waits out a window. Keys nobody
// could foresee still go through the window.

// loader is a dataloader with its batch function and a cache now() can place loads in.
type loader[K comparable, V any] struct {
	*dataloader.Loader[K, V]
	cache    *thunkCache[K, V]
	batch    dataloader.BatchFunc[K, V]
	capacity int
}

// newLoader makes a loader with an explicit batch window, batch capacity and input buffer.
func newLoader[K comparable, V any](batch dataloader.BatchFunc[K, V], wait time.Duration, capacity int) *loader[K, V] {
	cache := &thunkCache[K, V]{m: map[K]dataloader.Thunk[V]{}}
	return &loader[K, V]{
		Loader: dataloader.NewBatchedLoader(batch, dataloader.WithWait[K, V](wait), dataloader.WithBatchCapacity[K, V](capacity),
			dataloader.WithInputCapacity[K, V](loaderInputCapacity), dataloader.WithCache[K, V](cache)),
		cache: cache, batch: batch, capacity: capacity,
	}
}

// now starts the loads of keys at once, in batches of at most the loader's capacity. A key
// already loading (or loaded) keeps its load; a key given twice is loaded once.
func (b *loader[K, V]) now(ctx context.Context, keys []K) {
	todo, slots := b.cache.claim(keys)
	for len(todo) > 0 {
		n := min(len(todo), b.capacity)
		chunk, ps := todo[:n], slots[:n]
		todo, slots = todo[n:], slots[n:]
		go b.run(ctx, chunk, ps)
	}
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

// pending is a load started by now(): its thunk waits for the batch's result.
type pending[V any] struct {
	once sync.Once
	done chan struct{}
	res  *dataloader.Result[V]
}

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

// thunkCache is the loaders' cache: the library's in-memory cache, plus claim, which now() uses
// to place loads only where none exists.
type thunkCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]dataloader.Thunk[V]
}

func (c *thunkCache[K, V]) Get(_ context.Context, k K) (dataloader.Thunk[V], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[k]
	return t, ok
}

func (c *thunkCache[K, V]) Set(_ context.Context, k K, t dataloader.Thunk[V]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = t
}

func (c *thunkCache[K, V]) Delete(_ context.Context, k K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[k]
	delete(c.m, k)
	return ok
}

func (c *thunkCache[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}

// claim places a pending load for each key that has none (a key given twice gets one), under
// one lock, and returns those keys with their loads. Keys already loading cost nothing: a root
// field's prefetch has usually claimed them before the field's own call.
func (c *thunkCache[K, V]) claim(keys []K) (todo []K, slots []*pending[V]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if _, ok := c.m[k]; ok {
			continue
		}
		p := &pending[V]{done: make(chan struct{})}
		c.m[k] = p.thunk
		todo = append(todo, k)
		slots = append(slots, p)
	}
	return todo, slots
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
