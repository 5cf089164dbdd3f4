package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
)

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
const defaultUpstreamSlots = bentley.DefaultMaxConcurrency

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
