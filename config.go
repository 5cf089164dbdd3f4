package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/httpapi"
)

// config is the parsed configuration.
type config struct {
	port, host      string
	apiURL          string
	upstreamTimeout time.Duration
	batchWait       time.Duration
	dedup           bool
	cacheTTL        time.Duration
	cacheEntries    int
	cacheBytes      int
	shutdownTimeout time.Duration
	retries         int
	maxConcurrency  int
	requestTimeout  time.Duration
	introspection   bool
	limits          graph.Limits
	graphiql        bool
	subgraph        bool
	subgraphListen  string
	subgraphKey     string
	cursorKey       string
	pprof           bool
	trustedDocs     string
	trustedMode     string
	trustedBypass   string
	redisURL        string
	redisTimeout    time.Duration
	redisAPQTTL     time.Duration
	corsOrigins     []string
	apqCacheSize    int
	apqCacheBytes   int
	queryCacheBytes int
	maxInFlight     int
	inFlightShare   int
	bodyReadTimeout time.Duration
	bodyBufferBytes int
	h2Streams       int
	drainDelay      time.Duration
	compression     bool
	h2c             bool
	retryBudget     float64
	perCaller       int
	clientID        string
	clientSecret    string
	tokenURL        string
	apiKeys         []string
	allowAnonymous  bool
	logFormat       string
	logLevel        slog.Level
}

// Estimates behind heapBound, measured or generous: a parsed document takes at most
// httpapi.ASTBytesPerToken bytes of heap per token, and the process itself (runtime, the schema,
// metrics, tracing, idle buffers) about 40 MiB.
const (
	heapBase          = 40 << 20
	astBytesPerToken  = httpapi.ASTBytesPerToken
	perRequestExtra   = 1 << 20 // a request's loaders, decoded answers and response
	bodyCopiesAtOnce  = 3       // the body read, its decoded query, and the buffer's slack
	parsesAtOnce      = 2       // the document check's parse and gqlgen's
	upstreamBodyBytes = bentley.MaxResponseBytes
	// An upstream answer's headers, read before its body.
	upstreamHeaderBytes = bentley.MaxResponseHeaderBytes
)

// heapBound is the most heap the settings let traffic take, whatever it sends: the process, the
// parsed-query and APQ caches at their bounds, the request bodies' budget, MAX_IN_FLIGHT requests
// each with the largest body and the most tokens, every upstream slot holding the largest answer
// with the most headers, and the response cache when
// it is on. The Kubernetes manifest's memory limit is checked against it.
func (c config) heapBound() int64 {
	// The body as read is in BODY_BUFFER_BYTES, for requests reading, waiting or executing; an
	// executing request holds the other copies.
	perRequest := (bodyCopiesAtOnce-1)*c.limits.MaxBodyBytes + parsesAtOnce*astBytesPerToken*int64(c.limits.MaxTokens) + perRequestExtra
	b := heapBase + int64(c.queryCacheBytes) + int64(c.apqCacheBytes) + int64(c.bodyBufferBytes) + int64(c.maxInFlight)*perRequest +
		int64(c.maxConcurrency)*(upstreamBodyBytes+upstreamHeaderBytes)
	if c.cacheTTL > 0 {
		b += int64(c.cacheBytes)
	}
	return b
}

// sharedValueBytes is the largest value the gateway stores in Redis: an APQ document (at most a
// body) or a sealed upstream answer (at most MaxResponseBytes, with its status, its content type
// (a header, so within MaxResponseHeaderBytes), nonce and tag).
func (c config) sharedValueBytes() int64 {
	return max(c.limits.MaxBodyBytes, bentley.MaxResponseBytes+bentley.MaxResponseHeaderBytes+1024)
}

