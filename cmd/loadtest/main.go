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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

// workload builds the requests the callers send, round robin.
func workload(emu *emulator.Emulator, o options) ([]request, error) {
	show := emu.Showcase()
	users := emu.DemoUsers()
	// ownIDs known to the showcase caller's organization: the workloads use this many, whatever
	// the dataset's size, so their answers stay comparable across runs.
	const ownIDs = 50
	var own []string
	for _, u := range users {
		if u.Organization == "Contoso Engineering" && len(own) < ownIDs {
			own = append(own, u.ID)
		}
	}
	var query string
	vars := map[string]any{}
	switch o.query {
	case "aggregation":
		query = `query ($itwin: ID!, $member: ID!) {
  itwin(id: $itwin) { id displayName class subClass status
    account { id displayName }
    member(userId: $member) { email roles { displayName } user { id email organizationName } } } }`
		vars = map[string]any{"itwin": show.ITwinID, "member": show.MemberID}
	case "teampage":
		// A team page: 100 members of the rail program, each with roles and profile.
		query = `query TeamPage($it: ID!) { itwin(id: $it) { members(first: 100) {
  nodes { roles { displayName } user { email } } } } }`
		vars = map[string]any{"it": show.ProgramID}
	case "portfolio":
		// 25 iTwins of one account, each with its account, creator and a 10-member team page.
		query = `query Portfolio($acc: ID!) { itwins(first: 25, filter: {accountId: $acc}) { nodes {
  account { displayName } createdByUser { email } members(first: 10) { nodes { user { email } } } } } }`
		vars = map[string]any{"acc": show.AccountID}
	case "aliases40":
		var b strings.Builder
		b.WriteString("{")
		for i, id := range own[:40] {
			fmt.Fprintf(&b, " u%d: user(id: %q) { id email }", i, id)
		}
		query = b.String() + " }"
	case "users1500":
		ids := make([]string, 1500)
		for i := range ids {
			ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		}
		copy(ids, own)
		query, vars = `query ($ids: [ID!]!) { users(ids: $ids) { id } }`, map[string]any{"ids": ids}
	case "repeated":
		query = fmt.Sprintf(`{ a: user(id: %[1]q) { id } b: user(id: %[1]q) { id } list: users(ids: [%[1]q, %[1]q, %[1]q]) { id } }`, show.MemberID)
	case "list100":
		ids := append([]string(nil), own...)
		for len(ids) < 100 {
			ids = append(ids, fmt.Sprintf("00000000-0000-4000-8000-%012d", len(ids)))
		}
		query, vars = `query ($ids: [ID!]!) { users(ids: $ids) { id email displayName } }`, map[string]any{"ids": ids}
	case "mix":
		return mixWorkload(emu, show)
	case "creators", "entities":
		// 20 iTwins by id, each with its creator. As root fields, lookahead sends the creators
		// from the iTwins' batch (user batches per query stay 1). As a federation router's
		// _entities, the creators' ids are known only once the iTwins are back and go through
		// the batch window (BATCH_IDLE): user batches per query above 1 are split windows.
		ids, err := itwinIDs(emu, show.Token, 20)
		if err != nil {
			return nil, err
		}
		if o.query == "entities" {
			reps := make([]map[string]any, len(ids))
			for i, id := range ids {
				reps[i] = map[string]any{"__typename": "ITwin", "id": id}
			}
			body, err := json.Marshal(map[string]any{
				"query":     `query ($r: [_Any!]!) { _entities(representations: $r) { ... on ITwin { createdByUser { email } } } }`,
				"variables": map[string]any{"r": reps}})
			if err != nil {
				return nil, err
			}
			return []request{{body: body, token: show.Token, subgraph: true}}, nil
		}
		var b strings.Builder
		b.WriteString("{")
		for i, id := range ids {
			fmt.Fprintf(&b, " t%d: itwin(id: %q) { createdByUser { email } }", i, id)
		}
		query = b.String() + " }"
	case "me":
		query = `{ me { id email } myPrimaryAccount { id displayName } }`
	default:
		return nil, fmt.Errorf("unknown query %q", o.query)
	}
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	switch o.tokens {
	case "same":
		return []request{{body: body, token: show.Token}}, nil
	case "distinct":
		if o.query != "me" {
			return nil, errors.New("-tokens distinct needs -query me: other queries read the showcase caller's data")
		}
		var reqs []request
		for _, u := range users {
			reqs = append(reqs, request{body: body, token: u.Token})
		}
		return reqs, nil
	}
	return nil, fmt.Errorf("unknown -tokens %q", o.tokens)
}

type result struct {
	latencies []time.Duration
	// spans are the queries' start and end times, kept with one caller only (for rounds).
	spans        []span
	failed       int
	firstFailure string
	elapsed      time.Duration
}

