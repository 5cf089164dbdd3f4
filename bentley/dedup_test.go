package bentley

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/sharedstate"
)

func TestFlightGroupCancelsOnlyWhenEveryWaiterLeft(t *testing.T) {
	var g flightGroup
	started := make(chan struct{})
	callCancelled := make(chan struct{})
	fn := func(ctx context.Context) (*rawResponse, error) {
		close(started)
		<-ctx.Done()
		close(callCancelled)
		return nil, ctx.Err()
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { _, err, _ := g.do(ctx1, "k", fn); errs <- err }()
	<-started
	joined := make(chan bool, 1)
	go func() {
		_, err, shared := g.do(ctx2, "k", func(context.Context) (*rawResponse, error) {
			t.Error("second caller started its own call")
			return nil, nil
		})
		joined <- shared
		errs <- err
	}()
	// Wait until the second caller has joined the flight.
	eventually(t, "both callers wait on the flight", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.flights["k"].waiters == 2
	})
	cancel1()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("first caller: %v", err)
	}
	select {
	case <-callCancelled:
		t.Fatal("the call was cancelled while a caller still waited for it")
	case <-time.After(20 * time.Millisecond):
	}
	cancel2()
	<-callCancelled
	if !<-joined {
		t.Error("second caller did not share the call")
	}
	<-errs
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.flights) != 0 {
		t.Errorf("%d flights left behind", len(g.flights))
	}
}

// The response cache in the gateway's LRU: least recently used evicted first, bounded in entries
// and bytes (key and body), an answer larger than the whole cache not kept, none served at its TTL.
func TestResponseCacheBounds(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(0, 0)
	lru := sharedstate.NewLRU[*CachedAnswer](3, 1000)
	lru.Cost = func(key string, a *CachedAnswer) int64 { return int64(len(key)) + a.Bytes() }
	evicted := 0
	lru.Evicted = func(n int) { evicted += n }
	c := &responseCache{ttl: time.Minute, store: lru, now: func() time.Time { return now }}
	res := func(n int) *rawResponse { return &rawResponse{status: 200, body: []byte(strings.Repeat("x", n))} }

	c.put(ctx, "a", res(10))
	c.put(ctx, "b", res(10))
	c.put(ctx, "c", res(10))
	c.get(ctx, "a") // a is now the most recently used
	c.put(ctx, "d", res(10))
	if _, ok := c.get(ctx, "b"); ok {
		t.Error("b should be evicted first (least recently used) past 3 entries")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.get(ctx, k); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	c.put(ctx, "big", res(900))
	if b := lru.Bytes(); b > 1000 {
		t.Errorf("%d bytes: over the bound", b)
	}
	if evicted < 2 {
		t.Errorf("%d evictions reported, want at least 2 (b, then room for big)", evicted)
	}
	c.put(ctx, "huge", res(2000))
	if _, ok := c.get(ctx, "huge"); ok {
		t.Error("an entry larger than the whole cache was kept")
	}
	now = now.Add(time.Minute)
	if _, ok := c.get(ctx, "big"); ok {
		t.Error("an entry was served at its TTL")
	}
}

func TestShareKeyHoldsNoToken(t *testing.T) {
	key := shareKey(credentialHash("s3cret-token"), "GET", "https://api.bentley.com/users/me", "", nil)
	if strings.Contains(key, "s3cret") {
		t.Errorf("key %q contains the token", key)
	}
	if shareKey(credentialHash("a"), "GET", "u", "", nil) == shareKey(credentialHash("b"), "GET", "u", "", nil) {
		t.Error("two credentials share a key")
	}
	// The same list URL answers a summary or the full representation: never one for the other.
	if shareKey("h", "GET", "u", "return=minimal", nil) == shareKey("h", "GET", "u", "return=representation", nil) {
		t.Error("two representations share a key")
	}
}

// clientFor returns a client against a fresh emulator with 30 ms latency.
func clientFor(t *testing.T, opts ...Option) (*emulator.Emulator, *Client) {
	t.Helper()
	emu := emulator.New()
	emu.SetLatency(30 * time.Millisecond)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close)
	c, err := NewClient(append([]Option{WithBaseURL(srv.URL)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return emu, c
}

func TestDedupSharesOnlyWithinACredential(t *testing.T) {
	emu, c := clientFor(t)
	users := emu.DemoUsers()
	run := func(tokens []string) {
		var wg sync.WaitGroup
		for _, tok := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				me, err := c.GetMe(WithToken(context.Background(), tok))
				if err != nil {
					t.Error(err)
					return
				}
				for _, u := range users {
					if u.Token == tok && u.ID != me.ID {
						t.Errorf("token of %s got the profile of %s", u.ID, me.ID)
					}
				}
			}()
		}
		wg.Wait()
	}

	same := make([]string, 32)
	for i := range same {
		same[i] = users[0].Token
	}
	run(same)
	if n := emu.Calls(emulator.EndpointMe); n >= 8 {
		t.Errorf("32 concurrent identical calls made %d upstream calls; dedup should share nearly all", n)
	}

	emu.Reset()
	var different []string
	for _, u := range users[:32] {
		different = append(different, u.Token)
	}
	run(different)
	if n := emu.Calls(emulator.EndpointMe); n != 32 {
		t.Errorf("32 callers with different tokens made %d calls, want 32: nothing may be shared", n)
	}
}

func TestCachePerCredential(t *testing.T) {
	emu, c := clientFor(t, WithCache(time.Minute, sharedstate.NewLRU[*CachedAnswer](100, 1<<20)))
	users := emu.DemoUsers()
	ada := WithToken(context.Background(), users[0].Token)
	other := WithToken(context.Background(), users[1].Token)
	for i := 0; i < 3; i++ {
		if _, err := c.GetMe(ada); err != nil {
			t.Fatal(err)
		}
	}
	me, err := c.GetMe(other)
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != users[1].ID {
		t.Fatalf("second caller got %s's profile from the cache", me.ID)
	}
	if n := emu.Calls(emulator.EndpointMe); n != 2 {
		t.Errorf("calls = %d, want 2 (one per credential)", n)
	}
	// Errors are not cached.
	if _, err := c.GetITwin(ada, "00000000-0000-4000-8000-000000000000"); !IsNotFound(err) {
		t.Fatal(err)
	}
	if _, err := c.GetITwin(ada, "00000000-0000-4000-8000-000000000000"); !IsNotFound(err) {
		t.Fatal(err)
	}
	if n := emu.Calls(emulator.EndpointITwin); n != 2 {
		t.Errorf("a 404 was served from the cache (%d calls, want 2)", n)
	}
}

func TestCacheIsOffByDefault(t *testing.T) {
	emu, c := clientFor(t)
	ctx := WithToken(context.Background(), emu.DemoUsers()[0].Token)
	for i := 0; i < 2; i++ {
		if _, err := c.GetMe(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := emu.Calls(emulator.EndpointMe); n != 2 {
		t.Errorf("calls = %d, want 2: no cache unless configured", n)
	}
}
