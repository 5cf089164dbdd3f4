// Package telemetry is what the gateway tells its operators: the request log and request ids,
// Prometheus metrics, and OpenTelemetry traces (the provider from the OTEL_* variables, spans per
// operation and per platform call). It is middleware and small hooks; nothing in it decides how a
// request is served.
package telemetry

import (
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics turns what the gateway observes into Prometheus metrics, on a registry of its own.
// Every label value comes from a bounded set: operation names (capped, sanitised), outcomes,
// endpoint names, HTTP status codes and loader names. No token, variable or id is ever a label.
type Metrics struct {
	registry *prometheus.Registry

	queries        *prometheus.CounterVec
	queryDuration  *prometheus.HistogramVec
	inFlight       prometheus.Gauge
	queued         prometheus.Gauge
	upstream       *prometheus.CounterVec
	upstreamTime   *prometheus.HistogramVec
	retries        *prometheus.CounterVec
	retriesRefused *prometheus.CounterVec
	shared         *prometheus.CounterVec
	evictions      prometheus.Counter
	budgetExceeded prometheus.Counter
	batchSizes     *prometheus.HistogramVec
	tierUp         prometheus.Gauge
	tierErrors     *prometheus.CounterVec
	tierOnce       sync.Once
	operations     *opLabels
}

func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_graphql_queries_total",
			Help: "GraphQL requests answered, by operation name and outcome (ok, partial, rejected).",
		}, []string{"operation", "outcome"}),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_graphql_query_duration_seconds",
			Help:    "Time to answer a GraphQL request, by operation name and outcome.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"operation", "outcome"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateway_graphql_in_flight",
			Help: "GraphQL requests executing (holding one of MAX_IN_FLIGHT's places).",
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateway_graphql_queued",
			Help: "GraphQL requests waiting for one of MAX_IN_FLIGHT's places.",
		}),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_requests_total",
			Help: "Calls to the iTwin Platform, by API, endpoint and HTTP status (0: no answer).",
		}, []string{"api", "endpoint", "status"}),
		upstreamTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_upstream_request_duration_seconds",
			Help:    "Duration of calls to the iTwin Platform, by API and endpoint.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"api", "endpoint"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_retries_total",
			Help: "Retries of failed calls to the iTwin Platform, by API, endpoint and cause (the status, or connection).",
		}, []string{"api", "endpoint", "cause"}),
		retriesRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_retries_refused_total",
			Help: "Retries (and held-off calls) not made, by API, endpoint and reason (request_budget, retry_budget, deadline, held_off).",
		}, []string{"api", "endpoint", "reason"}),
		shared: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_shared_total",
			Help: "Reads by how the caches and in-flight dedup served them (cache_hit, cache_miss, shared_cache_hit, shared_cache_miss, dedup_join), by API and endpoint.",
		}, []string{"api", "endpoint", "kind"}),
		evictions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_cache_evictions_total",
			Help: "Answers the response cache dropped to stay within CACHE_MAX_ENTRIES and CACHE_MAX_BYTES.",
		}),
		budgetExceeded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_upstream_budget_exceeded_total",
			Help: "Upstream calls refused because their request had spent UPSTREAM_CALL_BUDGET.",
		}),
		batchSizes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_loader_batch_size",
			Help:    "Keys per dataloader batch, by loader.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000},
		}, []string{"loader"}),
	}
	m.tierUp = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gateway_shared_tier_up",
		Help: "1 while the shared tier (REDIS_URL) is in use, 0 while the gateway serves without it; absent without REDIS_URL.",
	})
	m.tierErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_shared_tier_errors_total",
		Help: "Shared tier (Redis) calls that failed or timed out, by operation (get, set, publish, ping).",
	}, []string{"op"})
	m.operations = newOpLabels(time.Now, func(name string) {
		m.queries.DeletePartialMatch(prometheus.Labels{"operation": name})
		m.queryDuration.DeletePartialMatch(prometheus.Labels{"operation": name})
	})
	m.registry.MustRegister(m.queries, m.queryDuration, m.inFlight, m.queued, m.upstream, m.upstreamTime, m.retries, m.batchSizes,
		m.retriesRefused, m.shared, m.evictions, m.budgetExceeded, m.tierErrors, buildInfo(),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// buildInfo is gateway_build_info, always 1, labelled with what version() prints.
func buildInfo() prometheus.Gauge {
	version, revision, goVersion := "unknown", "unknown", runtime.Version()
	if info, ok := debug.ReadBuildInfo(); ok {
		version = info.Main.Version
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "gateway_build_info",
		Help:        "The running build: module version, VCS revision and Go version. Always 1.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion},
	})
	g.Set(1)
	return g
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// operationLabel is the label of a client-chosen operation name: its own only for a plain,
// short name that opLabels gives a series.
func (m *Metrics) operationLabel(name string) string {
	if name == "" {
		return "anonymous"
	}
	if len(name) > 64 || strings.IndexFunc(name, func(r rune) bool {
		return !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) >= 0 {
		return "other"
	}
	return m.operations.label(name)
}

// OnlyListedOperations gives series to the trusted documents' operation names and no others.
func (m *Metrics) OnlyListedOperations(listed func(string) bool) { m.operations.listed = listed }

// apiOf names the API of an endpoint name ("itwins.get" -> "itwins").
func apiOf(endpoint string) string {
	api, _, _ := strings.Cut(endpoint, ".")
	return api
}

// QueryFinished implements QueryObserver.
func (m *Metrics) QueryFinished(q QueryRecord) {
	op := m.operationLabel(q.Operation)
	m.queries.WithLabelValues(op, q.Outcome).Inc()
	m.queryDuration.WithLabelValues(op, q.Outcome).Observe(q.Duration.Seconds())
}

// LoaderBatch implements graph.Observer.
func (m *Metrics) LoaderBatch(loader string, keys int) {
	m.batchSizes.WithLabelValues(loader).Observe(float64(keys))
}

// InFlight implements httpapi.AdmissionObserver.
func (m *Metrics) InFlight(delta int) { m.inFlight.Add(float64(delta)) }

// Queued implements httpapi.AdmissionObserver.
func (m *Metrics) Queued(delta int) { m.queued.Add(float64(delta)) }

// UpstreamCall implements bentley.Observer.
func (m *Metrics) UpstreamCall(endpoint string, status int, d time.Duration) {
	m.upstream.WithLabelValues(apiOf(endpoint), endpoint, strconv.Itoa(status)).Inc()
	m.upstreamTime.WithLabelValues(apiOf(endpoint), endpoint).Observe(d.Seconds())
}

// UpstreamRetry implements bentley.Observer.
func (m *Metrics) UpstreamRetry(endpoint, cause string) {
	m.retries.WithLabelValues(apiOf(endpoint), endpoint, cause).Inc()
}

// RetryRefused implements bentley.Observer.
func (m *Metrics) RetryRefused(endpoint, reason string) {
	m.retriesRefused.WithLabelValues(apiOf(endpoint), endpoint, reason).Inc()
}

// UpstreamShared implements bentley.Observer.
func (m *Metrics) UpstreamShared(endpoint, kind string) {
	m.shared.WithLabelValues(apiOf(endpoint), endpoint, kind).Inc()
}

// CacheEvicted implements bentley.Observer.
func (m *Metrics) CacheEvicted(n int) { m.evictions.Add(float64(n)) }

// SharedTierUp reports the shared tier's state (sharedstate.Observer). The gauge is registered
// with the first report, so a gateway without REDIS_URL exports none.
func (m *Metrics) SharedTierUp(up bool) {
	m.tierOnce.Do(func() { m.registry.MustRegister(m.tierUp) })
	if up {
		m.tierUp.Set(1)
	} else {
		m.tierUp.Set(0)
	}
}

// SharedTierError counts a failed shared tier call (sharedstate.Observer).
func (m *Metrics) SharedTierError(op string) { m.tierErrors.WithLabelValues(op).Inc() }

// BudgetExceeded implements graph.Observer.
func (m *Metrics) BudgetExceeded() { m.budgetExceeded.Inc() }

// Gatherer is the metrics' registry, for tests and dashboards to read what /metrics serves.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.registry }
