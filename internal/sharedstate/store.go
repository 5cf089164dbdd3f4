// Package sharedstate is the state the gateway keeps between requests and shares between
// replicas: one best-effort Store interface, with an in-memory implementation (Memory), the Redis
// tier (Tier) and their composition (Tiered), and the byte-bounded LRU behind the in-memory
// caches. "Best effort" is the contract: a store that is down or slow answers a miss and drops a
// write, and never fails a request.
package sharedstate

import (
	"context"
	"time"
)

// Store keeps values under keys for a time, best effort.
type Store interface {
	// Get returns the value at key, or false (missing, expired, or the store is unreachable).
	Get(ctx context.Context, key string) ([]byte, bool)
	// Set stores value at key for ttl, or does nothing when the store is unreachable.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration)
}

// Memory is a Store in the process, bounded in entries and bytes (an LRU).
type Memory struct {
	lru *LRU[memoryEntry]
	now func() time.Time
}

type memoryEntry struct {
	value   []byte
	expires time.Time
}

// NewMemory returns a Store of at most maxEntries values and maxBytes of keys and values.
func NewMemory(maxEntries int, maxBytes int64) *Memory {
	m := &Memory{lru: NewLRU[memoryEntry](maxEntries, maxBytes), now: time.Now}
	m.lru.Cost = func(key string, e memoryEntry) int64 { return int64(len(key) + len(e.value)) }
	return m
}

// Get returns a value that has not expired.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, bool) {
	e, ok := m.lru.Get(ctx, key)
	if !ok || !e.expires.IsZero() && !m.now().Before(e.expires) {
		return nil, false
	}
	return e.value, true
}

// Set keeps value for ttl (0: until evicted). The value is not copied: callers hand over bytes
// they no longer change.
func (m *Memory) Set(ctx context.Context, key string, value []byte, ttl time.Duration) {
	e := memoryEntry{value: value}
	if ttl > 0 {
		e.expires = m.now().Add(ttl)
	}
	m.lru.Add(ctx, key, e)
}

// Bytes reports the estimated bytes held.
func (m *Memory) Bytes() int64 { return m.lru.Bytes() }

// Tiered is a Store in two tiers: Local first, then Shared (another replica may have written
// it), whose hits are kept in Local; writes go to both.
type Tiered struct {
	Local, Shared Store
	// LocalTTL is how long a value read from Shared is kept in Local.
	LocalTTL time.Duration
}

// Get reads Local, then Shared.
func (t Tiered) Get(ctx context.Context, key string) ([]byte, bool) {
	if v, ok := t.Local.Get(ctx, key); ok {
		return v, true
	}
	v, ok := t.Shared.Get(ctx, key)
	if ok {
		t.Local.Set(ctx, key, v, t.LocalTTL)
	}
	return v, ok
}

// Set writes both tiers.
func (t Tiered) Set(ctx context.Context, key string, value []byte, ttl time.Duration) {
	t.Local.Set(ctx, key, value, ttl)
	t.Shared.Set(ctx, key, value, ttl)
}

var (
	_ Store = (*Memory)(nil)
	_ Store = Tiered{}
	_ Store = (*Tier)(nil)
)
