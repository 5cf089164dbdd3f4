package graph_test

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// wideQuery asks for n distinct iTwins by alias: n upstream GETs.
func wideQuery(n int) string {
	var b strings.Builder
	b.WriteString("query Wide {")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " t%d: itwin(id: %q) { id }", i, randomUUID())
	}
	return b.String() + " }"
}

func TestRetriesSpendTheRequestBudget(t *testing.T) {
	// A platform answering 503 to everything: 60 calls with 2 retries each would be 180 attempts.
	// The request's budget of 100 counts retries too. (The process-wide budget is opened wide
	// here, so that only the request's budget binds.)
	e := testenv.NewWith(t, []bentley.Option{bentley.WithRetries(2), bentley.WithRetryBudget(1)},
		testenv.WithLimits(graph.Limits{CallBudget: 100}))
	e.Emu.Inject(emulator.Fault{Kind: emulator.FaultStatus, Status: 503})
	resp := e.Query(t, e.Show.Token, wideQuery(60), nil)
	if len(resp.Errors) == 0 {
		t.Fatal("no errors against a platform answering 503")
	}
	if n := e.Emu.TotalCalls(); n > 100 {
		t.Errorf("%d upstream attempts for one request; its budget is 100, retries included", n)
	}
}

func TestRetryStormAddsAFifth(t *testing.T) {
	// Dedup off, so every query makes its own four first attempts.
	e := testenv.NewWith(t, []bentley.Option{bentley.WithRetries(2), bentley.WithRetryBudget(bentley.DefaultRetryRatio), bentley.WithDedup(false)})
	e.Emu.Inject(emulator.Fault{Kind: emulator.FaultStatus, Status: 503})
	start := time.Now()
	var wg sync.WaitGroup
	const callers, queries = 10, 10
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := 0; q < queries; q++ {
				// Four independent reads, each awaited by its own field: four first attempts.
				if _, err := e.Post(e.Show.Token, wideQuery(4), nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	first := callers * queries * 4
	retries := e.Emu.TotalCalls() - first
	// A fifth of the first attempts, plus the floor: 10 saved up and 10 a second.
	allowed := int(0.2*float64(first)) + 10 + int(10*elapsed) + 1
	if retries > allowed || retries < 0 {
		t.Errorf("%d retries for %d first attempts in %.1fs; the budget allows %d (without it: %d)", retries, first, elapsed, allowed, 2*first)
	}
	t.Logf("%d first attempts, %d retries in %.1fs", first, retries, elapsed)
}

func TestNoisyCallerLeavesSlotsForOthers(t *testing.T) {
	e := testenv.NewWith(t, []bentley.Option{bentley.WithMaxConcurrency(128), bentley.WithMaxConcurrencyPerCaller(32), bentley.WithTimeout(5 * time.Second)})
	// A slow platform: the noisy caller's calls then spend their time waiting, not burning CPU,
	// so what the quiet caller measures is slots, not a busy machine. Starved of slots, it would
	// wait several extra rounds of 200 ms.
	e.Emu.SetLatency(200 * time.Millisecond)
	vars := map[string]any{"itwin": e.Show.ITwinID, "member": e.Show.MemberID}
	quiet := func(n int) time.Duration {
		var took []time.Duration
		for i := 0; i < n; i++ {
			start := time.Now()
			resp, err := e.Post(e.Show.Token, aggregationQuery, vars)
			if err != nil || len(resp.Errors) > 0 {
				t.Fatalf("quiet caller: %v %+v", err, resp.Errors)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		return took[len(took)/2]
	}
	solo := quiet(7)

	// The noisy caller: another token, sixteen workers sending 100 distinct iTwin reads each time:
	// 1600 calls wanting slots, twelve rounds' worth of all 128 slots.
	const noisyWorkers = 16
	var noisyToken string
	for _, u := range e.Emu.DemoUsers() {
		if u.Token != e.Show.Token {
			noisyToken = u.Token
			break
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < noisyWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = e.Post(noisyToken, wideQuery(100), nil)
			}
		}()
	}
	// The noisy caller holds its slots: a round of them has reached the platform.
	from := e.Emu.TotalCalls()
	testenv.Eventually(t, "the noisy caller's calls reach the platform", func() bool { return e.Emu.TotalCalls() >= from+128 })
	busy := quiet(7)
	close(stop)
	wg.Wait()
	// Fair slots keep the quiet caller within three rounds: its first freed slots can be a round
	// away (the noisy calls run in waves), and on a loaded machine a call of its batch created
	// after that wave waits for the next. It is usually about one (measured 1.2-1.3x). Starved, it
	// waits behind the noisy calls: about twelve rounds (measured 11.7x with the per-caller share
	// at 128). With eight noisy workers starving measured 5.9x, too close to the three rounds a
	// fair wait may take on a loaded machine (3.03x once in CI).
	if busy > 4*solo {
		t.Errorf("the quiet caller's p50 went from %s alone to %s beside a noisy caller; want within 4x", solo, busy)
	}
	t.Logf("quiet p50: %s alone, %s beside the noisy caller", solo, busy)
}