// loadConfig reads every setting from its flag, else its environment variable, else its
// default, and refuses invalid values with a message naming the setting.
func loadConfig(args []string, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	values := map[string]*string{}
	for _, s := range settings {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		values[s.env] = fs.String(s.flag, def, fmt.Sprintf("%s (env %s)", s.help, s.env))
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, fmt.Errorf("%w\n%s", err, usage())
	}
	if extra := fs.Args(); len(extra) > 0 {
		// "gateway help --port 9090" must not serve on 8080 as if nothing had been said.
		return config{}, fmt.Errorf("unexpected argument %q: settings are flags such as --port 9090\n%s", extra[0], usage())
	}
	get := func(env string) string { return strings.TrimSpace(*values[env]) }

	var cfg config
	var err error
	cfg.port = get("PORT")
	if p, perr := strconv.Atoi(cfg.port); perr != nil || p < 0 || p > 65535 {
		return config{}, fmt.Errorf("PORT: %q is not a port number", cfg.port)
	}
	cfg.host = get("HOST")
	cfg.apiURL = strings.TrimRight(get("BENTLEY_API_URL"), "/")
	if cfg.apiURL != "" {
		if u, err := url.Parse(cfg.apiURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return config{}, fmt.Errorf("BENTLEY_API_URL: %q is not an absolute http(s) URL such as https://api.bentley.com", cfg.apiURL)
		}
	}
	if cfg.upstreamTimeout, err = positiveDuration("UPSTREAM_TIMEOUT", get("UPSTREAM_TIMEOUT")); err != nil {
		return config{}, err
	}
	if cfg.retries, err = strconv.Atoi(get("UPSTREAM_RETRIES")); err != nil || cfg.retries < 0 || cfg.retries > 10 {
		return config{}, fmt.Errorf("UPSTREAM_RETRIES: %q is not a whole number from 0 to 10", get("UPSTREAM_RETRIES"))
	}
	if cfg.batchWait, err = positiveDuration("BATCH_WAIT", get("BATCH_WAIT")); err != nil {
		return config{}, err
	}
	if cfg.batchWait > time.Second {
		return config{}, fmt.Errorf("BATCH_WAIT: %q is more than 1s, which every such batch could add to a query", get("BATCH_WAIT"))
	}
	if cfg.requestTimeout, err = positiveDuration("REQUEST_TIMEOUT", get("REQUEST_TIMEOUT")); err != nil {
		return config{}, err
	}
	cfg.trustedDocs, cfg.trustedMode, cfg.trustedBypass = get("TRUSTED_DOCUMENTS"), get("TRUSTED_DOCUMENTS_MODE"), get("TRUSTED_DOCUMENTS_BYPASS_KEY")
	if cfg.trustedMode != httpapi.TrustedEnforce && cfg.trustedMode != httpapi.TrustedLog {
		return config{}, fmt.Errorf("TRUSTED_DOCUMENTS_MODE: %q is not enforce or log", cfg.trustedMode)
	}
	if cfg.trustedBypass != "" && len(cfg.trustedBypass) < 16 {
		return config{}, fmt.Errorf("TRUSTED_DOCUMENTS_BYPASS_KEY: at least 16 characters")
	}
	if cfg.trustedDocs == "" && cfg.trustedBypass != "" {
		return config{}, fmt.Errorf("TRUSTED_DOCUMENTS_BYPASS_KEY is set but TRUSTED_DOCUMENTS is not")
	}
	cfg.redisURL = get("REDIS_URL")
	if cfg.redisTimeout, err = time.ParseDuration(get("REDIS_TIMEOUT")); err != nil || cfg.redisTimeout <= 0 || cfg.redisTimeout > 5*time.Second {
		return config{}, fmt.Errorf("REDIS_TIMEOUT: %q is not a duration between 0 and 5s", get("REDIS_TIMEOUT"))
	}
	if cfg.redisAPQTTL, err = time.ParseDuration(get("REDIS_APQ_TTL")); err != nil || cfg.redisAPQTTL < time.Second {
		return config{}, fmt.Errorf("REDIS_APQ_TTL: %q is not a duration of at least 1s", get("REDIS_APQ_TTL"))
	}
	if cfg.pprof, err = strconv.ParseBool(get("PPROF")); err != nil {
		return config{}, fmt.Errorf("PPROF: %q is not true or false", get("PPROF"))
	}
	if cfg.subgraph, err = strconv.ParseBool(get("SUBGRAPH")); err != nil {
		return config{}, fmt.Errorf("SUBGRAPH: %q is not true or false", get("SUBGRAPH"))
	}
	if cfg.cursorKey = get("CURSOR_KEY"); cfg.cursorKey != "" && len(cfg.cursorKey) < 16 {
		return config{}, errors.New("CURSOR_KEY: at least 16 characters")
	}
	if err := cfg.loadSubgraph(get); err != nil {
		return config{}, err
	}
	if cfg.graphiql, err = strconv.ParseBool(get("GRAPHIQL")); err != nil {
		return config{}, fmt.Errorf("GRAPHIQL: %q is not true or false", get("GRAPHIQL"))
	}
	if cfg.introspection, err = strconv.ParseBool(get("GRAPHQL_INTROSPECTION")); err != nil {
		return config{}, fmt.Errorf("GRAPHQL_INTROSPECTION: %q is not true or false", get("GRAPHQL_INTROSPECTION"))
	}
	ints := []struct {
		env string
		dst *int
	}{
		{"UPSTREAM_MAX_CONCURRENCY", &cfg.maxConcurrency},
		{"UPSTREAM_MAX_CONCURRENCY_PER_CALLER", &cfg.perCaller},
		{"MAX_IN_FLIGHT", &cfg.maxInFlight},
		{"MAX_IN_FLIGHT_PER_CALLER", &cfg.inFlightShare},
		{"BODY_BUFFER_BYTES", &cfg.bodyBufferBytes},
		{"HTTP2_MAX_STREAMS", &cfg.h2Streams},
		{"QUERY_CACHE_BYTES", &cfg.queryCacheBytes},
		{"APQ_CACHE_BYTES", &cfg.apqCacheBytes},
		{"UPSTREAM_CALL_BUDGET", &cfg.limits.CallBudget},
		{"MAX_COMPLEXITY", &cfg.limits.MaxComplexity},
		{"MAX_DEPTH", &cfg.limits.MaxDepth},
		{"MAX_ALIASES", &cfg.limits.MaxAliases},
		{"MAX_TOKENS", &cfg.limits.MaxTokens},
		{"USERS_MAX_IDS", &cfg.limits.MaxUserIDs},
	}
	for _, v := range ints {
		if *v.dst, err = positiveInt(v.env, get(v.env)); err != nil {
			return config{}, err
		}
	}
	for _, o := range strings.Split(get("CORS_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(o); o != "*" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "") {
			return config{}, fmt.Errorf("CORS_ALLOWED_ORIGINS: %q is not an origin such as https://app.example, nor *", o)
		}
		cfg.corsOrigins = append(cfg.corsOrigins, o)
	}
	if cfg.apqCacheSize, err = positiveInt("APQ_CACHE_SIZE", get("APQ_CACHE_SIZE")); err != nil {
		return config{}, err
	}
	if err := cfg.loadServiceMode(get); err != nil {
		return config{}, err
	}
	maxBody, err := positiveInt("MAX_BODY_BYTES", get("MAX_BODY_BYTES"))
	if err != nil {
		return config{}, err
	}
	cfg.limits.MaxBodyBytes = int64(maxBody)
	if cfg.dedup, err = strconv.ParseBool(get("UPSTREAM_DEDUP")); err != nil {
		return config{}, fmt.Errorf("UPSTREAM_DEDUP: %q is not true or false", get("UPSTREAM_DEDUP"))
	}
	if cfg.cacheTTL, err = time.ParseDuration(get("CACHE_TTL")); err != nil || cfg.cacheTTL < 0 {
		return config{}, fmt.Errorf("CACHE_TTL: %q is not a duration such as 30s (0s for off)", get("CACHE_TTL"))
	}
	if cfg.cacheEntries, err = positiveInt("CACHE_MAX_ENTRIES", get("CACHE_MAX_ENTRIES")); err != nil {
		return config{}, err
	}
	if cfg.cacheBytes, err = positiveInt("CACHE_MAX_BYTES", get("CACHE_MAX_BYTES")); err != nil {
		return config{}, err
	}
	if cfg.shutdownTimeout, err = positiveDuration("SHUTDOWN_TIMEOUT", get("SHUTDOWN_TIMEOUT")); err != nil {
		return config{}, err
	}
	if cfg.compression, err = strconv.ParseBool(get("COMPRESSION")); err != nil {
		return config{}, fmt.Errorf("COMPRESSION: %q is not true or false", get("COMPRESSION"))
	}
	if cfg.h2c, err = strconv.ParseBool(get("HTTP2_CLEARTEXT")); err != nil {
		return config{}, fmt.Errorf("HTTP2_CLEARTEXT: %q is not true or false", get("HTTP2_CLEARTEXT"))
	}
	if cfg.drainDelay, err = time.ParseDuration(get("DRAIN_DELAY")); err != nil || cfg.drainDelay < 0 {
		return config{}, fmt.Errorf("DRAIN_DELAY: %q is not a duration such as 5s (0s for none)", get("DRAIN_DELAY"))
	}
	if cfg.retryBudget, err = strconv.ParseFloat(get("UPSTREAM_RETRY_BUDGET"), 64); err != nil || cfg.retryBudget < 0 || cfg.retryBudget > 1 {
		return config{}, fmt.Errorf("UPSTREAM_RETRY_BUDGET: %q is not a fraction from 0 to 1", get("UPSTREAM_RETRY_BUDGET"))
	}
	if cfg.bodyReadTimeout, err = positiveDuration("BODY_READ_TIMEOUT", get("BODY_READ_TIMEOUT")); err != nil {
		return config{}, err
	}
	if cfg.inFlightShare > cfg.maxInFlight {
		return config{}, fmt.Errorf("MAX_IN_FLIGHT_PER_CALLER %d exceeds MAX_IN_FLIGHT %d", cfg.inFlightShare, cfg.maxInFlight)
	}
	if int64(cfg.bodyBufferBytes) < cfg.limits.MaxBodyBytes {
		return config{}, fmt.Errorf("BODY_BUFFER_BYTES %d is less than MAX_BODY_BYTES %d: no body of the largest size could be read", cfg.bodyBufferBytes, cfg.limits.MaxBodyBytes)
	}
	if cfg.perCaller > cfg.maxConcurrency {
		return config{}, fmt.Errorf("UPSTREAM_MAX_CONCURRENCY_PER_CALLER %d exceeds UPSTREAM_MAX_CONCURRENCY %d", cfg.perCaller, cfg.maxConcurrency)
	}
	switch cfg.logFormat = get("LOG_FORMAT"); cfg.logFormat {
	case "json", "text", "auto":
	default:
		return config{}, fmt.Errorf("LOG_FORMAT: %q is not json, text or auto", cfg.logFormat)
	}
	if err := cfg.logLevel.UnmarshalText([]byte(get("LOG_LEVEL"))); err != nil {
		return config{}, fmt.Errorf("LOG_LEVEL: %q is not debug, info, warn or error", get("LOG_LEVEL"))
	}
	return cfg, nil
}

