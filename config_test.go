package main

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/httpapi"
)

// TestReadmeConfigTable keeps the README's configuration table and the settings list in step:
// a setting added, removed or changed in one place fails here until the other follows.
func TestReadmeConfigTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "<!-- config-table:start -->")
	end := strings.Index(text, "<!-- config-table:end -->")
	if start < 0 || end < start {
		t.Fatal("README.md has no config-table markers")
	}
	var rows []string
	for _, line := range strings.Split(text[start:end], "\n") {
		if strings.HasPrefix(line, "| `") {
			rows = append(rows, line)
		}
	}
	var want []string
	for _, s := range settings {
		def := "`" + s.def + "`"
		if s.def == "" {
			def = "(empty)"
		}
		want = append(want, "| `"+s.env+"` | `--"+s.flag+"` | "+def+" | "+s.help+" |")
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("README configuration table is out of date; it should read:\n%s", strings.Join(want, "\n"))
	}
}

// The GC defaults apply only where the operator left Go's own variables unset.
func TestGCDefaults(t *testing.T) {
	prevPercent, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	defer func() { debug.SetGCPercent(prevPercent); debug.SetMemoryLimit(prevLimit) }()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	tuneGC(func(string) string { return "" }, 400<<20, logger)
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("GC percent %d, want %d", got, defaultGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != 464<<20 {
		t.Errorf("memory limit %d MiB, want the heap bound plus 64 MiB", got>>20)
	}

	debug.SetMemoryLimit(math.MaxInt64)
	set := map[string]string{"GOGC": "100", "GOMEMLIMIT": "1GiB"}
	tuneGC(func(k string) string { return set[k] }, 400<<20, logger)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=100 was overridden: %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set by the operator was overridden: %d", got)
	}
}

// SECURITY.md's limits table and worst-case figure say what the code does: each setting's
// default as the settings list has it, and the worst-case heap of the default settings.
func TestSecurityFiguresMatchTheCode(t *testing.T) {
	raw, err := os.ReadFile("SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	defaults := map[string]string{}
	for _, s := range settings {
		defaults[s.env] = s.def
	}
	start := strings.Index(text, "## Limits and their defaults")
	if start < 0 {
		t.Fatal("SECURITY.md has no limits table")
	}
	checked := 0
	for _, line := range strings.Split(text[start:], "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		names := strings.Split(strings.TrimSpace(cells[1]), ", ")
		values := strings.Split(strings.TrimSpace(cells[2]), ", ")
		for i, name := range names {
			name = strings.Trim(name, "`")
			def, ok := defaults[name]
			if !ok {
				t.Errorf("SECURITY.md names %s, which is no setting", name)
				continue
			}
			got := values[min(i, len(values)-1)]
			got, _, _ = strings.Cut(got, " (")
			if def == "" {
				def = "(empty)"
			}
			if got != def {
				t.Errorf("SECURITY.md gives %s the default %q; the settings say %q", name, got, def)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Errorf("only %d settings read from SECURITY.md's table", checked)
	}
	cfg, err := loadConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("With the\ndefaults that is %d MiB", cfg.heapBound()>>20)
	if !strings.Contains(text, want) {
		t.Errorf("SECURITY.md's worst case does not read %q", want)
	}
}

// --help states every setting's default as the settings list has it, and the defaults parse to
// the package constants they come from: one definition, three places that show it.
func TestHelpAndParsedDefaultsMatchTheSettings(t *testing.T) {
	help := usage()
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = `""`
		}
		if want := "--" + s.flag + " (" + s.env + ", default " + def + ")"; !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	cfg, err := loadConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]any{
		"UPSTREAM_TIMEOUT":                    {cfg.upstreamTimeout, bentley.DefaultTimeout},
		"UPSTREAM_RETRIES":                    {cfg.retries, bentley.DefaultRetries},
		"UPSTREAM_MAX_CONCURRENCY":            {cfg.maxConcurrency, bentley.DefaultMaxConcurrency},
		"UPSTREAM_MAX_CONCURRENCY_PER_CALLER": {cfg.perCaller, bentley.DefaultMaxConcurrencyPerCaller},
		"UPSTREAM_RETRY_BUDGET":               {cfg.retryBudget, bentley.DefaultRetryRatio},
		"BATCH_WAIT":                          {cfg.batchWait, graph.DefaultBatchWait},
		"REQUEST_TIMEOUT":                     {cfg.requestTimeout, httpapi.DefaultRequestTimeout},
		"MAX_IN_FLIGHT":                       {cfg.maxInFlight, httpapi.DefaultMaxInFlight},
		"MAX_IN_FLIGHT_PER_CALLER":            {cfg.inFlightShare, httpapi.DefaultMaxInFlightPerCaller},
		"BODY_READ_TIMEOUT":                   {cfg.bodyReadTimeout, httpapi.DefaultBodyReadTimeout},
		"BODY_BUFFER_BYTES":                   {cfg.bodyBufferBytes, httpapi.DefaultBodyBufferBytes},
		"QUERY_CACHE_BYTES":                   {cfg.queryCacheBytes, httpapi.DefaultQueryCacheBytes},
		"APQ_CACHE_SIZE":                      {cfg.apqCacheSize, httpapi.DefaultAPQCacheSize},
		"APQ_CACHE_BYTES":                     {cfg.apqCacheBytes, httpapi.DefaultAPQCacheBytes},
		"limits":                              {cfg.limits, graph.DefaultLimits},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s parses to %v by default; its constant is %v", name, pair[0], pair[1])
		}
	}
}
