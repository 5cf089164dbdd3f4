package httpapi_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/telemetry"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

// slowBody opens a connection and sends a POST whose body never finishes: it announces size
// bytes and trickles one every interval until stop is closed. It returns the status the gateway
// finally answers (0 if the connection closed without an answer) on the channel.
func slowBody(t *testing.T, addr string, size int, interval time.Duration, stop <-chan struct{}, started *sync.WaitGroup) <-chan int {
	t.Helper()
	status := make(chan int, 1)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", size)
	go func() {
		defer conn.Close()
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				status <- 0
				return
			}
			resp.Body.Close()
			status <- resp.StatusCode
		}()
		started.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	return status
}

// 64 connections that send their bodies a byte every half second hold no execution slot: other
// callers are answered while every one of them is still sending.
func TestSlowBodiesHoldNoSlots(t *testing.T) {
	e := testenv.New(t, func(o *httpapi.Options) { o.BodyReadTimeout = time.Minute })
	addr := strings.TrimPrefix(e.URL, "http://")
	stop := make(chan struct{})
	var started sync.WaitGroup
	var answered []<-chan int
	for i := 0; i < httpapi.DefaultMaxInFlight; i++ {
		started.Add(1)
		answered = append(answered, slowBody(t, addr, 4096, 500*time.Millisecond, stop, &started))
	}
	started.Wait()
	// Every slow request has reached the server before the victims go.
	testenv.Eventually(t, "the server reads all 64 slow requests", func() bool { return e.Requests.Load() >= httpapi.DefaultMaxInFlight })
	for i := 0; i < 8; i++ {
		resp := e.Query(t, e.Show.Token, "{ me { id } }", nil)
		if resp.Status != 200 || len(resp.Errors) > 0 {
			t.Fatalf("victim %d beside 64 slow bodies: %d %+v", i, resp.Status, resp.Errors)
		}
	}
	for i, ch := range answered {
		select {
		case s := <-ch:
			t.Fatalf("slow body %d was answered (%d) before it finished: the test proves nothing", i, s)
		default:
		}
	}
	close(stop)
}

// A body slower than its deadline gets 408, and the bytes it held go back to the budget.
func TestBodyReadDeadline(t *testing.T) {
	e := testenv.New(t, func(o *httpapi.Options) { o.BodyReadTimeout = 300 * time.Millisecond })
	addr := strings.TrimPrefix(e.URL, "http://")
	stop := make(chan struct{})
	defer close(stop)
	var started sync.WaitGroup
	started.Add(1)
	status := slowBody(t, addr, 4096, 100*time.Millisecond, stop, &started)
	select {
	case s := <-status:
		if s != http.StatusRequestTimeout {
			t.Errorf("slow body answered %d, want 408", s)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a body slower than BODY_READ_TIMEOUT was never answered")
	}
}

// The bytes of bodies held at once are bounded: past the budget a body gets 503 OVERLOADED,
// and once the holder is gone the budget serves again.
func TestBodyBudget(t *testing.T) {
	e := testenv.New(t, func(o *httpapi.Options) {
		o.BodyBufferBytes = 64 << 10
		o.BodyReadTimeout = time.Minute
	})
	// The holder has sent 50 KB of a 63 KB body, which has taken all but 1 KB of the budget.
	c, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /graphql HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"query\":\"%s", 63<<10, strings.Repeat(" ", 50<<10))
	padded := "{ me { id } }" + strings.Repeat(" ", 2048)
	testenv.Eventually(t, "the holder has taken the budget", func() bool {
		resp, err := e.Post(e.Show.Token, padded, nil)
		return err == nil && resp.Status == 503 && len(resp.Errors) == 1 && resp.Errors[0].Code() == graph.CodeOverloaded
	})
	// A small body still fits.
	if resp := e.Query(t, e.Show.Token, "{ me { id } }", nil); resp.Status != 200 {
		t.Errorf("a small body beside the holder: %d %+v", resp.Status, resp.Errors)
	}
	c.Close()
	testenv.Eventually(t, "the budget is given back", func() bool {
		resp, err := e.Post(e.Show.Token, padded, nil)
		return err == nil && resp.Status == 200
	})
}

