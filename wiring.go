package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/auth"
	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/httpapi/graphiql"
	"github.com/itwin-graphql/gateway/internal/sharedstate"
	"github.com/itwin-graphql/gateway/internal/telemetry"
)

// gateway is the wired service: its routes and what to release when it stops.
type gateway struct {
	handler http.Handler
	// subgraph is served on SUBGRAPH_LISTEN when set; nil when the subgraph is off or shares the
	// public listener.
	subgraph http.Handler
	ready    *httpapi.Readiness
	closers  []func()
	// trusted is the trusted documents manifest in force, nil without TRUSTED_DOCUMENTS.
	trusted *httpapi.TrustedDocuments
}

// close releases in reverse order of acquisition.
func (g *gateway) close() {
	for i := len(g.closers) - 1; i >= 0; i-- {
		g.closers[i]()
	}
}

// newGateway wires the service from its configuration: the upstream (the embedded emulator
// unless BENTLEY_API_URL is set), tracing, metrics, the platform client, the auth mode, and the
// routes.
func newGateway(ctx context.Context, cfg config, getenv func(string) string, logger *slog.Logger) (*gateway, error) {
	gw := &gateway{}
	ok := false
	defer func() {
		if !ok {
			gw.close()
		}
	}()

	baseURL, tokenURL, show, err := gw.upstream(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}

	tracerProvider, err := gw.tracing(ctx, getenv, logger)
	if err != nil {
		return nil, err
	}

	m := telemetry.NewMetrics()
	client, tier, err := gw.platformClient(cfg, baseURL, tracerProvider, m, logger)
	if err != nil {
		return nil, err
	}

	authenticate, tokens := authentication(ctx, cfg, tokenURL, logger)

	if cfg.trustedDocs != "" {
		if gw.trusted, err = httpapi.NewTrustedDocuments(cfg.trustedDocs, cfg.trustedMode, cfg.trustedBypass, logger); err != nil {
			return nil, fmt.Errorf("TRUSTED_DOCUMENTS: %w", err)
		}
		m.OnlyListedOperations(gw.trusted.ListsOperation)
	}

	opts := httpapi.Options{
		Client:               client,
		Logger:               logger,
		RequestTimeout:       cfg.requestTimeout,
		BatchWait:            cfg.batchWait,
		Limits:               cfg.limits,
		DisableIntrospection: !cfg.introspection,
		Observer:             m,
		CORSAllowedOrigins:   cfg.corsOrigins,
		APQCacheSize:         cfg.apqCacheSize,
		APQCacheBytes:        int64(cfg.apqCacheBytes),
		QueryCacheBytes:      int64(cfg.queryCacheBytes),
		MaxInFlight:          cfg.maxInFlight,
		BodyReadTimeout:      cfg.bodyReadTimeout,
		CursorKey:            cursorKey(cfg.cursorKey),
		Authenticate:         authenticate,
		TracerProvider:       tracerProvider,
		// One in-flight bound and one body budget for both endpoints, so the memory bound holds
		// with the subgraph on.
		InFlight: httpapi.NewInFlightLimit(cfg.maxInFlight, cfg.inFlightShare),
		Bodies:   httpapi.NewBodyBudget(int64(cfg.bodyBufferBytes)),
		Trusted:  gw.trusted,
	}
	if tier != nil {
		opts.Shared, opts.SharedAPQTTL = tier, cfg.redisAPQTTL
	}
	routes := httpapi.Routes{
		GraphQL: telemetry.Traced(tracerProvider, httpapi.NewHandler(opts)),
		Metrics: m.Handler(), Pprof: cfg.pprof, Compression: cfg.compression,
	}
	if cfg.subgraph {
		// A router's queries are planned from the supergraph, not shipped by an app: the subgraph
		// is for the router's network, not the internet, and takes no manifest.
		opts.Subgraph, opts.Trusted = true, nil
		routes.Subgraph = telemetry.Traced(tracerProvider, httpapi.NewHandler(opts))
		routes.SubgraphApart, routes.SubgraphKey = cfg.subgraphListen != "", cfg.subgraphKey
	}
	// Interfaces, not pointers: a nil pointer in one would not be nil.
	var tokenState httpapi.TokenState
	if tokens != nil {
		tokenState = tokens
	}
	var tierState httpapi.TierState
	if tier != nil {
		tierState = tier
	}
	gw.ready = httpapi.NewReadiness(tokenState, tierState)
	routes.Ready = gw.ready
	graphiqlOn := cfg.graphiql
	if graphiqlOn && gw.trusted.Enforced() && !gw.trusted.Bypassable() {
		graphiqlOn = false
		logger.Info("GraphiQL is off: trusted documents are enforced and no TRUSTED_DOCUMENTS_BYPASS_KEY lets it send its own")
	}
	if graphiqlOn {
		demoToken := show.Token
		if cfg.clientID != "" {
			demoToken = "" // service mode: callers send X-Api-Key, not a user's token
		}
		var headers map[string]string
		if demoToken != "" {
			headers = map[string]string{"Authorization": "Bearer " + demoToken}
		}
		routes.GraphiQL = &graphiql.Options{Endpoint: "/graphql", ITwinID: show.ITwinID, MemberID: show.MemberID, Headers: headers}
	}
	if cfg.pprof {
		logger.Warn("PPROF=true: Go's profiler is served at /debug/pprof/; keep this port private")
	}
	if gw.handler, gw.subgraph, err = routes.Handlers(); err != nil {
		return nil, err
	}
	ok = true
	return gw, nil
}

