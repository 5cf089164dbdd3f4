package sharedstate

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Memory keeps values for their time, and within its bounds in entries and bytes.
func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_000_000, 0)
	m := NewMemory(3, 1<<10)
	m.now = func() time.Time { return now }
	m.Set(ctx, "a", []byte("1"), time.Minute)
	m.Set(ctx, "forever", []byte("2"), 0)
	if v, ok := m.Get(ctx, "a"); !ok || string(v) != "1" {
		t.Fatalf("a: %q %v", v, ok)
	}
	now = now.Add(time.Minute)
	if _, ok := m.Get(ctx, "a"); ok {
		t.Error("a value outlived its ttl")
	}
	if _, ok := m.Get(ctx, "forever"); !ok {
		t.Error("a value without a ttl expired")
	}
	for i := 0; i < 10; i++ {
		m.Set(ctx, fmt.Sprint("k", i), []byte("v"), 0)
	}
	if _, ok := m.Get(ctx, "forever"); ok {
		t.Error("more entries kept than the bound")
	}
	m.Set(ctx, "big", make([]byte, 2<<10), 0)
	if _, ok := m.Get(ctx, "big"); ok || m.Bytes() > 1<<10 {
		t.Errorf("a value past the byte bound was kept (%d bytes held)", m.Bytes())
	}
}

// Tiered reads the local tier first and keeps the shared tier's hits there; it writes both.
func TestTieredStore(t *testing.T) {
	ctx := context.Background()
	local, shared := NewMemory(10, 1<<10), &counting{Store: NewMemory(10, 1<<10)}
	st := Tiered{Local: local, Shared: shared, LocalTTL: time.Minute}
	shared.Set(ctx, "from-another-replica", []byte("x"), time.Hour)
	for i := 0; i < 3; i++ {
		if v, ok := st.Get(ctx, "from-another-replica"); !ok || string(v) != "x" {
			t.Fatalf("get %d: %q %v", i, v, ok)
		}
	}
	if shared.gets != 1 {
		t.Errorf("the shared tier was read %d times for three gets, want once", shared.gets)
	}
	st.Set(ctx, "mine", []byte("y"), time.Hour)
	if _, ok := local.Get(ctx, "mine"); !ok {
		t.Error("a write missed the local tier")
	}
	if _, ok := shared.Get(ctx, "mine"); !ok {
		t.Error("a write missed the shared tier")
	}
}

type counting struct {
	Store
	gets int
}

func (c *counting) Get(ctx context.Context, key string) ([]byte, bool) {
	c.gets++
	return c.Store.Get(ctx, key)
}
