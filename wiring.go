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

	baseURL, tokenURL := cfg.apiURL, cfg.tokenURL
	if tokenURL == "" {
		tokenURL = auth.DefaultTokenURL
	}
	var show emulator.Showcase
	if baseURL == "" {
		emu, url, shutdown, err := startEmulator(ctx)
		if err != nil {
			return nil, err
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

	tp, err := telemetry.NewTracerProvider(ctx, getenv)
	if err != nil {
		return nil, err
	}
	if tp != nil {
		// The SDK reports exporter failures (an unreachable collector, say) through this handler;
		// by default it prints plain text among the JSON log lines.
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			logger.Warn("tracing: the span exporter failed", "error", err.Error())
		}))
	}
	var tracerProvider trace.TracerProvider
	if tp != nil {
		tracerProvider = tp
		gw.closers = append(gw.closers, func() {
			flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = tp.Shutdown(flushCtx)
		})
		logger.Info("tracing: exporting spans over OTLP/HTTP as the OTEL_* variables say")
	}

	m := telemetry.NewMetrics()
	// The shared tier: opened before the client, which publishes hold-offs through it, and told
	// of the client afterwards for the hold-offs other replicas publish.
	var tier *sharedstate.Tier
	var holdOff func(string, time.Time)
	clientOpts := []bentley.Option{}
	if cfg.redisURL != "" {
		tier, err = sharedstate.Open(cfg.redisURL, cfg.redisTimeout, cfg.sharedValueBytes(), logger, m, func(scope string, until time.Time) {
			if holdOff != nil {
				holdOff(scope, until)
			}
		})
		if err != nil {
			return nil, err
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
		bentley.WithCache(cfg.cacheTTL, cfg.cacheEntries, cfg.cacheBytes),
	)...)
	if err != nil {
		return nil, err
	}
	holdOff = client.HoldOff

	// Service mode: the gateway's own token, obtained once and refreshed, for callers that
	// present an API key. The token source lives as long as the process, not a request.
	var authenticate auth.Func
	var tokens *auth.ServiceTokens
	if cfg.clientID != "" {
		// Detached from ctx's cancellation: queries still finishing during shutdown need tokens.
		tokens = auth.NewServiceTokens(context.WithoutCancel(ctx), cfg.clientID, cfg.clientSecret, tokenURL, logger)
		authenticate = auth.Service(tokens, auth.NewAPIKeys(cfg.apiKeys), cfg.allowAnonymous, logger)
		logger.Info("service mode: calling the platform with the gateway's own client credentials",
			"client_id", cfg.clientID, "token_url", tokenURL, "api_keys", len(cfg.apiKeys), "allow_anonymous", cfg.allowAnonymous)
	}

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
		BatchIdle:            batchIdle(cfg.batchIdle),
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

// batchIdle maps BATCH_IDLE to httpapi.Options, where zero means the default: 0s is none.
func batchIdle(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// upstreamHTTPClient is the platform client's HTTP client: the tuned transport, with a client span
// per call and trace context injected into each request when tracing is on.
func upstreamHTTPClient(tp trace.TracerProvider, maxConcurrency int) *http.Client {
	return &http.Client{Transport: telemetry.TracedTransport(tp, bentley.NewTransportFor(maxConcurrency))}
}