// upstream is the platform to call: BENTLEY_API_URL, or the embedded emulator, started here, with
// its demo showcase for GraphiQL and the start-up log.
func (gw *gateway) upstream(ctx context.Context, cfg config, logger *slog.Logger) (baseURL, tokenURL string, show emulator.Showcase, err error) {
	baseURL, tokenURL = cfg.apiURL, cfg.tokenURL
	if tokenURL == "" {
		tokenURL = auth.DefaultTokenURL
	}
	if baseURL == "" {
		emu, url, shutdown, err := startEmulator(ctx)
		if err != nil {
			return "", "", show, err
		}
		gw.closers = append(gw.closers, shutdown)
		baseURL = url
		if cfg.tokenURL == "" {
			tokenURL = url + "/connect/token"
		}
		show = emu.Showcase()
		demoHeader := `{"Authorization": "Bearer ` + show.Token + `"}`
		if cfg.clientID != "" {
			demoHeader = `{"X-Api-Key": "<one of GATEWAY_API_KEYS>"}`
		}
		logger.Info("serving the embedded iTwin Platform emulator; set BENTLEY_API_URL to use a real platform",
			"emulator", url,
			"demo_header", demoHeader,
			"demo_itwin", show.ITwinID,
			"demo_member", show.MemberID)
	}

	return baseURL, tokenURL, show, nil
}

// tracing is the tracer provider the OTEL_* variables configure, nil when they turn tracing off;
// its spans are flushed when the gateway closes.
func (gw *gateway) tracing(ctx context.Context, getenv func(string) string, logger *slog.Logger) (trace.TracerProvider, error) {
	tp, err := telemetry.NewTracerProvider(ctx, getenv)
	if err != nil || tp == nil {
		return nil, err
	}
	// The SDK reports exporter failures (an unreachable collector, say) through this handler;
	// by default it prints plain text among the JSON log lines.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing: the span exporter failed", "error", err.Error())
	}))
	gw.closers = append(gw.closers, func() {
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(flushCtx)
	})
	logger.Info("tracing: exporting spans over OTLP/HTTP as the OTEL_* variables say")
	return tp, nil
}

