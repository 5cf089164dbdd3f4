package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

// cpuTime is the CPU time this process has used, the in-process gateway's included.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fragmentChain builds a document whose fragments each spread the next twice: n links expand to
// 2^n copies of the leaf selection in any walk that does not memoise.
func fragmentChain(n int, root, onType, leaf string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "query Bomb { %s }\n", strings.Replace(root, "HOLE", "...F0", 1))
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on %s { ...F%d ...F%d }\n", i, onType, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on %s { %s }\n", n, onType, leaf)
	return b.String()
}

func TestFragmentChainsAreRefusedInLinearTime(t *testing.T) {
	shapes := []struct{ name, root, onType, leaf string }{
		{"under __type", `__type(name: "ITwin") { HOLE }`, "__Type", "name kind"},
		{"under __schema", `__schema { types { HOLE } }`, "__Type", "name fields { name }"},
		{"ordinary fields", `me { HOLE }`, "User", "id email"},
	}
	for _, introspection := range []bool{true, false} {
		e := testenv.New(t, func(o *httpapi.Options) { o.DisableIntrospection = !introspection })
		for _, sh := range shapes {
			for _, n := range []int{10, 20, 30, 40} {
				doc := fragmentChain(n, sh.root, sh.onType, sh.leaf)
				start, cpu := time.Now(), cpuTime(t)
				resp := e.Query(t, e.Show.Token, doc, nil)
				wall, used := time.Since(start), cpuTime(t)-cpu
				if wall > 2*time.Second || used > 500*time.Millisecond {
					t.Errorf("introspection %v, %s, n=%d: %s wall, %s CPU", introspection, sh.name, n, wall, used)
				}
				// 2^12 leaves of two fields pass the default limit of 5000 fields; more do not.
				if n >= 12 && (len(resp.Errors) != 1 || resp.Errors[0].Code() != "COMPLEXITY_LIMIT_EXCEEDED") {
					t.Errorf("introspection %v, %s, n=%d: errors %+v, want COMPLEXITY_LIMIT_EXCEEDED", introspection, sh.name, n, resp.Errors)
				}
			}
		}
		if strings.Contains(e.Logs.String(), `"level":"ERROR"`) {
			t.Errorf("refusals logged at ERROR:\n%s", e.Logs.String())
		}
	}
	// Just under the limit (2^12 copies of one field) a chain is validated and answered, in
	// milliseconds: validation merges the identical copies.
	e := testenv.New(t)
	start, cpu := time.Now(), cpuTime(t)
	resp := e.Query(t, e.Show.Token, fragmentChain(12, `me { HOLE }`, "User", "id"), nil)
	if wall, used := time.Since(start), cpuTime(t)-cpu; len(resp.Errors) > 0 || wall > 2*time.Second || used > 500*time.Millisecond {
		t.Errorf("a chain of 4096 copies under the limit: errors %+v, %s wall, %s CPU", resp.Errors, wall, used)
	}
}

