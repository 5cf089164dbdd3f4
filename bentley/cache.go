package bentley

import (
	"context"
	"time"
)

// AnswerCache is where the client keeps successful answers within the process (WithCache),
// bounded in entries and bytes by its implementation: the gateway's is sharedstate's LRU, with
// CachedAnswer.Bytes as its cost. Keys carry the credential hash, so one caller's answers are
// never served to another.
type AnswerCache interface {
	Get(ctx context.Context, key string) (*CachedAnswer, bool)
	Add(ctx context.Context, key string, answer *CachedAnswer)
}

// CachedAnswer is one kept answer, immutable once made, with the time it goes stale.
type CachedAnswer struct {
	res     *rawResponse
	expires time.Time
}

// Bytes is the answer's size, for the cache's byte bound.
func (a *CachedAnswer) Bytes() int64 { return int64(len(a.res.body)) }

// responseCache keeps successful answers for a fixed time in an AnswerCache.
type responseCache struct {
	ttl   time.Duration
	store AnswerCache
	now   func() time.Time
}

func (c *responseCache) get(ctx context.Context, key string) (*rawResponse, bool) {
	a, ok := c.store.Get(ctx, key)
	if !ok || !c.now().Before(a.expires) {
		return nil, false
	}
	return a.res, true
}

func (c *responseCache) put(ctx context.Context, key string, res *rawResponse) {
	c.store.Add(ctx, key, &CachedAnswer{res: res, expires: c.now().Add(c.ttl)})
}
