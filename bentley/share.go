package bentley

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// rawResponse is an upstream answer read in full. Once made it is never modified, so one value
// can be handed to every caller that shares the call: each decodes its own copy.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// credentialHash identifies a bearer token in shared state without keeping the token.
func credentialHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// shareKey names an upstream call for deduplication and caching: the caller's credential hash,
// the method, the URL, the Prefer header (which picks the representation) and the body. Two
// credentials never share a key.
func shareKey(credential string, method, url, prefer string, body []byte) string {
	return credential + "\x00" + method + " " + url + "\x00" + prefer + "\x00" + string(body)
}

// flightGroup lets identical concurrent calls share one upstream request. The request runs on a
// context of its own that is cancelled when every caller waiting for it has gone, so a client
// that disconnects cancels its upstream call unless someone else still wants the answer.
type flightGroup struct {
	mu      sync.Mutex
	flights map[string]*flight
}

type flight struct {
	done    chan struct{}
	res     *rawResponse
	err     error
	waiters int
	cancel  context.CancelFunc
}

// do returns the answer of fn for key, calling fn only if no identical call is in flight.
// shared reports whether the answer came from another caller's call.
func (g *flightGroup) do(ctx context.Context, key string, fn func(context.Context) (*rawResponse, error)) (res *rawResponse, err error, shared bool) {
	g.mu.Lock()
	if g.flights == nil {
		g.flights = map[string]*flight{}
	}
	f, shared := g.flights[key]
	if !shared {
		// The call outlives the caller that started it if others join; its values (trace
		// context) still come from that first caller.
		callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel}
		g.flights[key] = f
		go func() {
			f.res, f.err = fn(callCtx)
			g.mu.Lock()
			if g.flights[key] == f {
				delete(g.flights, key)
			}
			g.mu.Unlock()
			cancel()
			close(f.done)
		}()
	}
	f.waiters++
	g.mu.Unlock()

	select {
	case <-f.done:
		return f.res, f.err, shared
	case <-ctx.Done():
		g.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			// Nobody wants the answer any more: cancel the call, and let the next caller start
			// a fresh one rather than join a cancelled flight.
			f.cancel()
			if g.flights[key] == f {
				delete(g.flights, key)
			}
		}
		g.mu.Unlock()
		return nil, context.Cause(ctx), shared
	}
}

// responseCache keeps successful answers for a fixed time, bounded in entries and bytes, and
// evicts the least recently used first. Keys carry the credential hash, so one caller's answers
// are never served to another.
type responseCache struct {
	ttl        time.Duration
	maxEntries int
	maxBytes   int
	now        func() time.Time

	mu    sync.Mutex
	bytes int
	order *list.List // front is most recently used
	items map[string]*list.Element
}

type cacheEntry struct {
	key     string
	res     *rawResponse
	expires time.Time
	size    int
}

func newResponseCache(ttl time.Duration, maxEntries, maxBytes int) *responseCache {
	return &responseCache{
		ttl: ttl, maxEntries: maxEntries, maxBytes: maxBytes, now: time.Now,
		order: list.New(), items: map[string]*list.Element{},
	}
}

func (c *responseCache) get(key string) (*rawResponse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.remove(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.res, true
}

// put keeps an answer and returns how many others it evicted to stay within the bounds.
func (c *responseCache) put(key string, res *rawResponse) (evicted int) {
	size := len(key) + len(res.body)
	if size > c.maxBytes {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key: key, res: res, expires: c.now().Add(c.ttl), size: size})
	c.bytes += size
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.remove(c.order.Back())
		evicted++
	}
	return evicted
}

func (c *responseCache) remove(el *list.Element) {
	e := c.order.Remove(el).(*cacheEntry)
	delete(c.items, e.key)
	c.bytes -= e.size
}

// stats reports the entries and bytes held, for tests and metrics.
func (c *responseCache) stats() (entries, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}
