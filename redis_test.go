package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

// redisServer is a real redis-server on a loopback port, for the shared tier's tests.
type redisServer struct {
	t    *testing.T
	bin  string
	port string
	cmd  *exec.Cmd
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin := requireTool(t, "the shared tier's tests run a real Redis", "redis-server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	r := &redisServer{t: t, bin: bin, port: port}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *redisServer) url() string { return "redis://127.0.0.1:" + r.port }

func (r *redisServer) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, "--port", r.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if r.ping() {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatal("redis-server did not start")
		}
	}
}

func (r *redisServer) ping() bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+r.port, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	fmt.Fprint(c, "PING\r\n")
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.HasPrefix(line, "+PONG")
}

func (r *redisServer) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

func (r *redisServer) signal(s syscall.Signal) {
	if err := r.cmd.Process.Signal(s); err != nil {
		r.t.Fatal(err)
	}
}

// waitTier waits until the gateway's /readyz reports the shared tier in the given state.
func waitTier(t *testing.T, g *runningGateway, state string) {
	t.Helper()
	testenv.Eventually(t, "the shared tier is "+state, func() bool {
		_, body := get(t, g.url+"/readyz")
		return strings.Contains(body, "shared tier (Redis): "+state)
	})
}

// Two replicas on one Redis: an APQ registered on one is served by the other, an answer cached
// by one costs the other no upstream call, and a 429 seen by one holds the other off.
func TestSharedTierAcrossReplicas(t *testing.T) {
	redis := startRedis(t)
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	show := emu.Showcase()
	// A generous Redis timeout: these are tests of sharing, and a loaded CI machine must not
	// make the tier flap down between two requests.
	env := map[string]string{"BENTLEY_API_URL": upstream.URL, "REDIS_URL": redis.url(), "CACHE_TTL": "1m",
		"UPSTREAM_RETRIES": "0", "REQUEST_TIMEOUT": "2s", "REDIS_TIMEOUT": "1s"}
	a, b := startGateway(t, env), startGateway(t, env)
	waitTier(t, a, "up")
	waitTier(t, b, "up")

	t.Run("APQ registered on one replica is served by the other", func(t *testing.T) {
		query := `query Shared { me { id displayName } }`
		sum := sha256.Sum256([]byte(query))
		ext := `"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`
		if body := post(t, b.url, show.Token, `{`+ext+`}`); !strings.Contains(body, "PERSISTED_QUERY_NOT_FOUND") {
			t.Fatalf("hash unknown everywhere yet: %s", body)
		}
		if body := post(t, a.url, show.Token, `{"query":"`+query+`",`+ext+`}`); !strings.Contains(body, `"displayName"`) {
			t.Fatalf("registering on A: %s", body)
		}
		if body := post(t, b.url, show.Token, `{`+ext+`}`); !strings.Contains(body, `"displayName"`) {
			t.Errorf("B does not know the hash A registered: %s", body)
		}
	})

	t.Run("an answer cached by one replica costs the other no call", func(t *testing.T) {
		query := `{"query":"query($id: ID!) { itwin(id: $id) { displayName account { displayName } } }","variables":{"id":"` + show.ITwinID + `"}}`
		emu.Reset()
		first := post(t, a.url, show.Token, query)
		if emu.TotalCalls() == 0 || !strings.Contains(first, "Contoso") {
			t.Fatalf("A: %d calls, %s", emu.TotalCalls(), first)
		}
		emu.Reset()
		if second := post(t, b.url, show.Token, query); second != first || emu.TotalCalls() != 0 {
			t.Errorf("B made %d calls (want 0) and answered %s (A: %s)", emu.TotalCalls(), second, first)
		}
		// Another caller's token finds nothing of it: the cache is keyed and sealed per credential.
		emu.Reset()
		post(t, b.url, show.ReaderToken, query)
		if emu.TotalCalls() == 0 {
			t.Error("another credential was served the first caller's cached answers")
		}
	})

	t.Run("a 429 on one replica holds the other off", func(t *testing.T) {
		// Callers with nothing cached yet, so each query reaches for the platform.
		users := emu.DemoUsers()
		held, other := users[len(users)-1].Token, users[len(users)-2].Token
		emu.Reset()
		emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultStatus, Status: 429, RetryAfter: "5", Times: 1})
		if body := post(t, a.url, held, `{"query":"{ me { id } }"}`); !strings.Contains(body, "RATE_LIMITED") {
			t.Fatalf("A: %s", body)
		}
		time.Sleep(200 * time.Millisecond) // the hold-off travels by pub/sub
		start := time.Now()
		body := post(t, b.url, held, `{"query":"{ me { id } }"}`)
		if !strings.Contains(body, "RATE_LIMITED") || emu.Calls(emulator.EndpointMe) != 1 || time.Since(start) > time.Second {
			t.Errorf("B during A's hold-off: %d calls to /users/me in all (want 1), %s, %s", emu.Calls(emulator.EndpointMe), time.Since(start), body)
		}
		// The hold-off is the credential's: another caller on B is not held off.
		if body := post(t, b.url, other, `{"query":"{ me { id } }"}`); !strings.Contains(body, `"id"`) || emu.Calls(emulator.EndpointMe) != 2 {
			t.Errorf("another credential was held off: %s", body)
		}
	})
}

