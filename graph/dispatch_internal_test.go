package graph

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/graph-gophers/dataloader/v7"
)

// recordingBatch answers each key k with 10k and records the batches it was called with.
type recordingBatch struct {
	mu      sync.Mutex
	batches [][]int
}

func (r *recordingBatch) fn(_ context.Context, keys []int) []*dataloader.Result[int] {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(keys))
	r.mu.Unlock()
	out := make([]*dataloader.Result[int], len(keys))
	for i, k := range keys {
		out[i] = &dataloader.Result[int]{Data: 10 * k}
	}
	return out
}

func (r *recordingBatch) calls() [][]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

// await resolves thunks and checks each answer.
func await(t *testing.T, keys []int, thunks ...dataloader.Thunk[int]) {
	t.Helper()
	for i, th := range thunks {
		if v, err := th(); err != nil || v != 10*keys[i] {
			t.Errorf("key %d answered %d, %v", keys[i], v, err)
		}
	}
}

// The window's rules, with margins no scheduler delay reaches: keys loaded back to back share a
// batch; a key after a pause far longer than the idle gap starts a new one, long before the cap;
// with no idle gap the same pause stays in one batch, sent at the cap; a full batch goes at once;
// a key asked twice is loaded once.
func TestWindowRules(t *testing.T) {
	const idle, pause, wait = 200 * time.Microsecond, 50 * time.Millisecond, 2 * time.Second
	ctx := context.Background()

	t.Run("back to back, then after a pause", func(t *testing.T) {
		r := &recordingBatch{}
		l := &loader[int, int]{}
		l.init(&dispatcher{wait: wait, idle: idle}, r.fn, 100)
		start := time.Now()
		a, b, again := l.Load(ctx, 1), l.Load(ctx, 2), l.Load(ctx, 1)
		time.Sleep(pause)
		c := l.Load(ctx, 3)
		await(t, []int{1, 2, 1, 3}, a, b, again, c)
		if took := time.Since(start); took > wait/2 {
			t.Errorf("took %s: a window waited for the %s cap", took, wait)
		}
		if got := r.calls(); !slices.EqualFunc(got, [][]int{{1, 2}, {3}}, slices.Equal[[]int]) {
			t.Errorf("batches %v, want [[1 2] [3]]", got)
		}
	})

	t.Run("no idle gap: the cap", func(t *testing.T) {
		r := &recordingBatch{}
		const capWait = 300 * time.Millisecond
		l := &loader[int, int]{}
		l.init(&dispatcher{wait: capWait}, r.fn, 100)
		start := time.Now()
		a := l.Load(ctx, 1)
		time.Sleep(pause)
		b := l.Load(ctx, 2)
		await(t, []int{1, 2}, a, b)
		if took := time.Since(start); took < capWait {
			t.Errorf("answered after %s, before the %s cap", took, capWait)
		}
		if got := r.calls(); !slices.EqualFunc(got, [][]int{{1, 2}}, slices.Equal[[]int]) {
			t.Errorf("batches %v, want [[1 2]]", got)
		}
	})

	t.Run("a full batch goes at once", func(t *testing.T) {
		r := &recordingBatch{}
		l := &loader[int, int]{}
		l.init(&dispatcher{wait: wait, idle: wait}, r.fn, 3)
		start := time.Now()
		keys := []int{1, 2, 3, 4, 5, 6}
		var thunks []dataloader.Thunk[int]
		for _, k := range keys {
			thunks = append(thunks, l.Load(ctx, k))
		}
		await(t, keys[:3], thunks[:3]...)
		await(t, keys[3:], thunks[3:]...)
		if took := time.Since(start); took > wait/2 {
			t.Errorf("full batches took %s", took)
		}
		got := r.calls()
		slices.SortFunc(got, func(a, b []int) int { return a[0] - b[0] })
		if !slices.EqualFunc(got, [][]int{{1, 2, 3}, {4, 5, 6}}, slices.Equal[[]int]) {
			t.Errorf("batches %v, want [[1 2 3] [4 5 6]]", got)
		}
	})
}