// loadSubgraph reads the subgraph's settings. The subgraph takes no manifest (a router's queries
// are planned from the supergraph, not shipped by an app), so with enforced trusted documents it
// must not be reachable where the public endpoint is: it gets a listener of its own, or a key
// only the router holds.
func (cfg *config) loadSubgraph(get func(string) string) error {
	cfg.subgraphListen, cfg.subgraphKey = get("SUBGRAPH_LISTEN"), get("SUBGRAPH_KEY")
	if cfg.subgraphListen != "" {
		if _, port, err := net.SplitHostPort(cfg.subgraphListen); err != nil || port == "" {
			return fmt.Errorf("SUBGRAPH_LISTEN: %q is not an address such as 127.0.0.1:4001", cfg.subgraphListen)
		}
	}
	if cfg.subgraphKey != "" && len(cfg.subgraphKey) < 16 {
		return errors.New("SUBGRAPH_KEY: at least 16 characters")
	}
	if !cfg.subgraph && (cfg.subgraphListen != "" || cfg.subgraphKey != "") {
		return errors.New("SUBGRAPH_LISTEN or SUBGRAPH_KEY is set but SUBGRAPH is not true")
	}
	if cfg.subgraph && cfg.trustedDocs != "" && cfg.trustedMode == httpapi.TrustedEnforce && cfg.subgraphListen == "" && cfg.subgraphKey == "" {
		return errors.New("SUBGRAPH=true with enforced TRUSTED_DOCUMENTS would serve any document at /subgraph on the public listener; " +
			"set SUBGRAPH_LISTEN (a listener for the router's network) or SUBGRAPH_KEY (a secret the router sends)")
	}
	return nil
}

