package graph

import (
	"context"
	"fmt"
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
// their loads are placed in the loader's cache (the library's Cache, which Load consults first)
// before any resolver asks, so the resolvers' Loads find them there and nobody waits.
//
// The keys nobody foresaw (the creators of a federation router's _entities: lookahead does not
// follow _entities) go through the library's own window: BATCH_WAIT from the first such key, or
// until the batch is full.

// dispatcher is what one request's loaders share: the library's window for unforeseen keys.
type dispatcher struct {
	wait time.Duration
}

// loaderInput is the library's input buffer per loader: a request's unforeseen keys are few,
// and the library's default of 1000 would allocate that much for every loader of every request.
const loaderInput = 16

// loader is one request's dataloader for one endpoint, with the cache its foreseen keys go into.
type loader[K comparable, V any] struct {
	batch    dataloader.BatchFunc[K, V]
	capacity int
	d        *dispatcher

	once  sync.Once
	dl    *dataloader.Loader[K, V] // made on the first unforeseen key: a request uses few
	cache thunks[K, V]
}

// init makes b a loader of at most capacity keys a batch, with d's window. Loaders are fields of
// Loaders, made with it.
func (b *loader[K, V]) init(d *dispatcher, batch dataloader.BatchFunc[K, V], capacity int) {
	b.batch, b.capacity, b.d = batch, capacity, d
}

// library returns the loader's dataloader.Loader, made on first use.
func (b *loader[K, V]) library() *dataloader.Loader[K, V] {
	b.once.Do(func() {
		b.dl = dataloader.NewBatchedLoader(b.batch,
			dataloader.WithWait[K, V](b.d.wait),
			dataloader.WithBatchCapacity[K, V](b.capacity),
			dataloader.WithInputCapacity[K, V](loaderInput),
			dataloader.WithCache[K, V](&b.cache))
	})
	return b.dl
}

// Load returns the key's load: one already started (foreseen, or loaded before), else the
// library's, in its window.
func (b *loader[K, V]) Load(ctx context.Context, key K) dataloader.Thunk[V] {
	if t, ok := b.cache.Get(ctx, key); ok {
		return t
	}
	return b.library().Load(ctx, key)
}

// Prime places a known value for key unless the key already has a load.
func (b *loader[K, V]) Prime(ctx context.Context, key K, value V) {
	b.library().Prime(ctx, key, value)
}

// Clear forgets key's load, so the next Load asks the platform again.
func (b *loader[K, V]) Clear(ctx context.Context, key K) {
	b.library().Clear(ctx, key)
}

// thunks is a loader's cache: every key's load, for the request's life (dataloader.Cache).
type thunks[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]dataloader.Thunk[V]
}

func (c *thunks[K, V]) Get(_ context.Context, key K) (dataloader.Thunk[V], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[key]
	return t, ok
}

func (c *thunks[K, V]) Set(_ context.Context, key K, t dataloader.Thunk[V]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set(&c.m, key, t)
}

func (c *thunks[K, V]) Delete(_ context.Context, key K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[key]
	delete(c.m, key)
	return ok
}

func (c *thunks[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
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
	c := &b.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if _, ok := c.m[k]; ok {
			continue
		}
		p := newPending[V]()
		set(&c.m, k, p.thunk)
		todo = append(todo, k)
		slots = append(slots, p)
	}
	return todo, slots
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