// One caller with many concurrent requests cannot keep another out: the other's requests take
// the next free slots, as the per-caller share says, while the first caller's wait.
func TestInFlightSharePerCaller(t *testing.T) {
	// No dedup: each of the noisy caller's requests makes its own platform call.
	e := testenv.NewWith(t, []bentley.Option{bentley.WithTimeout(10 * time.Second), bentley.WithDedup(false)}, func(o *httpapi.Options) {
		o.MaxInFlight = 4
		o.MaxInFlightPerCaller = 2
	})
	// Every platform call takes 600 ms, and the noisy caller keeps 40 requests queued: in arrival
	// order, a request would wait behind them past the 2 s it may.
	e.Emu.SetLatency(600 * time.Millisecond)
	users := e.Emu.DemoUsers()
	noisy, quiet := users[0].Token, users[1].Token
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 20; n++ {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = e.Post(noisy, fmt.Sprintf("query Noisy%d { me { id } }", i), nil)
			}
		}()
	}
	testenv.Eventually(t, "the noisy caller holds every slot", func() bool { return e.Emu.Calls(emulator.EndpointMe) >= 4 })
	var refused atomic.Int32
	var quietWG sync.WaitGroup
	for i := 0; i < 4; i++ {
		quietWG.Add(1)
		go func() {
			defer quietWG.Done()
			resp, err := e.Post(quiet, fmt.Sprintf("query Quiet%d { me { id } }", i), nil)
			if err != nil || resp.Status != 200 || len(resp.Errors) > 0 {
				refused.Add(1)
			}
		}()
	}
	quietWG.Wait()
	close(stop)
	if n := refused.Load(); n > 0 {
		t.Errorf("%d of the quiet caller's 4 requests failed beside a noisy caller", n)
	}
	e.Emu.SetLatency(0)
	wg.Wait()
}

// A request whose platform call waits out a 429's Retry-After gives its execution slot back
// while it sleeps: with one slot, another caller's request is answered first.
func TestHoldOffSleepGivesTheSlotBack(t *testing.T) {
	e := testenv.NewWith(t, []bentley.Option{bentley.WithTimeout(10 * time.Second)}, func(o *httpapi.Options) { o.MaxInFlight = 1 })
	e.Emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultStatus, Status: 429, RetryAfter: "2", Times: 1})
	users := e.Emu.DemoUsers()
	order := make(chan string, 2)
	go func() {
		resp, err := e.Post(users[0].Token, "query Sleeper { me { id } }", nil)
		if err != nil || resp.Status != 200 || len(resp.Errors) > 0 {
			order <- fmt.Sprintf("sleeper failed: %v %d %+v", err, resp.Status, resp.Errors)
			return
		}
		order <- "sleeper"
	}()
	testenv.Eventually(t, "the first request got its 429", func() bool { return e.Emu.Calls(emulator.EndpointMe) >= 1 })
	resp := e.Query(t, users[1].Token, "query Other { me { id } }", nil)
	if resp.Status != 200 || len(resp.Errors) > 0 {
		t.Fatalf("the other caller: %d %+v", resp.Status, resp.Errors)
	}
	order <- "other"
	if first := <-order; first != "other" {
		t.Errorf("answered first: %s; the sleeping request kept the only slot", first)
	}
	<-order
	_ = io.Discard
}

// gauges is an Observer that keeps the two request gauges.
type gauges struct{ inFlight, queued atomic.Int64 }

func (g *gauges) QueryFinished(telemetry.QueryRecord) {}
func (g *gauges) LoaderBatch(string, int)             {}
func (g *gauges) BudgetExceeded()                     {}
func (g *gauges) InFlight(d int)                      { g.inFlight.Add(int64(d)) }
func (g *gauges) Queued(d int)                        { g.queued.Add(int64(d)) }

// The in-flight gauge counts the requests executing, and the queued one those waiting for a
// place: with two places held, three more requests are queued, not in flight.
func TestInFlightAndQueuedGauges(t *testing.T) {
	obs := &gauges{}
	e := testenv.NewWith(t, []bentley.Option{bentley.WithTimeout(10 * time.Second)}, func(o *httpapi.Options) {
		o.MaxInFlight = 2
		o.Observer = obs
	})
	e.Emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultHang})
	users := e.Emu.DemoUsers()
	for i := 0; i < 5; i++ {
		go func() { _, _ = e.Post(users[i%2].Token, fmt.Sprintf("query Hang%d { me { id } }", i), nil) }()
	}
	testenv.Eventually(t, "two requests execute and three wait", func() bool { return obs.inFlight.Load() == 2 && obs.queued.Load() == 3 })
	e.Emu.Close() // release the held requests
	testenv.Eventually(t, "the gauges return to zero", func() bool { return obs.inFlight.Load() == 0 && obs.queued.Load() == 0 })
}

// A compressed request body is an unsupported media type, not a malformed request.
func TestEncodedBodiesAre415(t *testing.T) {
	e := testenv.New(t)
	for _, enc := range []string{"gzip", "br", "deflate, gzip"} {
		resp, answer := e.Send(t, "POST", "", "application/json", "", "\x1f\x8b\x08\x00 not really gzip", "Content-Encoding", enc)
		got := testenv.DecodeAnswer(t, resp, answer)
		if got.Status != http.StatusUnsupportedMediaType || len(got.Errors) != 1 || got.Errors[0].Code() != graph.CodeBadRequest {
			t.Errorf("Content-Encoding %s: %d %+v, want 415", enc, got.Status, got.Errors)
		}
	}
	if resp := e.SendParams(t, map[string]any{"query": "{ me { id } }"}, "Content-Encoding", "identity"); resp.Status != 200 {
		t.Errorf("Content-Encoding identity: %d", resp.Status)
	}
}
