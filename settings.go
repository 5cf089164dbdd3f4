package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/httpapi"
)

// setting is one configuration value: an environment variable, the equivalent flag, its default
// and what it does. The README's configuration table, --help and SECURITY.md's limits are checked
// against this list. A default the code also needs is the package constant's, written here in
// the form the setting is parsed from, so each default is defined once. Durations follow one
// convention: 0s switches off the settings that can be off (CACHE_TTL, DRAIN_DELAY), none is
// negative; the packages' Options take zero as "the default", and no setting that can be off maps
// onto one of them.
type setting struct {
	env, flag, def, help string
}

var settings = []setting{
	{"PORT", "port", "8080", "TCP port to listen on"},
	{"HOST", "host", "", "interface to listen on; empty means all"},
	{"BENTLEY_API_URL", "bentley-api-url", "", "iTwin Platform base URL, e.g. https://api.bentley.com; empty serves the embedded emulator"},
	{"UPSTREAM_TIMEOUT", "upstream-timeout", durationText(bentley.DefaultTimeout), "deadline of one upstream call"},
	{"BENTLEY_CLIENT_ID", "bentley-client-id", "", "service mode: the gateway's own OAuth2 client (client credentials); empty passes each caller's token through"},
	{"BENTLEY_CLIENT_SECRET", "bentley-client-secret", "", "service mode: the client's secret"},
	{"BENTLEY_TOKEN_URL", "bentley-token-url", "", "service mode: token endpoint; empty means https://ims.bentley.com/connect/token, or the emulator's in emulator mode"},
	{"GATEWAY_API_KEYS", "gateway-api-keys", "", "service mode: comma-separated keys callers must send in X-Api-Key"},
	{"GATEWAY_ALLOW_ANONYMOUS", "gateway-allow-anonymous", "false", "service mode: act for callers without an API key (explicit opt-out)"},
	{"UPSTREAM_RETRIES", "upstream-retries", strconv.Itoa(bentley.DefaultRetries), "retries of a read on 429, 502, 503, 504 or a connection error (0 for none)"},
	{"UPSTREAM_MAX_CONCURRENCY", "upstream-max-concurrency", strconv.Itoa(bentley.DefaultMaxConcurrency), "most upstream calls in flight at once, across all callers"},
	{"UPSTREAM_MAX_CONCURRENCY_PER_CALLER", "upstream-max-concurrency-per-caller", strconv.Itoa(bentley.DefaultMaxConcurrencyPerCaller), "most of those calls one caller (one token, or one API key in service mode) may hold"},
	{"UPSTREAM_CALL_BUDGET", "upstream-call-budget", strconv.Itoa(graph.DefaultLimits.CallBudget), "most upstream calls one GraphQL request may make, retries included; fields past it get REQUEST_LIMIT_EXCEEDED"},
	{"UPSTREAM_RETRY_BUDGET", "upstream-retry-budget", strconv.FormatFloat(bentley.DefaultRetryRatio, 'g', -1, 64), "retries allowed across the process, as a fraction of recent first attempts (plus 10 a second); 0 turns retries off"},
	{"BATCH_WAIT", "batch-wait", durationText(graph.DefaultBatchWait), "how long a batch of keys lookahead could not foresee (children of federation _entities) waits for more keys, the dataloader's window; foreseen keys go at once"},
	{"REQUEST_TIMEOUT", "request-timeout", durationText(httpapi.DefaultRequestTimeout), "deadline of one GraphQL request, upstream calls and retries included"},
	{"MAX_BODY_BYTES", "max-body-bytes", strconv.FormatInt(graph.DefaultLimits.MaxBodyBytes, 10), "largest request body; larger ones get 413"},
	{"MAX_IN_FLIGHT", "max-in-flight", strconv.Itoa(httpapi.DefaultMaxInFlight), "most GraphQL requests executing at once (a request's body is read before it takes a place); others wait up to 2s, then get 503 OVERLOADED"},
	{"MAX_IN_FLIGHT_PER_CALLER", "max-in-flight-per-caller", strconv.Itoa(httpapi.DefaultMaxInFlightPerCaller), "each caller's share of MAX_IN_FLIGHT while others wait (one token, or one valid API key in service mode); a caller alone may use every free place"},
	{"BODY_READ_TIMEOUT", "body-read-timeout", durationText(httpapi.DefaultBodyReadTimeout), "longest the reading of one request body may take; slower bodies get 408"},
	{"BODY_BUFFER_BYTES", "body-buffer-bytes", strconv.Itoa(httpapi.DefaultBodyBufferBytes), "bytes of request bodies held at once, being read or read, across all requests (a slow body holds only what it has sent); past it 503 OVERLOADED"},
	{"QUERY_CACHE_BYTES", "query-cache-bytes", strconv.Itoa(httpapi.DefaultQueryCacheBytes), "bytes of parsed queries kept (estimated from their size), besides at most 1000 of them"},
	{"MAX_COMPLEXITY", "max-complexity", strconv.Itoa(graph.DefaultLimits.MaxComplexity), "largest query cost (10 per field that calls the platform, 2 per batched profile, 1 per other field, 1 per id in users; a connection 10 + first x each item)"},
	{"MAX_DEPTH", "max-depth", strconv.Itoa(graph.DefaultLimits.MaxDepth), "deepest field nesting (introspection not counted)"},
	{"MAX_ALIASES", "max-aliases", strconv.Itoa(graph.DefaultLimits.MaxAliases), "most aliased fields in one operation"},
	{"MAX_TOKENS", "max-tokens", strconv.Itoa(graph.DefaultLimits.MaxTokens), "most tokens the parser reads from one query"},
	{"USERS_MAX_IDS", "users-max-ids", strconv.Itoa(graph.DefaultLimits.MaxUserIDs), "most ids in one users(ids:) field"},
	{"GRAPHQL_INTROSPECTION", "graphql-introspection", "true", "serve introspection and field suggestions; false hides the schema"},
	{"GRAPHIQL", "graphiql", "true", "serve GraphiQL at /"},
	{"TRUSTED_DOCUMENTS", "trusted-documents", "", "a manifest of the operations apps may send (graphql-codegen persisted-documents.json or Apollo's persisted query manifest); reloaded on SIGHUP"},
	{"TRUSTED_DOCUMENTS_MODE", "trusted-documents-mode", "enforce", "enforce: refuse documents not in the manifest, before parsing; log: serve them and log each once"},
	{"TRUSTED_DOCUMENTS_BYPASS_KEY", "trusted-documents-bypass-key", "", "a secret (16+ characters): requests with it in X-Trusted-Documents-Bypass may send any document (GraphiQL, operators); empty: none may, and GraphiQL is off in enforce mode"},
	{"SUBGRAPH", "subgraph", "false", "also serve the graph as an Apollo Federation v2 subgraph (_service, _entities) at /subgraph, for a federation router"},
	{"SUBGRAPH_LISTEN", "subgraph-listen", "", "serve /subgraph on this address of its own (e.g. 127.0.0.1:4001, the router's network) instead of the public listener"},
	{"SUBGRAPH_KEY", "subgraph-key", "", "a secret (16+ characters) the router must send in X-Subgraph-Key; with enforced trusted documents SUBGRAPH needs this or SUBGRAPH_LISTEN"},
	{"CURSOR_KEY", "cursor-key", "", "a secret (16+ characters, the same on every replica) that signs connection cursors with HMAC-SHA-256; empty: cursors carry a plain checksum, which binds them to their list but can be rebuilt by hand"},
	{"CORS_ALLOWED_ORIGINS", "cors-allowed-origins", "", "comma-separated origins browsers may call from (e.g. https://app.example); empty allows none, * allows all"},
	{"APQ_CACHE_SIZE", "apq-cache-size", strconv.Itoa(httpapi.DefaultAPQCacheSize), "automatic persisted queries kept in memory (least recently used evicted)"},
	{"APQ_CACHE_BYTES", "apq-cache-bytes", strconv.Itoa(httpapi.DefaultAPQCacheBytes), "bytes of automatic persisted queries kept; only queries that validate are kept"},
	{"UPSTREAM_DEDUP", "upstream-dedup", "true", "share one upstream call among identical concurrent reads with the same credential"},
	{"REDIS_URL", "redis-url", "", "share APQ, the response cache and rate-limit hold-offs between replicas through Redis: redis://, rediss://, redis+sentinel://...?master_name=, redis+cluster://; empty keeps them in the process"},
	{"REDIS_TIMEOUT", "redis-timeout", "50ms", "longest any Redis call may take; past it the gateway serves without the shared tier until Redis answers again"},
	{"REDIS_APQ_TTL", "redis-apq-ttl", "24h", "how long a persisted query registered in Redis is kept"},
	{"CACHE_TTL", "cache-ttl", "0s", "keep successful upstream answers this long, per credential; 0s turns the cache off"},
	{"CACHE_MAX_ENTRIES", "cache-max-entries", "10000", "most answers the cache holds"},
	{"CACHE_MAX_BYTES", "cache-max-bytes", "67108864", "most bytes of answers the cache holds"},
	{"DRAIN_DELAY", "drain-delay", "5s", "on SIGTERM, how long /readyz fails while requests are still served, before new connections are refused"},
	{"SHUTDOWN_TIMEOUT", "shutdown-timeout", "15s", "grace period for in-flight queries after the drain delay"},
	{"COMPRESSION", "compression", "true", "compress responses of 1 KiB or more with zstd or gzip, as the client's Accept-Encoding allows"},
	{"HTTP2_CLEARTEXT", "http2-cleartext", "false", "also serve HTTP/2 without TLS (h2c, prior knowledge), as service meshes and ingresses speak inside a cluster"},
	{"HTTP2_MAX_STREAMS", "http2-max-streams", "32", "most concurrent HTTP/2 streams one connection may open"},
	{"PPROF", "pprof", "false", "serve Go's profiler at /debug/pprof/ (CPU, heap, goroutines): for diagnosis only, never on a public port"},
	{"LOG_FORMAT", "log-format", "auto", "json, text, or auto (text on a terminal, else json)"},
	{"LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
}

// usage lists every setting with its flag and default.
// durationText writes a duration as the settings parse it, in ASCII ("50us", not "50µs").
func durationText(d time.Duration) string { return strings.ReplaceAll(d.String(), "µs", "us") }

func usage() string {
	var b strings.Builder
	b.WriteString("Usage: gateway [flags]            serve\n" +
		"       gateway healthcheck [flags] ask the gateway at HOST:PORT for /healthz (the container's HEALTHCHECK)\n" +
		"       gateway --version           print the version and build\n" +
		"       gateway --help              print this\n\n" +
		"Every flag can also be set by its environment variable.\n\n")
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(&b, "  --%s (%s, default %s)\n      %s\n", s.flag, s.env, def, s.help)
	}
	return b.String()
}