func TestDisabledIntrospectionIsAValidationError(t *testing.T) {
	e := testenv.New(t, func(o *httpapi.Options) { o.DisableIntrospection = true })
	for _, q := range []string{`query I { __schema { queryType { name } } }`, `query T { __type(name: "User") { name } }`,
		`query F { ...S } fragment S on Query { __schema { types { name } } }`} {
		resp := e.Query(t, "", q, nil)
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" || resp.Errors[0].Message != "introspection is disabled on this server" {
			t.Errorf("%s: %+v", q, resp.Errors)
		}
	}
	// __typename is not introspection of the schema.
	if resp := e.Query(t, e.Show.Token, `query N { __typename me { __typename id } }`, nil); len(resp.Errors) > 0 {
		t.Errorf("__typename: %+v", resp.Errors)
	}
	if logs := e.Logs.String(); strings.Contains(logs, `"level":"ERROR"`) || strings.Contains(logs, `"level":"WARN"`) {
		t.Errorf("a refused introspection was logged above INFO:\n%s", logs)
	}
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestLargeDistinctDocumentsDoNotPinMemory(t *testing.T) {
	const (
		queryCacheBytes = 8 << 20
		apqCacheBytes   = 4 << 20
		docs            = testenv.LargeDocuments
		docSize         = 1_000_000
	)
	e := testenv.New(t, func(o *httpapi.Options) {
		o.QueryCacheBytes, o.APQCacheBytes = queryCacheBytes, apqCacheBytes
		o.Limits.MaxBodyBytes = 2 << 20
	})
	padding := strings.Repeat("x", docSize)
	before := heapInUse()
	var wg sync.WaitGroup
	work := make(chan int)
	failures := make(chan string, docs)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				// Valid documents (a comment makes them large) and invalid ones (an unknown field),
				// each distinct, sent plainly and as automatic persisted queries.
				doc := fmt.Sprintf("query Big%d { __typename }\n# %d %s", i, i, padding)
				if i%2 == 1 {
					doc = fmt.Sprintf("query Big%d { noSuchField }\n# %d %s", i, i, padding)
				}
				body := map[string]any{"query": doc}
				if i%4 >= 2 {
					sum := sha256.Sum256([]byte(doc))
					body["extensions"] = map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
				}
				raw, _ := json.Marshal(body)
				resp, err := http.Post(e.URL+"/graphql", "application/json", bytes.NewReader(raw))
				if err != nil {
					failures <- err.Error()
					continue
				}
				var out struct{ Errors []testenv.Error }
				_ = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if valid := i%2 == 0; valid != (len(out.Errors) == 0) {
					failures <- fmt.Sprintf("document %d: status %d, errors %+v", i, resp.StatusCode, out.Errors)
				}
			}
		}()
	}
	for i := 0; i < docs; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	after := heapInUse()
	// What may stay: the two caches at their bounds, plus slack for the test's own allocations.
	bound := uint64(queryCacheBytes+apqCacheBytes) + 16<<20
	if after > before+bound {
		t.Errorf("heap grew from %d MB to %d MB after %d distinct 1 MB documents; the bound is %d MB more",
			before>>20, after>>20, docs, bound>>20)
	}
	t.Logf("heap %d MB before, %d MB after %d documents of %d bytes", before>>20, after>>20, docs, docSize)
}

func TestLongOperationNamesAreCutInLogs(t *testing.T) {
	e := testenv.New(t, func(o *httpapi.Options) { o.Limits.MaxBodyBytes = 2 << 20 })
	name := "Op" + strings.Repeat("x", 900_000)
	resp := e.Query(t, e.Show.Token, "query "+name+" { __typename }", nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	for _, line := range strings.Split(e.Logs.String(), "\n") {
		if len(line) > 2000 {
			t.Errorf("a log line of %d bytes", len(line))
		}
	}
	if !strings.Contains(e.Logs.String(), `"operation":"Opxxxx`) {
		t.Errorf("the cut name is not logged:\n%.500s", e.Logs.String())
	}
}

func TestInFlightBoundRefusesTheOverflow(t *testing.T) {
	// The holders' upstream calls must outlast the 2 s wait: a longer upstream timeout.
	e := testenv.NewWith(t, []bentley.Option{bentley.WithTimeout(10 * time.Second)}, func(o *httpapi.Options) { o.MaxInFlight = 2 })
	e.Emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultHang})
	// Two callers (two tokens, so in-flight dedup does not merge them) hold both slots.
	users := e.Emu.DemoUsers()
	for i := 0; i < 2; i++ {
		go func() { _, _ = e.Post(users[i].Token, `query Hang { me { id } }`, nil) }()
	}
	testenv.Eventually(t, "the two holding requests reach the platform", func() bool { return e.Emu.Calls(emulator.EndpointMe) >= 2 })
	start := time.Now()
	req, _ := http.NewRequest("POST", e.URL+"/graphql", strings.NewReader(`{"query":"query Third { __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Errors []testenv.Error }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || len(out.Errors) != 1 || out.Errors[0].Code() != "OVERLOADED" {
		t.Errorf("third request: %d %+v", resp.StatusCode, out.Errors)
	}
	if took < 1500*time.Millisecond || took > 4*time.Second {
		t.Errorf("refused after %s, want after the 2 s wait", took)
	}
	e.Emu.Close() // release the two held requests
}
