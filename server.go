// Command gateway serves one GraphQL graph over Bentley's iTwin Platform (iTwins, Access
// Control and Users). With no configuration it serves an embedded platform emulator.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/httpapi"
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
		return healthcheck(ctx, args[1:], getenv)
	}
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-version" || args[0] == "version") {
		_, _ = io.WriteString(stdout, version())
		return nil
	}
	if len(args) > 0 && args[0] == "emulator" {
		return serveEmulator(ctx, args[1:], getenv, stdout)
	}
	if len(args) > 0 && args[0] == "schema" {
		return printSchema(args[1:], stdout)
	}
	if len(args) == 1 && args[0] == "help" {
		args = []string{"--help"}
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
	logger.Info("memory bound from the settings", "worst_case_heap_mib", cfg.heapBound()>>20, "covers", "/graphql and /subgraph together")
	tuneGC(getenv, cfg.heapBound(), logger)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	gw, err := newGateway(ctx, cfg, getenv, logger)
	if err != nil {
		return err
	}
	defer gw.close()
	reloadOnHangup(ctx, gw.trusted, logger)
	listeners := []listener{{name: "graphql", addr: net.JoinHostPort(cfg.host, cfg.port), handler: gw.handler}}
	if gw.subgraph != nil {
		listeners = append(listeners, listener{name: "subgraph", addr: cfg.subgraphListen, handler: gw.subgraph})
	}
	return serve(ctx, cfg, logger, listeners, gw.ready.Drain)
}

// listener is one address the gateway serves and what it serves there.
type listener struct {
	name, addr string
	handler    http.Handler
}

// serve listens on every listener and serves until ctx is done, then shuts down gracefully in
// the order Kubernetes needs: drain() makes /readyz fail and every HTTP/1 answer from then on
// closes its connection, the servers keep serving for DRAIN_DELAY while endpoints stop routing
// here, then new connections are refused and in-flight requests get SHUTDOWN_TIMEOUT to finish.
// Closing each connection after its next answer, rather than all idle ones at once, means no
// client is caught sending on a connection the gateway is closing.
func serve(ctx context.Context, cfg config, logger *slog.Logger, listeners []listener, drain func()) error {
	var draining atomic.Bool
	servers := make([]*http.Server, 0, len(listeners))
	served := make(chan error, len(listeners))
	for _, l := range listeners {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			for _, srv := range servers {
				_ = srv.Close()
			}
			return fmt.Errorf("listen (%s): %w", l.name, err)
		}
		srv := newHTTPServer(cfg, logger, closeWhenDraining(&draining, l.handler))
		servers = append(servers, srv)
		go func() { served <- srv.Serve(ln) }()
		if l.name == "graphql" {
			logger.Info("listening", "addr", ln.Addr().String(), "graphql", "/graphql", "graphiql", "/")
		} else {
			logger.Info("listening for the federation router", "addr", ln.Addr().String(), l.name, "/"+l.name)
		}
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	drain()
	draining.Store(true)
	if cfg.drainDelay > 0 {
		logger.Info("draining: /readyz fails, requests are still served", "drain_delay", cfg.drainDelay.String())
		select {
		case err := <-served:
			return fmt.Errorf("serve: %w", err)
		case <-time.After(cfg.drainDelay):
		}
	}
	logger.Info("shutting down", "grace", cfg.shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Shutdown(shutdownCtx); err != nil {
				// The grace period is over: what is still running is cut off. That is the
				// configured behaviour, not a failure of the process.
				logger.Warn("grace period over; closing the remaining connections", "error", err.Error())
				_ = srv.Close()
			}
		}()
	}
	wg.Wait()
	for range servers {
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	logger.Info("stopped")
	return nil
}

// newHTTPServer is the http.Server of one listener, with every timeout and bound set.
func newHTTPServer(cfg config, logger *slog.Logger, handler http.Handler) *http.Server {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		// A backstop for routes that read no body; /graphql reads its body under
		// BODY_READ_TIMEOUT and then lifts the read deadline for the execution.
		ReadTimeout:  15 * time.Second,
		WriteTimeout: cfg.requestTimeout + 5*time.Second,
		IdleTimeout:  2 * time.Minute,
		// Header bytes past the request line; Go adds 4 KiB of slack.
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if cfg.h2c {
		// HTTP/2 without TLS (prior knowledge) beside HTTP/1.1, for meshes and ingresses that
		// speak it inside a cluster; TLS is theirs to terminate.
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
		// One connection's streams are capped, so one client cannot open a crowd of requests
		// over a single connection.
		srv.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: cfg.h2Streams}
	}
	return srv
}

