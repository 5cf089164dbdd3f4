package bentley_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

func newClient(t *testing.T, url string, opts ...bentley.Option) *bentley.Client {
	t.Helper()
	c, err := bentley.NewClient(append([]bentley.Option{bentley.WithBaseURL(url)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name    string
		fault   emulator.Fault
		ok      bool // the call succeeds in the end
		calls   int
		maxTime time.Duration
	}{
		{"503 burst shorter than the retries", emulator.Fault{Kind: emulator.FaultStatus, Status: 503, Times: 2}, true, 3, 3 * time.Second},
		{"503 burst longer than the retries", emulator.Fault{Kind: emulator.FaultStatus, Status: 503}, false, 3, 3 * time.Second},
		{"502 once", emulator.Fault{Kind: emulator.FaultStatus, Status: 502, Times: 1}, true, 2, 3 * time.Second},
		{"504 once", emulator.Fault{Kind: emulator.FaultStatus, Status: 504, Times: 1}, true, 2, 3 * time.Second},
		{"429 with Retry-After 0", emulator.Fault{Kind: emulator.FaultStatus, Status: 429, RetryAfter: "0", Times: 1}, true, 2, time.Second},
		{"429 with a Retry-After that fits", emulator.Fault{Kind: emulator.FaultStatus, Status: 429, RetryAfter: "1", Times: 1}, true, 2, 3 * time.Second},
		{"429 with a Retry-After that does not fit fails fast", emulator.Fault{Kind: emulator.FaultStatus, Status: 429, RetryAfter: "120", Times: 1}, false, 1, time.Second},
		{"429 with an HTTP-date Retry-After that does not fit", emulator.Fault{Kind: emulator.FaultStatus, Status: 429,
			RetryAfter: time.Now().Add(time.Hour).UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"), Times: 1}, false, 1, time.Second},
		{"connection reset once", emulator.Fault{Kind: emulator.FaultReset, Times: 1}, true, 2, 3 * time.Second},
		{"500 is not retried", emulator.Fault{Kind: emulator.FaultStatus, Status: 500, Times: 1}, false, 1, time.Second},
		{"a malformed body is not retried", emulator.Fault{Kind: emulator.FaultMalformed, Times: 1}, false, 1, time.Second},
		{"a timeout is not retried", emulator.Fault{Kind: emulator.FaultHang, Times: 1}, false, 1, 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu, url := startEmulator(t)
			c := newClient(t, url, bentley.WithTimeout(300*time.Millisecond), bentley.WithRetries(2))
			tc.fault.Endpoint = emulator.EndpointMe
			emu.Inject(tc.fault)
			ctx, cancel := context.WithTimeout(bentley.WithToken(context.Background(), emu.Showcase().Token), 5*time.Second)
			defer cancel()
			start := time.Now()
			_, err := c.GetMe(ctx)
			took := time.Since(start)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want success %t", err, tc.ok)
			}
			if n := emu.Calls(emulator.EndpointMe); n != tc.calls {
				t.Errorf("%d upstream calls, want %d", n, tc.calls)
			}
			if took > tc.maxTime {
				t.Errorf("took %s, want at most %s", took, tc.maxTime)
			}
			var e *bentley.Error
			if tc.fault.Status == 429 && !tc.ok && (!errors.As(err, &e) || e.RetryAfter < time.Minute) {
				t.Errorf("a fast-failed 429 must carry its Retry-After: %#v", err)
			}
		})
	}
}

func TestRetryWaitStaysInsideTheCallersDeadline(t *testing.T) {
	emu, url := startEmulator(t)
	c := newClient(t, url, bentley.WithTimeout(300*time.Millisecond))
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultStatus, Status: 429, RetryAfter: "2", Times: 1})
	// 2 s of Retry-After do not fit in a 1 s deadline: fail at once instead of sleeping into it.
	ctx, cancel := context.WithTimeout(bentley.WithToken(context.Background(), emu.Showcase().Token), time.Second)
	defer cancel()
	start := time.Now()
	if _, err := c.GetMe(ctx); err == nil {
		t.Fatal("want the 429")
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("took %s: waited for a Retry-After that could not fit", took)
	}
}

func TestMaxConcurrency(t *testing.T) {
	emu, url := startEmulator(t)
	emu.SetLatency(30 * time.Millisecond)
	c := newClient(t, url, bentley.WithMaxConcurrency(3), bentley.WithDedup(false))
	ctx := bentley.WithToken(context.Background(), emu.Showcase().Token)
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetMe(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if peak := peakOverlap(emu.Requests()); peak > 3 || peak < 2 {
		t.Errorf("peak concurrent upstream calls = %d, want at most 3 (and the bound used)", peak)
	}
}

// peakOverlap is the largest number of logged requests in progress at one instant.
func peakOverlap(log []emulator.Request) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, r := range log {
		edges = append(edges, edge{r.Start, 1}, edge{r.End, -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at.Equal(edges[j].at) {
			return edges[i].delta < edges[j].delta
		}
		return edges[i].at.Before(edges[j].at)
	})
	cur, peak := 0, 0
	for _, e := range edges {
		cur += e.delta
		peak = max(peak, cur)
	}
	return peak
}

func TestCancellationReachesTheUpstream(t *testing.T) {
	emu, url := startEmulator(t)
	c := newClient(t, url)
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultHang})
	ctx, cancel := context.WithCancel(bentley.WithToken(context.Background(), emu.Showcase().Token))
	done := make(chan error)
	go func() { _, err := c.GetMe(ctx); done <- err }()
	// Cancel once the call has reached the emulator.
	testenv.Eventually(t, "the call reaches the emulator", func() bool { return emu.Calls(emulator.EndpointMe) > 0 })
	cancelled := time.Now()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The emulator's handler sees the request's context end: the call was cancelled upstream,
	// not abandoned to run on. It logs the request when its handler returns.
	testenv.Eventually(t, "the emulator logs the cancelled call", func() bool { return len(emu.Requests()) > 0 })
	log := emu.Requests()
	if len(log) != 1 || log[0].End.Sub(cancelled) > time.Second {
		t.Errorf("upstream request log %+v: want the hung call ended right after the cancel", log)
	}
}
