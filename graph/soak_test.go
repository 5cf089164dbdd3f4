package graph_test

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

// TestSoak runs concurrent mixed queries from callers of three organizations while a fraction of
// all upstream calls fail in assorted ways. Bounded: at most 600 queries and 20 seconds, loopback
// only. Every answer must be well-formed GraphQL with known error codes; no caller may see
// another's data; goroutines and heap must come back to where they started.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped in -short mode")
	}
	e := testenv.NewWith(t, []bentley.Option{bentley.WithTimeout(time.Second)})
	e.Emu.SetLatency(2 * time.Millisecond)

	type caller struct {
		token, id, org string
		colleagues     []string // ids of the caller's organization
	}
	var callers []caller
	byOrg := map[string][]string{}
	for _, u := range e.Emu.DemoUsers() {
		byOrg[u.Organization] = append(byOrg[u.Organization], u.ID)
	}
	for _, u := range e.Emu.DemoUsers() {
		if u.OrgAdmin || len(callers) < 8 {
			callers = append(callers, caller{u.Token, u.ID, u.Organization, byOrg[u.Organization]})
		}
	}
	var everyone []string
	for _, ids := range byOrg {
		everyone = append(everyone, ids[:10]...)
	}

	// Warm up (connections, caches), then take the baseline.
	e.Query(t, e.Show.Token, `{ me { id } }`, nil)
	e.Upstream.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	goroutines, heap := settle()

	e.Emu.Inject(emulator.Fault{Kind: emulator.FaultStatus, Status: 503, Every: 7})
	e.Emu.Inject(emulator.Fault{Kind: emulator.FaultStatus, Status: 429, RetryAfter: "0", Every: 11})
	e.Emu.Inject(emulator.Fault{Kind: emulator.FaultMalformed, Every: 13})
	e.Emu.Inject(emulator.Fault{Kind: emulator.FaultReset, Every: 17})
	e.Emu.Inject(emulator.Fault{Kind: emulator.FaultStatus, Status: 500, Every: 19})

	const mixed = `query($ids: [ID!]!) { me { id organizationName } myPrimaryAccount { displayName }
		users(ids: $ids) { id organizationName } }`
	known := map[string]bool{"UPSTREAM_UNAVAILABLE": true, "UPSTREAM_ERROR": true, "RATE_LIMITED": true}

	const workers, perWorker = 12, 50
	deadline := time.Now().Add(20 * time.Second)
	problems := make(chan string, workers*perWorker)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker && time.Now().Before(deadline); i++ {
				c := callers[(w+i)%len(callers)]
				var resp testenv.Response
				var err error
				if i%3 == 0 && c.token == e.Show.Token {
					resp, err = e.Post(c.token, aggregationQuery, map[string]any{"itwin": e.Show.ITwinID, "member": e.Show.MemberID})
				} else {
					resp, err = e.Post(c.token, mixed, map[string]any{"ids": everyone})
				}
				if err != nil {
					problems <- fmt.Sprintf("not a well-formed answer: %v", err)
					continue
				}
				if resp.Data == nil {
					problems <- fmt.Sprintf("no data: %+v", resp.Errors)
				}
				for _, ge := range resp.Errors {
					if !known[ge.Code()] {
						problems <- fmt.Sprintf("unexpected error %+v", ge)
					}
				}
				var me *struct{ ID, OrganizationName string }
				var account *struct{ DisplayName string }
				var users []*struct{ ID, OrganizationName string }
				_ = resp.Decode("me", &me)
				_ = resp.Decode("myPrimaryAccount", &account)
				_ = resp.Decode("users", &users)
				if me != nil && (me.ID != c.id || me.OrganizationName != c.org) {
					problems <- fmt.Sprintf("%s saw me = %+v", c.id, me)
				}
				if account != nil && account.DisplayName != c.org {
					problems <- fmt.Sprintf("%s saw the account of %s", c.id, account.DisplayName)
				}
				for _, u := range users {
					if u != nil && (u.OrganizationName != c.org || !slices.Contains(c.colleagues, u.ID)) {
						problems <- fmt.Sprintf("%s of %s saw user %s of %s", c.id, c.org, u.ID, u.OrganizationName)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(problems)
	n := 0
	for p := range problems {
		if n++; n <= 10 {
			t.Error(p)
		}
	}
	if n > 10 {
		t.Errorf("... and %d more problems", n-10)
	}
	calls := e.Emu.TotalCalls()
	if calls < 500 {
		t.Errorf("only %d upstream calls: the soak did not run", calls)
	}

	e.Emu.Reset()
	e.Upstream.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	afterGoroutines, afterHeap := settle()
	if afterGoroutines > goroutines+2 {
		t.Errorf("goroutines: %d before, %d after the load: a leak", goroutines, afterGoroutines)
	}
	// The emulator keeps a bounded request log (about 2 MB at most); anything beyond that is a leak.
	if afterHeap > heap+8<<20 {
		t.Errorf("heap: %d MB before, %d MB after the load", heap>>20, afterHeap>>20)
	}
	t.Logf("goroutines %d -> %d, heap %.1f MB -> %.1f MB, %d upstream calls",
		goroutines, afterGoroutines, float64(heap)/(1<<20), float64(afterHeap)/(1<<20), calls)
}

// settle waits for goroutines to wind down (connection handlers notice closed connections
// asynchronously) and returns the goroutine count and live heap.
func settle() (goroutines int, heap uint64) {
	last := -1
	for i := 0; i < 50; i++ {
		runtime.GC()
		n := runtime.NumGoroutine()
		if n == last {
			break
		}
		last = n
		time.Sleep(20 * time.Millisecond)
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return last, m.HeapAlloc
}