// closeWhenDraining makes every HTTP/1 answer close its connection once the drain has begun
// (HTTP/2 connections get GOAWAY at shutdown).
func closeWhenDraining(draining *atomic.Bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() && r.ProtoMajor == 1 {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
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

// healthcheck is "gateway healthcheck": it asks the gateway on the configured HOST and PORT (from
// the environment, or flags after the word) for /healthz and fails unless the answer is 200. The
// container image has no shell or curl, so its HEALTHCHECK runs the binary itself. A gateway
// listening on every interface is asked on loopback.
func healthcheck(ctx context.Context, args []string, getenv func(string) string) error {
	cfg, err := loadConfig(args, getenv)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	host := cfg.host
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::", "[::]":
		host = "::1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(strings.Trim(host, "[]"), cfg.port)+"/healthz", nil)
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

// version describes the build: the module's version and VCS revision, as the Go toolchain
// recorded them (a build with -buildvcs=false has no revision).
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "gateway (no build information)\n"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	revision := settings["vcs.revision"]
	if revision == "" {
		revision = "unknown"
	}
	if settings["vcs.modified"] == "true" {
		revision += " (modified)"
	}
	return fmt.Sprintf("gateway %s %s\nrevision %s %s\n%s\n", info.Main.Path, info.Main.Version, revision, settings["vcs.time"], info.GoVersion)
}

// schemaSDL is the plain schema served at /graphql, as written.
//
//go:embed schema.graphqls
var schemaSDL string

// printSchema is "gateway schema [--federation]": the plain schema's SDL, or with --federation
// the subgraph's (what /subgraph answers to _service { sdl }), for a schema registry or a
// composition step.
func printSchema(args []string, stdout io.Writer) error {
	switch {
	case len(args) == 0:
		_, err := io.WriteString(stdout, schemaSDL)
		return err
	case len(args) == 1 && (args[0] == "--federation" || args[0] == "-federation"):
		sdl, err := graph.SubgraphSDL()
		if err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		_, err = io.WriteString(stdout, sdl+"\n")
		return err
	default:
		return fmt.Errorf("schema: unknown arguments %q; usage: gateway schema [--federation]", args)
	}
}

// reloadOnHangup reloads the trusted documents manifest on each SIGHUP until ctx ends. The new
// manifest replaces the old one whole, between requests; one that fails to load leaves the old
// one in force. Without a manifest SIGHUP is still caught (its default would kill the process
// with no drain) and only logged.
func reloadOnHangup(ctx context.Context, t *httpapi.TrustedDocuments, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				switch {
				case t == nil:
					logger.Info("SIGHUP: nothing to reload (no TRUSTED_DOCUMENTS)")
				default:
					if err := t.Reload(); err != nil {
						logger.Error("trusted documents not reloaded; the previous manifest stays in force", "error", err)
					}
				}
			}
		}
	}()
}

// serveEmulator is "gateway emulator": the iTwin Platform emulator alone on HOST:PORT (default
// 0.0.0.0:8080), for several gateway replicas to share as their platform (deploy/compose.yaml).
// Its demo tokens are the same as the embedded emulator's.
func serveEmulator(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("emulator: unknown arguments %q; usage: gateway emulator (HOST and PORT from the environment)", args)
	}
	port := getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(getenv("HOST"), port))
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	emu := emulator.New()
	defer emu.Close()
	show := emu.Showcase()
	fmt.Fprintf(stdout, "iTwin Platform emulator on %s; demo header {\"Authorization\": \"Bearer %s\"}, demo iTwin %s\n",
		ln.Addr(), show.Token, show.ITwinID)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// defaultGCPercent is the garbage collector's target when GOGC is not set. The gateway's live
// heap is a few MB while it allocates about 100 KB per query, so at Go's default (100) the
// collector runs dozens of times a second for little to free. 400 lets the heap grow to five
// times the live data between cycles; GOMEMLIMIT (below) keeps the worst case bounded.
const defaultGCPercent = 400

// tuneGC applies the GC defaults unless the operator set GOGC or GOMEMLIMIT (Go's own variables,
// which always win): the target above, and a soft memory limit of the worst-case heap the
// settings allow plus 64 MiB, so that near the limit the collector works harder instead of the
// process growing past what the manifests reserve.
func tuneGC(getenv func(string) string, heapBound int64, logger *slog.Logger) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(heapBound + 64<<20)
	}
	// SetMemoryLimit with a negative value only reads the limit.
	logger.Debug("garbage collector", "gogc", getenv("GOGC"), "memory_limit_mib", debug.SetMemoryLimit(-1)>>20)
}
