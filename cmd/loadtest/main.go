// Command loadtest measures the gateway: it starts the platform emulator with a chosen latency,
// builds and starts the gateway binary against it, drives a chosen concurrency with one kind of
// query for a chosen time, and prints queries/s, latency percentiles, upstream calls per query
// and the gateway's peak RSS.
//
// All traffic stays on loopback, and the run is bounded in time and in request count.
//
//	go run ./cmd/loadtest -query aggregation -latency 50ms -concurrency 1 -duration 10s
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
)

// upstreamConns counts the connections the gateways open to the emulator: a run that keeps
// opening them churns connections at the transport's idle limit.
var upstreamConns atomic.Int64

type options struct {
	query       string
	latency     time.Duration
	concurrency int
	duration    time.Duration
	warmup      time.Duration
	maxRequests int
	tokens      string
	dedup       bool
	cacheTTL    time.Duration
	maxUpstream int
	perCaller   int
	gateway     string
	replicas    int
	redis       string
	floor       bool
}

func main() {
	if os.Getenv(floorEnv) == "1" {
		if err := serveFloor(); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest floor proxy:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.query, "query", "aggregation", "aggregation, mix (the aggregation with a different member and one of 200 tokens each time: nothing shared), teampage, portfolio, aliases40, users1500, creators (20 iTwins by id with their creators), entities (the same as _entities at /subgraph: through the batch window), repeated, list100 or me")
	flag.DurationVar(&o.latency, "latency", 0, "latency the emulator adds to every upstream call")
	flag.IntVar(&o.concurrency, "concurrency", 32, "concurrent callers")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time (at most 5m)")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured time first")
	flag.IntVar(&o.maxRequests, "max-requests", 2_000_000, "stop after this many measured queries")
	flag.StringVar(&o.tokens, "tokens", "same", "same: every caller uses one token; distinct: each caller its own")
	flag.BoolVar(&o.dedup, "dedup", true, "UPSTREAM_DEDUP for the gateway")
	flag.DurationVar(&o.cacheTTL, "cache-ttl", 0, "CACHE_TTL for the gateway")
	flag.IntVar(&o.maxUpstream, "upstream-max-concurrency", 0, "UPSTREAM_MAX_CONCURRENCY for the gateway (0: its default)")
	flag.IntVar(&o.perCaller, "upstream-max-concurrency-per-caller", 0, "UPSTREAM_MAX_CONCURRENCY_PER_CALLER for the gateway (0: its default)")
	flag.StringVar(&o.gateway, "gateway", "", "gateway binary to run; built from this module when empty")
	flag.IntVar(&o.replicas, "replicas", 1, "gateway replicas to start against the one emulator; callers send to them round robin")
	flag.StringVar(&o.redis, "redis", "", "REDIS_URL for every replica (the shared tier); empty: none")
	flag.BoolVar(&o.floor, "floor", false, "-query mix only: start a bare net/http proxy making the mix's four platform calls in the gateway's place (cmd/loadtest/floor.go), to measure what any Go service pays for that work")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// request is one GraphQL request body with the token to send it with.
type request struct {
	body     []byte
	token    string
	subgraph bool // sent to /subgraph instead of /graphql
}