// platformClient is the client of the platform and, with REDIS_URL, the shared tier it uses.
func (gw *gateway) platformClient(cfg config, baseURL string, tracerProvider trace.TracerProvider, m *telemetry.Metrics, logger *slog.Logger) (*bentley.Client, *sharedstate.Tier, error) {
	// The shared tier: opened before the client, which publishes hold-offs through it; the client
	// then subscribes to the hold-offs other replicas publish.
	var tier *sharedstate.Tier
	var err error
	clientOpts := []bentley.Option{}
	if cfg.redisURL != "" {
		tier, err = sharedstate.Open(cfg.redisURL, cfg.redisTimeout, cfg.sharedValueBytes(), logger, m)
		if err != nil {
			return nil, nil, err
		}
		gw.closers = append(gw.closers, tier.Close)
		clientOpts = append(clientOpts, bentley.WithSharedStore(tier))
		logger.Info("shared tier: Redis", "state", tier.Status(), "timeout", cfg.redisTimeout.String())
	}
	client, err := bentley.NewClient(append(clientOpts,
		bentley.WithHTTPClient(upstreamHTTPClient(tracerProvider, cfg.maxConcurrency)),
		bentley.WithObserver(m),
		bentley.WithLogger(logger),
		bentley.WithBaseURL(baseURL),
		bentley.WithTimeout(cfg.upstreamTimeout),
		bentley.WithRetries(cfg.retries),
		bentley.WithMaxConcurrency(cfg.maxConcurrency),
		bentley.WithMaxConcurrencyPerCaller(cfg.perCaller),
		bentley.WithRetryBudget(cfg.retryBudget),
		bentley.WithDedup(cfg.dedup),
		bentley.WithCache(cfg.cacheTTL, answerCache(cfg, m)),
	)...)
	if err != nil {
		return nil, nil, err
	}
	if tier != nil {
		tier.OnHoldOff(client.HoldOff)
	}
	return client, tier, nil
}

// answerCache is the platform client's in-process response cache: the shared LRU, bounded by
// CACHE_MAX_ENTRIES and CACHE_MAX_BYTES (each answer costs its key and body), its evictions
// counted; nil when CACHE_TTL is off.
func answerCache(cfg config, m *telemetry.Metrics) bentley.AnswerCache {
	if cfg.cacheTTL <= 0 {
		return nil
	}
	lru := sharedstate.NewLRU[*bentley.CachedAnswer](cfg.cacheEntries, int64(cfg.cacheBytes))
	lru.Cost = func(key string, a *bentley.CachedAnswer) int64 { return int64(len(key)) + a.Bytes() }
	lru.Evicted = m.CacheEvicted
	return lru
}

// authentication is how requests get their platform token: in service mode the gateway's own,
// obtained once and refreshed, for callers that present an API key (tokens is then the token
// source, which lives as long as the process, not a request); else nil, the pass-through default.
func authentication(ctx context.Context, cfg config, tokenURL string, logger *slog.Logger) (authenticate auth.Func, tokens *auth.ServiceTokens) {
	if cfg.clientID == "" {
		return nil, nil
	}
	// Detached from ctx's cancellation: queries still finishing during shutdown need tokens.
	tokens = auth.NewServiceTokens(context.WithoutCancel(ctx), cfg.clientID, cfg.clientSecret, tokenURL, logger)
	logger.Info("service mode: calling the platform with the gateway's own client credentials",
		"client_id", cfg.clientID, "token_url", tokenURL, "api_keys", len(cfg.apiKeys), "allow_anonymous", cfg.allowAnonymous)
	return auth.Service(tokens, auth.NewAPIKeys(cfg.apiKeys), cfg.allowAnonymous, logger), tokens
}

// startEmulator serves the embedded platform emulator on a loopback port, so the gateway talks
// to it over real HTTP exactly as it would to the platform.
func startEmulator(ctx context.Context) (*emulator.Emulator, string, func(), error) {
	emu := emulator.New()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, fmt.Errorf("emulator: %w", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	shutdown := func() {
		emu.Close()
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(stopCtx)
	}
	return emu, "http://" + ln.Addr().String(), shutdown, nil
}

// cursorKey is CURSOR_KEY as the handler takes it: nil when unset.
func cursorKey(secret string) []byte {
	if secret == "" {
		return nil
	}
	return []byte(secret)
}

// upstreamHTTPClient is the platform client's HTTP client: the tuned transport, with a client span
// per call and trace context injected into each request when tracing is on.
func upstreamHTTPClient(tp trace.TracerProvider, maxConcurrency int) *http.Client {
	return &http.Client{Transport: telemetry.TracedTransport(tp, bentley.NewTransportFor(maxConcurrency))}
}
