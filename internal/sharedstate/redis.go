// The Redis tier of the shared state: the APQ store, the response cache's second tier and
// rate-limit hold-offs. It never takes the gateway down: every call is bounded by a short
// timeout, and once Redis fails the tier reports itself down and answers misses at once, without
// network, until a background probe finds Redis again.

package sharedstate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Observer is told the tier's state and its failed calls, for metrics.
type Observer interface {
	SharedTierUp(up bool)
	SharedTierError(op string)
}

// Tier is a Redis-backed shared tier. Its zero value is not usable; see Open.
type Tier struct {
	client  redis.UniversalClient
	timeout time.Duration
	// maxValue bounds what Get reads of a value: this gateway stores nothing larger, so a larger
	// value was planted by someone else and is a miss, read no further than the bound.
	maxValue int64
	prefix   string
	logger   *slog.Logger
	observer Observer
	onHold   atomic.Pointer[func(scope string, until time.Time)]

	mu   sync.Mutex
	up   bool
	stop context.CancelFunc
	done chan struct{}
}

// holdOffChannel carries "scope until-unix-ms" messages between replicas.
const holdOffChannel = "holdoff"

// maxHoldOffScope bounds a published scope: the gateway publishes credential hashes (64 hex
// characters), so anything much longer was not published by a replica.
const maxHoldOffScope = 128

// probeInterval is how often the tier checks Redis in the background.
const probeInterval = time.Second

// Open connects to the Redis at rawURL:
//   - redis://[user:password@]host:port[/db] or rediss:// (TLS): one server;
//   - redis+sentinel://[user:password@]host:port?master_name=NAME&addr=host2:port: Sentinel;
//   - redis+cluster://[user:password@]host:port?addr=host2:port: Cluster.
//
// Open does not wait for Redis: a gateway starts and serves without it, and the tier comes up
// when a probe first succeeds. maxValue is the largest value the gateway stores (larger ones are
// read only up to it, and missed). OnHoldOff subscribes to the hold-offs replicas publish.
func Open(rawURL string, timeout time.Duration, maxValue int64, logger *slog.Logger, observer Observer) (*Tier, error) {
	client, err := newClient(rawURL, timeout)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Tier{client: client, timeout: timeout, maxValue: maxValue, prefix: "itwin-gateway:", logger: logger,
		observer: observer, stop: cancel, done: make(chan struct{})}
	if observer != nil {
		observer.SharedTierUp(false)
	}
	t.probe(ctx)
	go t.run(ctx)
	return t, nil
}

func newClient(rawURL string, timeout time.Duration) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("REDIS_URL is not a URL") // the URL may hold a password: not quoted
	}
	scheme, kind, _ := strings.Cut(u.Scheme, "+")
	if scheme != "redis" && scheme != "rediss" {
		return nil, fmt.Errorf("REDIS_URL: scheme %q is not redis, rediss, redis+sentinel or redis+cluster", u.Scheme)
	}
	u.Scheme = scheme
	plain := u.String()
	// Every call gets the tier's timeout; the pool is kept small and never waits long for a
	// connection, so an unreachable Redis costs a request at most about the timeout.
	switch kind {
	case "":
		o, err := redis.ParseURL(plain)
		if err != nil {
			return nil, errors.New("REDIS_URL: " + redactedError(err))
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = timeout, timeout, timeout, timeout
		o.MaxRetries = -1
		o.ContextTimeoutEnabled = true
		return redis.NewClient(o), nil
	case "sentinel":
		o, err := redis.ParseFailoverURL(plain)
		if err != nil {
			return nil, errors.New("REDIS_URL: " + redactedError(err))
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = timeout, timeout, timeout, timeout
		o.MaxRetries = -1
		o.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(o), nil
	case "cluster":
		o, err := redis.ParseClusterURL(plain)
		if err != nil {
			return nil, errors.New("REDIS_URL: " + redactedError(err))
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = timeout, timeout, timeout, timeout
		o.MaxRetries = -1
		o.ContextTimeoutEnabled = true
		return redis.NewClusterClient(o), nil
	default:
		return nil, fmt.Errorf("REDIS_URL: scheme %q is not redis, rediss, redis+sentinel or redis+cluster", u.Scheme)
	}
}

// redactedError keeps go-redis's URL errors, which name parameters, from repeating the URL.
func redactedError(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "@") || strings.Contains(msg, "://") {
		return "the URL could not be parsed"
	}
	return msg
}

// Close stops the background work and closes the connections.
func (t *Tier) Close() {
	t.stop()
	<-t.done
	_ = t.client.Close()
}

// Up reports whether the tier is in use.
func (t *Tier) Up() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.up
}