// drive runs the callers for d or until max queries, whichever comes first. Queries under way
// at the end are allowed to finish, so every upstream call counted belongs to a counted query.
// Query k goes to urls[k % len(urls)] with reqs[k % len(reqs)]: with several replicas and a
// number of requests prime to their count, one caller's successive queries visit each in turn.
func drive(client *http.Client, urls []string, reqs []request, concurrency int, d time.Duration, maxQueries int) result {
	end := time.Now().Add(d)
	ctx := context.Background()
	var (
		mu    sync.Mutex
		res   result
		count atomic.Int64
		next  atomic.Int64
		wg    sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			var spans []span
			for time.Now().Before(end) && count.Add(1) <= int64(maxQueries) {
				k := int(next.Add(1))
				r := reqs[k%len(reqs)]
				t0 := time.Now()
				url := urls[k%len(urls)]
				if r.subgraph {
					url = strings.TrimSuffix(url, "/graphql") + "/subgraph"
				}
				err := send(ctx, client, url, r)
				if err != nil {
					mu.Lock()
					if res.failed == 0 {
						res.firstFailure = err.Error()
					}
					res.failed++
					mu.Unlock()
					continue
				}
				local = append(local, time.Since(t0))
				if concurrency == 1 {
					spans = append(spans, span{t0, time.Now()})
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, local...)
			res.spans = append(res.spans, spans...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// span is when one query was under way.
type span struct{ start, end time.Time }

// roundsPerQuery assigns each upstream request to the query under way when it started (queries
// are sequential with one caller) and reads each query's round trips off its requests. It returns
// the mean over the queries the request log still covers (trimmed: the emulator dropped its
// oldest entries), and the most any query took.
func roundsPerQuery(spans []span, log []emulator.Request, trimmed bool) (mean float64, most int) {
	slices.SortFunc(log, func(a, b emulator.Request) int { return a.Start.Compare(b.Start) })
	total, counted, i := 0, 0, 0
	for _, s := range spans {
		if len(log) == 0 || trimmed && s.start.Before(log[0].Start) {
			continue // the query's first calls may be among the dropped entries
		}
		for i < len(log) && log[i].Start.Before(s.start) {
			i++
		}
		j := i
		for j < len(log) && !log[j].Start.After(s.end) {
			j++
		}
		r := emulator.Rounds(log[i:j])
		total, counted, most = total+r, counted+1, max(most, r)
		i = j
	}
	if counted == 0 {
		return 0, 0
	}
	return float64(total) / float64(counted), most
}

// send posts one query and checks the answer is complete: status 200, data, no errors.
func send(ctx context.Context, client *http.Client, url string, r request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)) || !bytes.HasPrefix(body, []byte(`{"data"`)) {
		return fmt.Errorf("status %d: %.300s", resp.StatusCode, body)
	}
	return nil
}

// serve runs a handler on a loopback port.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			upstreamConns.Add(1)
		}
	}}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

type gatewayProcess struct {
	cmd *exec.Cmd
	url string
	dir string
	bin string
}

// startGateway builds (unless given) and starts the gateway against the emulator.
func startGateway(o options, upstream string) (*gatewayProcess, error) {
	dir, err := os.MkdirTemp("", "loadtest")
	if err != nil {
		return nil, err
	}
	bin := o.gateway
	if o.floor {
		if bin, err = os.Executable(); err != nil {
			return nil, err
		}
	} else if bin == "" {
		bin = filepath.Join(dir, "gateway")
		build := exec.Command("go", "build", "-o", bin, "github.com/itwin-graphql/gateway")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("building the gateway: %w", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	_ = ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"PORT="+port, "HOST=127.0.0.1", "BENTLEY_API_URL="+upstream, "LOG_LEVEL=warn", "LOG_FORMAT=text",
		"SUBGRAPH=true", "UPSTREAM_DEDUP="+strconv.FormatBool(o.dedup), "CACHE_TTL="+o.cacheTTL.String(), "DRAIN_DELAY=0s", "REDIS_URL="+o.redis)
	if o.floor {
		cmd.Env = append(cmd.Env, floorEnv+"=1")
	}
	if o.maxUpstream > 0 {
		cmd.Env = append(cmd.Env, "UPSTREAM_MAX_CONCURRENCY="+strconv.Itoa(o.maxUpstream))
	}
	if o.perCaller > 0 {
		cmd.Env = append(cmd.Env, "UPSTREAM_MAX_CONCURRENCY_PER_CALLER="+strconv.Itoa(o.perCaller))
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	gw := &gatewayProcess{cmd: cmd, url: "http://127.0.0.1:" + port + "/graphql", dir: dir, bin: bin}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://127.0.0.1:" + port + "/healthz"); err == nil {
			resp.Body.Close()
			return gw, nil
		}
	}
	gw.stop()
	return nil, errors.New("gateway did not become healthy within 10s")
}

func (g *gatewayProcess) stop() {
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = g.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = g.cmd.Process.Kill()
	}
	_ = os.RemoveAll(g.dir)
}

