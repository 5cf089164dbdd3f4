package bentley

import (
	"container/list"
	"sync"
	"time"
)

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
