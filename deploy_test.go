package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/telemetry"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

// manifest is the part of a Kubernetes object these tests read.
type manifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		Selector       yaml.Node `yaml:"selector"`
		ScaleTargetRef struct {
			Kind, Name string
		} `yaml:"scaleTargetRef"`
		MinAvailable any `yaml:"minAvailable"`
		Template     struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				SecurityContext               struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
				} `yaml:"securityContext"`
				Containers []struct {
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					Env []struct {
						Name, Value string
					} `yaml:"env"`
					LivenessProbe  probe `yaml:"livenessProbe"`
					ReadinessProbe probe `yaml:"readinessProbe"`
					Resources      struct {
						Requests map[string]string `yaml:"requests"`
						Limits   map[string]string `yaml:"limits"`
					} `yaml:"resources"`
					SecurityContext struct {
						AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
						ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
						Capabilities             struct {
							Drop []string `yaml:"drop"`
						} `yaml:"capabilities"`
					} `yaml:"securityContext"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type probe struct {
	HTTPGet struct{ Path, Port string } `yaml:"httpGet"`
}

func readManifests(t *testing.T) map[string]manifest {
	t.Helper()
	files, _ := filepath.Glob("deploy/kubernetes/*.yaml")
	out := map[string]manifest{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m manifest
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[m.Kind] = m
	}
	return out
}

func TestKubernetesManifests(t *testing.T) {
	ms := readManifests(t)
	want := map[string]string{"Deployment": "apps/v1", "Service": "v1", "HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1"}
	for kind, api := range want {
		if ms[kind].APIVersion != api {
			t.Errorf("%s: apiVersion %q, want %q", kind, ms[kind].APIVersion, api)
		}
	}
	d := ms["Deployment"]
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want one container")
	}
	c := d.Spec.Template.Spec.Containers[0]
	podLabels := d.Spec.Template.Metadata.Labels

	// The probes hit what the server serves, on the port it listens on.
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 || c.Ports[0].Name != "http" {
		t.Errorf("ports %+v, want http 8080 (PORT's default)", c.Ports)
	}
	g := startGateway(t, nil)
	for probe, path := range map[string]string{"liveness": c.LivenessProbe.HTTPGet.Path, "readiness": c.ReadinessProbe.HTTPGet.Path} {
		if path != map[string]string{"liveness": "/healthz", "readiness": "/readyz"}[probe] {
			t.Errorf("%s probe path %q", probe, path)
		}
		if status, _ := get(t, g.url+path); status != 200 {
			t.Errorf("%s probe path %s answers %d", probe, path, status)
		}
	}

	// Hardening and resources.
	sc := c.SecurityContext
	if !d.Spec.Template.Spec.SecurityContext.RunAsNonRoot || !sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil ||
		*sc.AllowPrivilegeEscalation || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("securityContext is not hardened: %+v", sc)
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}

	// Every variable set is a setting the gateway knows, and valid.
	env := map[string]string{}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.env] = true
	}
	for _, e := range c.Env {
		if !known[e.Name] {
			t.Errorf("the Deployment sets %s, which the gateway does not read", e.Name)
		}
		env[e.Name] = e.Value
	}
	cfg, err := loadConfig(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the Deployment's environment is refused: %v", err)
	}
	if grace := time.Duration(d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second; grace <= cfg.drainDelay+cfg.shutdownTimeout {
		t.Errorf("terminationGracePeriodSeconds %s must exceed DRAIN_DELAY %s + SHUTDOWN_TIMEOUT %s", grace, cfg.drainDelay, cfg.shutdownTimeout)
	}
	// The worst case the settings allow fits the memory limit.
	limit, ok := mebibytes(c.Resources.Limits["memory"])
	if !ok || cfg.heapBound() > limit {
		t.Errorf("the settings allow a heap of %d MiB; the memory limit %q is smaller", cfg.heapBound()>>20, c.Resources.Limits["memory"])
	}

	// The Service, PDB and HPA find the Deployment's pods.
	for _, kind := range []string{"Service", "PodDisruptionBudget"} {
		var sel map[string]any
		node := ms[kind].Spec.Selector
		_ = node.Decode(&sel)
		if labels, ok := sel["matchLabels"].(map[string]any); ok {
			sel = labels
		}
		if len(sel) == 0 {
			t.Errorf("%s has no selector", kind)
		}
		for k, v := range sel {
			if podLabels[k] != v {
				t.Errorf("%s selects %s=%v, which the pods do not carry", kind, k, v)
			}
		}
	}
	if ref := ms["HorizontalPodAutoscaler"].Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Metadata.Name {
		t.Errorf("HPA scales %+v", ref)
	}
	if ms["PodDisruptionBudget"].Spec.MinAvailable == nil {
		t.Error("PDB has no minAvailable")
	}
}

func TestGrafanaDashboardUsesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("deploy/grafana/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	m := telemetry.NewMetrics()
	m.QueryFinished(telemetry.QueryRecord{Operation: "Q", Outcome: telemetry.OutcomeOK})
	m.UpstreamCall("itwins.get", 200, time.Millisecond)
	m.UpstreamRetry("itwins.get", "503")
	m.RetryRefused("itwins.get", "retry_budget")
	m.UpstreamShared("itwins.get", "cache_hit")
	m.CacheEvicted(1)
	m.SharedTierUp(true)
	m.SharedTierError("get")
	m.BudgetExceeded()
	m.LoaderBatch("user", 3)
	m.InFlight(0)
	families, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range families {
		exported[f.GetName()] = true
	}
	metricName := regexp.MustCompile(`\b(gateway_[a-z_]+|process_[a-z_]+|go_[a-z_]+)\b`)
	used := 0
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			for _, name := range metricName.FindAllString(target.Expr, -1) {
				used++
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
				if !exported[base] {
					t.Errorf("panel %q uses %s, which /metrics does not export", p.Title, name)
				}
			}
		}
	}
	for _, family := range []string{"gateway_graphql_queries_total", "gateway_graphql_query_duration_seconds", "gateway_graphql_in_flight",
		"gateway_upstream_requests_total", "gateway_upstream_request_duration_seconds", "gateway_upstream_retries_total", "gateway_loader_batch_size",
		"gateway_upstream_retries_refused_total", "gateway_upstream_shared_total", "gateway_cache_evictions_total",
		"gateway_upstream_budget_exceeded_total", "gateway_build_info", "gateway_shared_tier_up", "gateway_shared_tier_errors_total"} {
		if !strings.Contains(string(raw), family) {
			t.Errorf("the dashboard has no panel for %s", family)
		}
	}
	if used == 0 {
		t.Error("no metric found in the dashboard")
	}
}

func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{
		"RUNTIME_IMAGE=gcr.io/distroless/static", // small, CA certificates, no shell
		"FROM ${RUNTIME_IMAGE}",                  // overridable, to pin by digest
		"CGO_ENABLED=0",                          // static binary
		"USER 65532:65532",                       // non-root
		`HEALTHCHECK`,                            // the binary checks itself
		`CMD ["/gateway", "healthcheck"]`,        // exec form: no shell in the image
		`ENTRYPOINT ["/gateway"]`,                // exec form: signals reach the process
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
	if strings.Count(text, "\nFROM ") < 2 {
		t.Error("Dockerfile is not multi-stage")
	}
	// Both base images are pinned: a tag for people, a digest for the bytes.
	pinned := regexp.MustCompile(`(?m)^ARG (BUILD_IMAGE|RUNTIME_IMAGE)=[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$`)
	if n := len(pinned.FindAllString(text, -1)); n != 2 {
		t.Errorf("%d of the 2 base images are pinned by tag and digest", n)
	}
}

func TestHealthcheckCommand(t *testing.T) {
	g := startGateway(t, nil)
	port := g.url[strings.LastIndex(g.url, ":")+1:]
	if err := run(context.Background(), []string{"healthcheck"}, func(k string) string { return map[string]string{"PORT": port}[k] }, nil); err != nil {
		t.Errorf("healthcheck against a running gateway: %v", err)
	}
	closed := httptest.NewServer(nil)
	closed.Close()
	deadPort := closed.URL[strings.LastIndex(closed.URL, ":")+1:]
	if err := run(context.Background(), []string{"healthcheck"}, func(k string) string { return map[string]string{"PORT": deadPort}[k] }, nil); err == nil {
		t.Error("healthcheck against nothing succeeded")
	}
}

// mebibytes reads a Kubernetes quantity written in Mi or Gi.
func mebibytes(q string) (int64, bool) {
	for suffix, shift := range map[string]int{"Mi": 20, "Gi": 30} {
		if n, err := strconv.ParseInt(strings.TrimSuffix(q, suffix), 10, 64); err == nil && strings.HasSuffix(q, suffix) {
			return n << shift, true
		}
	}
	return 0, false
}

// deploy/compose.yaml runs three replicas on one Redis in front of the emulator, and the
// Kubernetes overlay wires the Secret the Deployment reads REDIS_URL from.
func TestComposeAndRedisOverlay(t *testing.T) {
	raw, err := os.ReadFile("deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Deploy      struct {
				Replicas int `yaml:"replicas"`
			} `yaml:"deploy"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatal(err)
	}
	gw := compose.Services["gateway"]
	if gw.Deploy.Replicas != 3 || gw.Environment["REDIS_URL"] != "redis://redis:6379" || gw.Environment["BENTLEY_API_URL"] != "http://emulator:8080" {
		t.Errorf("gateway service: %+v", gw)
	}
	if _, ok := compose.Services["redis"]; !ok {
		t.Error("no redis service")
	}
	if emu := compose.Services["emulator"]; len(emu.Command) != 1 || emu.Command[0] != "emulator" {
		t.Errorf("emulator service runs %v", emu.Command)
	}
	for name, svc := range compose.Services {
		for k := range svc.Environment {
			if !strings.HasPrefix(k, "OTEL_") && settingNamed(k) == nil {
				t.Errorf("%s sets %s, which is no setting", name, k)
			}
		}
	}

	raw, err = os.ReadFile("deploy/kubernetes/overlays/redis/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources       []string `yaml:"resources"`
		SecretGenerator []struct {
			Name     string   `yaml:"name"`
			Literals []string `yaml:"literals"`
		} `yaml:"secretGenerator"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatal(err)
	}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join("deploy/kubernetes/overlays/redis", r)); err != nil {
			t.Errorf("overlay resource %s: %v", r, err)
		}
	}
	deployment, _ := os.ReadFile("deploy/kubernetes/deployment.yaml")
	if len(k.SecretGenerator) != 1 || !strings.Contains(string(deployment), "secretKeyRef: {name: "+k.SecretGenerator[0].Name+", key: url, optional: true}") ||
		!strings.HasPrefix(k.SecretGenerator[0].Literals[0], "url=redis://") {
		t.Errorf("the overlay's Secret %+v is not the one the Deployment reads REDIS_URL from", k.SecretGenerator)
	}
}

// "gateway emulator" serves the platform emulator alone, for replicas to share.
func TestEmulatorCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan error, 1)
	env := map[string]string{"HOST": "127.0.0.1", "PORT": "0"}
	go func() { done <- run(ctx, []string{"emulator"}, func(k string) string { return env[k] }, out) }()
	var addr string
	testenv.Eventually(t, "the emulator starts", func() bool {
		if m := regexp.MustCompile(`on (127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	emu := emulator.New()
	show := emu.Showcase()
	emu.Close()
	req, _ := http.NewRequest("GET", "http://"+addr+"/itwins/"+show.ITwinID, nil)
	req.Header.Set("Authorization", "Bearer "+show.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /itwins/{showcase} from the emulator command: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("emulator command returned %v", err)
	}
	if err := run(context.Background(), []string{"emulator", "--port", "1"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("unknown arguments accepted")
	}
}

func settingNamed(env string) *setting {
	for i := range settings {
		if settings[i].env == env {
			return &settings[i]
		}
	}
	return nil
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader in two goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