// Status is the tier's state for /readyz: "up" or "down".
func (t *Tier) Status() string {
	if t.Up() {
		return "up"
	}
	return "down"
}

// setUp records the state, logging and reporting it once per change.
func (t *Tier) setUp(up bool, cause error) {
	t.mu.Lock()
	changed := t.up != up
	t.up = up
	t.mu.Unlock()
	if !changed {
		return
	}
	if t.observer != nil {
		t.observer.SharedTierUp(up)
	}
	if up {
		t.logger.Info("shared tier (Redis) is up: APQ, cache and hold-offs are shared between replicas")
	} else {
		t.logger.Warn("shared tier (Redis) is down: serving without it (local APQ, no shared cache) until it answers again",
			"error", describe(cause))
	}
}

// describe names a Redis failure without its text, which may carry an address or a key.
func describe(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "timeout"
	case strings.Contains(err.Error(), "refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "i/o timeout"):
		return "timeout"
	default:
		return "error"
	}
}

func (t *Tier) failed(op string, err error) {
	if t.observer != nil {
		t.observer.SharedTierError(op)
	}
	t.setUp(false, err)
}

// run probes Redis and listens for hold-offs until Close.
func (t *Tier) run(ctx context.Context) {
	defer close(t.done)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t.listen(ctx)
	}()
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
			t.probe(ctx)
		}
	}
}

func (t *Tier) probe(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	if err := t.client.Ping(pctx).Err(); err != nil {
		if ctx.Err() == nil {
			t.failed("ping", err)
		}
		return
	}
	t.setUp(true, nil)
}

// listen receives hold-offs; go-redis resubscribes by itself after a lost connection.
func (t *Tier) listen(ctx context.Context) {
	sub := t.client.Subscribe(ctx, t.prefix+holdOffChannel)
	defer sub.Close()
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			scope, ms, found := strings.Cut(msg.Payload, " ")
			n, err := strconv.ParseInt(ms, 10, 64)
			onHold := t.onHold.Load()
			if !found || err != nil || onHold == nil || len(scope) > maxHoldOffScope {
				continue
			}
			(*onHold)(scope, time.UnixMilli(n))
		}
	}
}

// Get returns the value at key; a miss when Redis is down, slow or lacks it.
func (t *Tier) Get(ctx context.Context, key string) ([]byte, bool) {
	if !t.Up() {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.timeout)
	defer cancel()
	// GETRANGE reads at most one byte past the bound, so a planted value of any size costs this
	// replica no more than that; a missing key reads as empty, which no stored value is.
	v, err := t.client.GetRange(ctx, t.prefix+key, 0, t.maxValue).Bytes()
	if err != nil {
		t.failed("get", err)
		return nil, false
	}
	if len(v) == 0 || int64(len(v)) > t.maxValue {
		return nil, false
	}
	return v, true
}

// Set stores value at key for ttl; nothing when Redis is down or slow.
func (t *Tier) Set(ctx context.Context, key string, value []byte, ttl time.Duration) {
	if !t.Up() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.timeout)
	defer cancel()
	if err := t.client.Set(ctx, t.prefix+key, value, ttl).Err(); err != nil {
		t.failed("set", err)
	}
}

// OnHoldOff makes fn receive every hold-off any replica publishes from now on (this one's
// included), replacing an earlier subscriber: the platform client, once it exists.
func (t *Tier) OnHoldOff(fn func(scope string, until time.Time)) { t.onHold.Store(&fn) }

// PublishHoldOff tells every replica (this one included) that scope must wait until until.
func (t *Tier) PublishHoldOff(scope string, until time.Time) {
	if !t.Up() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.timeout)
	defer cancel()
	msg := scope + " " + strconv.FormatInt(until.UnixMilli(), 10)
	if err := t.client.Publish(ctx, t.prefix+holdOffChannel, msg).Err(); err != nil {
		t.failed("publish", err)
	}
}