func run(o options) error {
	if o.concurrency < 1 || o.duration <= 0 || o.duration > 5*time.Minute {
		return errors.New("concurrency must be at least 1 and duration between 0 and 5m")
	}
	emu := emulator.New()
	emu.SetLatency(o.latency)
	upstream, stopUpstream, err := serve(emu)
	if err != nil {
		return err
	}
	defer stopUpstream()

	reqs, err := workload(emu, o)
	if err != nil {
		return err
	}
	if o.replicas < 1 || o.replicas > 8 {
		return errors.New("replicas must be between 1 and 8")
	}
	if o.floor && (o.query != "mix" || o.replicas != 1 || o.gateway != "") {
		return errors.New("-floor measures the mix alone: -query mix, one replica, no -gateway")
	}
	var gws []*gatewayProcess
	defer func() {
		for _, g := range gws {
			g.stop()
		}
	}()
	for range o.replicas {
		gw, err := startGateway(o, upstream)
		if err != nil {
			return err
		}
		o.gateway = gw.bin // build once
		gws = append(gws, gw)
	}
	gw := gws[0]
	urls := make([]string, len(gws))
	for i, g := range gws {
		urls[i] = g.url
	}

	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: o.concurrency * 2, MaxIdleConnsPerHost: o.concurrency * 2, IdleConnTimeout: time.Minute,
			// Uncompressed, as the recorded runs were: compression would move CPU between the
			// gateway and the load generator on the same two cores.
			DisableCompression: true,
		},
	}
	// Warm up, then measure from clean counters.
	drive(client, urls, reqs, o.concurrency, o.warmup, o.maxRequests)
	emu.Reset()
	connsBefore := upstreamConns.Load()
	before := sharedCounts(gws)
	res := drive(client, urls, reqs, o.concurrency, o.duration, o.maxRequests)
	after := sharedCounts(gws)
	rss, _ := peakRSS(gw.cmd.Process.Pid)

	slices.Sort(res.latencies)
	n := len(res.latencies)
	if n == 0 {
		return errors.New("no query completed")
	}
	fmt.Printf("query=%s latency=%s concurrency=%d tokens=%s dedup=%t cache_ttl=%s upstream_max_concurrency=%d per_caller=%d replicas=%d redis=%t floor=%t duration=%s\n",
		o.query, o.latency, o.concurrency, o.tokens, o.dedup, o.cacheTTL, o.maxUpstream, o.perCaller, o.replicas, o.redis != "", o.floor, res.elapsed.Round(time.Millisecond))
	fmt.Printf("queries=%d failed=%d qps=%.0f p50=%s p95=%s p99=%s max=%s\n",
		n, res.failed, float64(n)/res.elapsed.Seconds(),
		pct(res.latencies, 50), pct(res.latencies, 95), pct(res.latencies, 99), res.latencies[n-1].Round(10*time.Microsecond))
	fmt.Printf("upstream_calls=%d per_query=%.3f upstream_conns_opened=%d peak_rss_mb=%.1f\n",
		emu.TotalCalls(), float64(emu.TotalCalls())/float64(n+res.failed), upstreamConns.Load()-connsBefore, float64(rss)/(1<<20))
	for _, ep := range []string{emulator.EndpointITwin, emulator.EndpointITwinAccount, emulator.EndpointUserMember,
		emulator.EndpointUsersByIDList, emulator.EndpointMe, emulator.EndpointMyPrimaryAccount, emulator.EndpointITwins,
		emulator.EndpointUserMembers, emulator.EndpointRoles, emulator.EndpointPermissions} {
		if c := emu.Calls(ep); c > 0 {
			fmt.Printf("  %s=%d", ep, c)
		}
	}
	fmt.Println()
	// The gateway's own cost per answered query, read off its /metrics (process CPU in 10 ms
	// ticks, allocations by the Go runtime), and how many batches each loader sent per query:
	// above one for a loader the query uses once means its keys were split over batches.
	queries := float64(n + res.failed)
	fmt.Printf("gateway_cpu_us_per_query=%.0f allocs_per_query=%.0f\n",
		(after["cpu"]-before["cpu"])*1e6/queries, (after["mallocs"]-before["mallocs"])/queries)
	var split []string
	for k, v := range after {
		if loader, ok := strings.CutPrefix(k, "batches:"); ok && v > before[k] {
			split = append(split, fmt.Sprintf("%s=%.3f", loader, (v-before[k])/queries))
		}
	}
	slices.Sort(split)
	fmt.Printf("batches_per_query %s\n", strings.Join(split, " "))
	if o.cacheTTL > 0 {
		d := func(kind string) float64 { return after["shared:"+kind] - before["shared:"+kind] }
		if lookups := d("cache_hit") + d("cache_miss"); lookups > 0 {
			fmt.Printf("cache_hit_ratio=%.3f (local %.0f, shared tier %.0f of %.0f lookups)\n",
				(d("cache_hit")+d("shared_cache_hit"))/lookups, d("cache_hit"), d("shared_cache_hit"), lookups)
		}
	}
	if o.latency > 0 && n > 0 {
		reportBound(o, emu.Requests(), float64(n)/res.elapsed.Seconds(), float64(emu.TotalCalls())/float64(n+res.failed))
	}
	if o.concurrency == 1 {
		log := emu.Requests()
		mean, most := roundsPerQuery(res.spans, log, emu.TotalCalls() > len(log))
		fmt.Printf("upstream_rounds_per_query=%.3f max=%d (meaningful with -latency well above the gateway's own time)\n", mean, most)
	}
	if res.failed > 0 {
		return fmt.Errorf("%d queries failed; first: %s", res.failed, res.firstFailure)
	}
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p+99)/100 - 1
	return sorted[max(i, 0)].Round(10 * time.Microsecond)
}
