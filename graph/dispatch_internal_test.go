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

// The library's window, with margins no scheduler delay reaches: keys loaded within the window
// share a batch, sent when it ends, not before; a key asked twice is loaded once; a full batch
// goes at once; foreseen keys (now) go at once and the window's Loads find them.
func TestWindowRules(t *testing.T) {
	const pause, wait = 50 * time.Millisecond, 300 * time.Millisecond
	ctx := context.Background()

	t.Run("one window, one batch, at its end", func(t *testing.T) {
		r := &recordingBatch{}
		l := &loader[int, int]{}
		l.init(&dispatcher{wait: wait}, r.fn, 100)
		start := time.Now()
		a, b, again := l.Load(ctx, 1), l.Load(ctx, 2), l.Load(ctx, 1)
		time.Sleep(pause)
		c := l.Load(ctx, 3)
		await(t, []int{1, 2, 1, 3}, a, b, again, c)
		if took := time.Since(start); took < wait {
			t.Errorf("answered after %s, before the %s window ended", took, wait)
		}
		if got := r.calls(); !slices.EqualFunc(got, [][]int{{1, 2, 3}}, slices.Equal[[]int]) {
			t.Errorf("batches %v, want [[1 2 3]]", got)
		}
	})

	t.Run("a full batch goes at once", func(t *testing.T) {
		r := &recordingBatch{}
		const long = 5 * time.Second
		l := &loader[int, int]{}
		l.init(&dispatcher{wait: long}, r.fn, 3)
		start := time.Now()
		keys := []int{1, 2, 3}
		var thunks []dataloader.Thunk[int]
		for _, k := range keys {
			thunks = append(thunks, l.Load(ctx, k))
		}
		await(t, keys, thunks...)
		if took := time.Since(start); took > long/2 {
			t.Errorf("a full batch took %s", took)
		}
		if got := r.calls(); !slices.EqualFunc(got, [][]int{{1, 2, 3}}, slices.Equal[[]int]) {
			t.Errorf("batches %v, want [[1 2 3]]", got)
		}
	})

	t.Run("foreseen keys go at once and Loads find them", func(t *testing.T) {
		r := &recordingBatch{}
		const long = 5 * time.Second
		l := &loader[int, int]{}
		l.init(&dispatcher{wait: long}, r.fn, 100)
		start := time.Now()
		l.now(ctx, []int{7, 8, 7})
		a, b := l.Load(ctx, 7), l.Load(ctx, 8)
		await(t, []int{7, 8}, a, b)
		if took := time.Since(start); took > long/2 {
			t.Errorf("foreseen keys waited %s", took)
		}
		if got := r.calls(); !slices.EqualFunc(got, [][]int{{7, 8}}, slices.Equal[[]int]) {
			t.Errorf("batches %v, want [[7 8]]", got)
		}
	})

	t.Run("Prime and Clear", func(t *testing.T) {
		r := &recordingBatch{}
		l := &loader[int, int]{}
		l.init(&dispatcher{wait: time.Millisecond}, r.fn, 100)
		l.Prime(ctx, 5, 55)
		if v, err := l.Load(ctx, 5)(); v != 55 || err != nil {
			t.Errorf("a primed key loaded %d, %v", v, err)
		}
		l.Clear(ctx, 5)
		await(t, []int{5}, l.Load(ctx, 5))
		if got := r.calls(); !slices.EqualFunc(got, [][]int{{5}}, slices.Equal[[]int]) {
			t.Errorf("batches %v after Clear, want [[5]]", got)
		}
	})
}
