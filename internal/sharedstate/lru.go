package sharedstate

import (
	"container/list"
	"context"
	"sync"
)

// LRU is a least-recently-used cache bounded by entries and by an estimate of the bytes it
// holds, so what it keeps is bounded by configuration, not by traffic: a thousand distinct 1 MB
// documents cannot pin a gigabyte. It implements gqlgen's graphql.Cache. hashicorp/golang-lru
// (behind gqlgen's own lru) bounds the number of entries, not their bytes, hence these sixty lines.
type LRU[V any] struct {
	maxEntries int
	maxBytes   int64
	// Cost estimates the bytes an entry holds; the key's length when nil. Set it before use.
	Cost func(key string, v V) int64
	// Evicted, when set, is told how many entries an Add evicted to stay within the bounds.
	Evicted func(n int)

	mu    sync.Mutex
	bytes int64
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type lruEntry[V any] struct {
	key  string
	v    V
	cost int64
}

// NewLRU returns an LRU of at most maxEntries entries and maxBytes estimated bytes.
func NewLRU[V any](maxEntries int, maxBytes int64) *LRU[V] {
	return &LRU[V]{maxEntries: maxEntries, maxBytes: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

// Get returns the value for key and marks it recently used.
func (c *LRU[V]) Get(_ context.Context, key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*lruEntry[V]).v, true
	}
	var zero V
	return zero, false
}

// Add keeps value under key, evicting the least recently used entries until both bounds hold.
// An entry larger than the byte bound on its own is not kept.
func (c *LRU[V]) Add(_ context.Context, key string, value V) {
	cost := int64(len(key))
	if c.Cost != nil {
		cost = c.Cost(key, value)
	}
	evicted := 0
	c.mu.Lock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	if cost <= c.maxBytes {
		c.items[key] = c.order.PushFront(&lruEntry[V]{key: key, v: value, cost: cost})
		c.bytes += cost
		for c.bytes > c.maxBytes || c.order.Len() > c.maxEntries {
			c.remove(c.order.Back())
			evicted++
		}
	}
	c.mu.Unlock()
	if evicted > 0 && c.Evicted != nil {
		c.Evicted(evicted)
	}
}

func (c *LRU[V]) remove(el *list.Element) {
	e := el.Value.(*lruEntry[V])
	c.order.Remove(el)
	delete(c.items, e.key)
	c.bytes -= e.cost
}

// Bytes reports the estimated bytes held.
func (c *LRU[V]) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
