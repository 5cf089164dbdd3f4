package main

import (
	"os"
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