// Redis killed and restarted under load: no request fails, the replicas serve without it, log
// the change once each way, and use it again once it is back.
func TestSharedTierSurvivesRedisRestart(t *testing.T) {
	redis := startRedis(t)
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	show := emu.Showcase()
	env := map[string]string{"BENTLEY_API_URL": upstream.URL, "REDIS_URL": redis.url(), "CACHE_TTL": "1m", "REDIS_TIMEOUT": "1s"}
	a, b := startGateway(t, env), startGateway(t, env)
	waitTier(t, a, "up")

	var sent, failed atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w, g := range []*runningGateway{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Distinct iTwins, so the cache keeps going to Redis and the platform.
				body := post(t, g.url, show.Token, fmt.Sprintf(`{"query":"{ w%d: itwins(first: %d) { nodes { id } } }"}`, w, 1+i%50))
				sent.Add(1)
				if !strings.Contains(body, `"nodes"`) || strings.Contains(body, `"errors"`) {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, body)
				}
			}
		}()
	}
	more := func(what string, n int64) {
		from := sent.Load()
		testenv.Eventually(t, what, func() bool { return sent.Load() >= from+n })
	}
	more("the load is under way", 50)
	redis.kill()
	waitTier(t, a, "down")
	more("requests are served without Redis", 100)
	redis.start()
	waitTier(t, a, "up")
	waitTier(t, b, "up")
	more("requests are served with Redis back", 50)
	close(stop)
	wg.Wait()
	if failed.Load() > 0 || sent.Load() < 100 {
		t.Errorf("%d of %d requests failed across a Redis restart; first: %v", failed.Load(), sent.Load(), firstFailure.Load())
	}
	// Each change of state is logged once: up at start, then down and up again for each outage
	// (one here, unless a stalled machine made a call time out too).
	for _, g := range []*runningGateway{a, b} {
		logs := g.logs.String()
		downs, ups := strings.Count(logs, "shared tier (Redis) is down"), strings.Count(logs, "shared tier (Redis) is up")
		if downs < 1 || ups != downs+1 {
			t.Errorf("%d down and %d up lines; want at least one outage, each logged once each way:\n%s", downs, ups, logs)
		}
	}
	// The outage shows in the metrics: the tier is up again, and the calls that failed are counted.
	if _, metrics := get(t, a.url+"/metrics"); !strings.Contains(metrics, "gateway_shared_tier_up 1") ||
		!regexp.MustCompile(`gateway_shared_tier_errors_total\{op="[a-z]+"\} [1-9]`).MatchString(metrics) {
		t.Errorf("/metrics does not show the tier up again after counted failures")
	}
	t.Logf("%d requests across a Redis restart, %d failed", sent.Load(), failed.Load())
}

// A Redis that stops answering (SIGSTOP) costs a request at most about REDIS_TIMEOUT.
func TestSharedTierStalledRedisCostsAtMostTheTimeout(t *testing.T) {
	redis := startRedis(t)
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	show := emu.Showcase()
	const timeout = 100 * time.Millisecond
	g := startGateway(t, map[string]string{"BENTLEY_API_URL": upstream.URL, "REDIS_URL": redis.url(), "CACHE_TTL": "1m", "REDIS_TIMEOUT": timeout.String()})
	waitTier(t, g, "up")
	took := func(n, offset int) []time.Duration {
		var out []time.Duration
		for i := 0; i < n; i++ {
			start := time.Now()
			body := post(t, g.url, show.Token, fmt.Sprintf(`{"query":"{ itwins(first: %d) { nodes { id } } }"}`, offset+i))
			if !strings.Contains(body, `"nodes"`) {
				t.Fatalf("request failed: %s", body)
			}
			out = append(out, time.Since(start))
		}
		slices.Sort(out)
		return out
	}
	base := took(10, 1)
	redis.signal(syscall.SIGSTOP)
	stalled := took(20, 20)
	redis.signal(syscall.SIGCONT)
	worst, usual := stalled[len(stalled)-1], base[len(base)/2]
	// The first request after the stall waits out one timeout and marks the tier down; the rest
	// skip it. 100 ms of slack for a loaded machine under the race detector.
	if worst > usual+timeout+100*time.Millisecond {
		t.Errorf("a request took %s with Redis stalled (usual %s, timeout %s)", worst, usual, timeout)
	}
	if n := len(stalled); stalled[n/2] > usual+50*time.Millisecond {
		t.Errorf("the median request took %s with Redis stalled (usual %s): requests keep waiting on it", stalled[n/2], usual)
	}
	t.Logf("usual %s; with Redis stalled: median %s, worst %s", usual, stalled[len(stalled)/2], worst)
	waitTier(t, g, "up")
}
