package main

import (
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"
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