// peakRSS reads the process's peak resident set size (VmHWM) from /proc, in bytes.
func peakRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// sharedCounts sums, over the replicas' /metrics, gateway_upstream_shared_total by kind (as
// "shared:KIND"), the batches of each loader ("batches:LOADER"), the process's CPU seconds
// ("cpu") and the Go runtime's allocations ("mallocs").
func sharedCounts(gws []*gatewayProcess) map[string]float64 {
	out := map[string]float64{}
	patterns := []struct {
		re     *regexp.Regexp
		prefix string
	}{
		{regexp.MustCompile(`^gateway_upstream_shared_total\{.*kind="([a-z_]+)".*\} ([0-9.e+]+)$`), "shared:"},
		{regexp.MustCompile(`^gateway_loader_batch_size_count\{loader="([a-zA-Z_]+)"\} ([0-9.e+]+)$`), "batches:"},
		{regexp.MustCompile(`^process_cpu_seconds_total() ([0-9.e+]+)$`), "cpu"},
		{regexp.MustCompile(`^go_memstats_mallocs_total() ([0-9.e+]+)$`), "mallocs"},
	}
	for _, g := range gws {
		resp, err := http.Get(strings.TrimSuffix(g.url, "/graphql") + "/metrics")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, l := range strings.Split(string(body), "\n") {
			for _, p := range patterns {
				if m := p.re.FindStringSubmatch(l); m != nil {
					v, _ := strconv.ParseFloat(m[2], 64)
					out[p.prefix+m[1]] += v
				}
			}
		}
	}
	return out
}

// defaultUpstreamSlots is the gateway's UPSTREAM_MAX_CONCURRENCY default, used when the run does
// not set one.
const defaultUpstreamSlots = 128

// reportBound prints the throughput the upstream concurrency setting allows: slots over the time
// an upstream call takes, over the calls a query makes. Nominal takes the injected latency as
// that time; effective takes the emulator's own time per call from its request log (the latency
// plus the emulator's scheduling and work, which on a busy machine is more), so qps over the
// effective bound is the share the gateway itself reaches.
func reportBound(o options, log []emulator.Request, qps, callsPerQuery float64) {
	slots := o.maxUpstream
	if slots <= 0 {
		slots = defaultUpstreamSlots
	}
	if len(log) == 0 || callsPerQuery == 0 {
		return
	}
	var total time.Duration
	for _, r := range log {
		total += r.End.Sub(r.Start)
	}
	call := total / time.Duration(len(log))
	nominal := float64(slots) / o.latency.Seconds() / callsPerQuery
	effective := float64(slots) / call.Seconds() / callsPerQuery
	fmt.Printf("upstream_call_mean=%s bound_qps nominal=%.0f (%.1f%%) effective=%.0f (%.1f%%) slots=%d\n",
		call.Round(10*time.Microsecond), nominal, 100*qps/nominal, effective, 100*qps/effective, slots)
}

// itwinIDs reads the ids of the first n iTwins the caller is a member of from the emulator.
func itwinIDs(emu *emulator.Emulator, token string, n int) ([]string, error) {
	srv := httptest.NewServer(emu)
	defer srv.Close()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/itwins?$top=%d", srv.URL, n), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var page struct {
		ITwins []struct{ ID string } `json:"iTwins"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, err
	}
	if len(page.ITwins) != n {
		return nil, fmt.Errorf("the caller sees %d iTwins; the workload needs %d", len(page.ITwins), n)
	}
	ids := make([]string, n)
	for i, it := range page.ITwins {
		ids[i] = it.ID
	}
	return ids, nil
}

// mixWorkload is the aggregation query as a dedup-free mix: one of 200 callers (members of the
// rail program, each with its own token) asks about one of the program's members, a different
// pair each time, so no upstream call is shared by dedup or repeated within a run's cache.
func mixWorkload(emu *emulator.Emulator, show emulator.Showcase) ([]request, error) {
	srv := httptest.NewServer(emu)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/accesscontrol/itwins/"+show.ProgramID+"/members/users?$top=1000", nil)
	req.Header.Set("Authorization", "Bearer "+show.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var page struct {
		Members []struct{ ID string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, err
	}
	members := map[string]bool{}
	for _, m := range page.Members {
		members[m.ID] = true
	}
	var tokens []string
	for _, u := range emu.DemoUsers() {
		if members[u.ID] && len(tokens) < 200 {
			tokens = append(tokens, u.Token)
		}
	}
	if len(tokens) < 200 || len(page.Members) < 251 {
		return nil, fmt.Errorf("the program has %d members with tokens (of %d); the mix needs 200 of 251", len(tokens), len(page.Members))
	}
	const query = `query Mix($itwin: ID!, $member: ID!) {
  itwin(id: $itwin) { id displayName class subClass status
    account { id displayName }
    member(userId: $member) { email roles { displayName } user { id email organizationName } } } }`
	// 200 tokens x 251 members (prime to 200): request k pairs token k mod 200 with member
	// k mod 251, so 50,200 requests pass before a pair repeats.
	const members251 = 251
	reqs := make([]request, 0, 200*members251)
	for k := 0; k < 200*members251; k++ {
		body, err := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"itwin": show.ProgramID, "member": page.Members[k%members251].ID}})
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, request{body: body, token: tokens[k%200]})
	}
	return reqs, nil
}
