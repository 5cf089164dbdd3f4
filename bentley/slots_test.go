package bentley

import (
	"context"
	"testing"
	"time"
)

func TestSlotsAreWorkConservingAndFair(t *testing.T) {
	s := NewSlots(4, 2)
	ctx := context.Background()
	// Alone, a caller may use every slot, beyond its share.
	for i := 0; i < 4; i++ {
		if err := s.Acquire(ctx, "noisy"); err != nil {
			t.Fatal(err)
		}
	}
	// Both wait now: the noisy caller first, then the quiet one.
	got := make(chan string, 2)
	for _, caller := range []string{"noisy", "quiet"} {
		go func() {
			if err := s.Acquire(ctx, caller); err == nil {
				got <- caller
				s.Release(caller)
			}
		}()
		eventually(t, "the waiter is queued", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.waiting.Len() == map[string]int{"noisy": 1, "quiet": 2}[caller]
		})
	}
	// The freed slot goes to the quiet caller, below its share, though it came later.
	s.Release("noisy")
	if first := <-got; first != "quiet" {
		t.Errorf("the freed slot went to %s, want the caller below its share", first)
	}
	s.Release("noisy")
	if second := <-got; second != "noisy" {
		t.Errorf("then %s, want the noisy caller", second)
	}
	s.Release("noisy")
	s.Release("noisy")

	// A waiter whose context ends leaves the queue, and a slot granted as it ends is handed on.
	for i := 0; i < 4; i++ {
		if err := s.Acquire(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := s.Acquire(short, "b"); err == nil {
		t.Error("a waiter past its deadline got a slot")
	}
	s.mu.Lock()
	if s.waiting.Len() != 0 || s.inUse != 4 {
		t.Errorf("%d waiting, %d in use after the waiter left", s.waiting.Len(), s.inUse)
	}
	s.mu.Unlock()
}

// eventually waits until cond holds, polling, and fails the test if it does not within 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// TryAcquire takes a free slot without waiting and never jumps a full set of slots.
func TestTryAcquire(t *testing.T) {
	s := NewSlots(1, 1)
	if !s.TryAcquire("a") {
		t.Fatal("a free slot was not taken")
	}
	if s.TryAcquire("b") {
		t.Fatal("a slot was taken past the bound")
	}
	s.Release("a")
	if !s.TryAcquire("b") {
		t.Fatal("the released slot was not taken")
	}
	s.Release("b")
}