// loadServiceMode reads the service-mode settings. Service mode acts for callers with the
// gateway's own credentials, so it refuses to start unless callers must present an API key or
// the operator has explicitly allowed anonymous callers.
func (cfg *config) loadServiceMode(get func(string) string) error {
	cfg.clientID, cfg.clientSecret = get("BENTLEY_CLIENT_ID"), get("BENTLEY_CLIENT_SECRET")
	cfg.tokenURL = get("BENTLEY_TOKEN_URL")
	for _, k := range strings.Split(get("GATEWAY_API_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.apiKeys = append(cfg.apiKeys, k)
		}
	}
	var err error
	if cfg.allowAnonymous, err = strconv.ParseBool(get("GATEWAY_ALLOW_ANONYMOUS")); err != nil {
		return fmt.Errorf("GATEWAY_ALLOW_ANONYMOUS: %q is not true or false", get("GATEWAY_ALLOW_ANONYMOUS"))
	}
	switch {
	case cfg.clientID == "" && cfg.clientSecret != "":
		return errors.New("BENTLEY_CLIENT_SECRET is set without BENTLEY_CLIENT_ID")
	case cfg.clientID == "":
		if len(cfg.apiKeys) > 0 || cfg.tokenURL != "" {
			return errors.New("GATEWAY_API_KEYS and BENTLEY_TOKEN_URL need service mode: set BENTLEY_CLIENT_ID and BENTLEY_CLIENT_SECRET")
		}
		return nil
	case cfg.clientSecret == "":
		return errors.New("BENTLEY_CLIENT_ID is set without BENTLEY_CLIENT_SECRET")
	case len(cfg.apiKeys) == 0 && !cfg.allowAnonymous:
		return errors.New("service mode needs GATEWAY_API_KEYS, or GATEWAY_ALLOW_ANONYMOUS=true to act for anyone who can reach the gateway")
	}
	for _, k := range cfg.apiKeys {
		if len(k) < 16 {
			return errors.New("GATEWAY_API_KEYS: every key must be at least 16 characters")
		}
	}
	if cfg.tokenURL != "" {
		if u, err := url.Parse(cfg.tokenURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("BENTLEY_TOKEN_URL: not an absolute http(s) URL")
		}
	}
	return nil
}

func positiveDuration(name, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration such as 10s", name, v)
	}
	return d, nil
}

func positiveInt(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive whole number", name, v)
	}
	return n, nil
}
