// Command gateway serves one GraphQL graph over Bentley's iTwin Platform (iTwins, Access
// Control and Users). With no configuration it serves an embedded platform emulator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// run starts the gateway and blocks until ctx is cancelled or SIGINT/SIGTERM arrives, then
// shuts down gracefully. Tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(ctx, getenv)
	}
	cfg, err := loadConfig(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		_, _ = io.WriteString(stdout, usage())
		return nil
	}
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stdout)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	baseURL, tokenURL := cfg.apiURL, cfg.tokenURL
	var show emulator.Showcase
	if tokenURL == "" {
		tokenURL = DefaultTokenURL
	}
	if baseURL == "" {
		emu, url, shutdown, err := startEmulator()
		if err != nil {
			return err
		}
		defer shutdown()
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

	tp, err := newTracerProvider(ctx, getenv)
	if err != nil {
		return err
	}
	var tracerProvider trace.TracerProvider
	if tp != nil {
		tracerProvider = tp
		defer func() {
			flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = tp.Shutdown(flushCtx)
		}()
		logger.Info("tracing: exporting spans over OTLP/HTTP as the OTEL_* variables say")
	}

	m := newMetrics()
	client, err := bentley.NewClient(
		bentley.WithHTTPClient(upstreamHTTPClient(tracerProvider)),
		bentley.WithObserver(m),
		bentley.WithBaseURL(baseURL),
		bentley.WithTimeout(cfg.upstreamTimeout),
		bentley.WithRetries(cfg.retries),
		bentley.WithMaxConcurrency(cfg.maxConcurrency),
		bentley.WithDedup(cfg.dedup),
		bentley.WithCache(cfg.cacheTTL, cfg.cacheEntries, cfg.cacheBytes),
	)
	if err != nil {
		return err
	}

	// Service mode: the gateway's own token, obtained once and refreshed, for callers that
	// present an API key. The token source lives as long as the process, not a request.
	var authenticate graph.Authenticate
	var tokens *serviceTokens
	if cfg.clientID != "" {
		tokens = newServiceTokens(context.Background(), cfg.clientID, cfg.clientSecret, tokenURL)
		authenticate = serviceAuthenticate(tokens, newAPIKeys(cfg.apiKeys), cfg.allowAnonymous, logger)
		logger.Info("service mode: calling the platform with the gateway's own client credentials",
			"client_id", cfg.clientID, "token_url", tokenURL, "api_keys", len(cfg.apiKeys), "allow_anonymous", cfg.allowAnonymous)
	}

	mux := http.NewServeMux()
	mux.Handle("/graphql", traced(tracerProvider, graph.NewHandler(graph.Options{
		Client:               client,
		Logger:               logger,
		RequestTimeout:       cfg.requestTimeout,
		Limits:               cfg.limits,
		DisableIntrospection: !cfg.introspection,
		Observer:             m,
		CORSAllowedOrigins:   cfg.corsOrigins,
		APQCacheSize:         cfg.apqCacheSize,
		Authenticate:         authenticate,
		TracerProvider:       tracerProvider,
	})))
	mux.Handle("GET /readyz", newReadiness(client, tokens))
	mux.Handle("GET /metrics", m.handler())
	if cfg.graphiql {
		demoToken := show.Token
		if cfg.clientID != "" {
			demoToken = "" // service mode: callers send X-Api-Key, not a user's token
		}
		mux.Handle("GET /{$}", graphiQL(show.ITwinID, show.MemberID, demoToken))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.host, cfg.port))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      cfg.requestTimeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "graphql", "/graphql", "graphiql", "/")

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", cfg.shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// The grace period is over: what is still running is cut off. That is the configured
		// behaviour, not a failure of the process.
		logger.Warn("grace period over; closing the remaining connections", "error", err.Error())
		_ = srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// startEmulator serves the embedded platform emulator on a loopback port, so the gateway talks
// to it over real HTTP exactly as it would to the platform.
func startEmulator() (*emulator.Emulator, string, func(), error) {
	emu := emulator.New()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, fmt.Errorf("emulator: %w", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	shutdown := func() {
		emu.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return emu, "http://" + ln.Addr().String(), shutdown, nil
}

// newLogger logs JSON unless LOG_FORMAT says text, or says auto and stdout is a terminal.
func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	format := cfg.logFormat
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// healthcheck is "gateway healthcheck": it asks the gateway on this host's PORT for /healthz and
// fails unless the answer is 200. The container image has no shell or curl, so its HEALTHCHECK
// runs the binary itself.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	port := getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %d", resp.StatusCode)
	}
	return nil
}
