package telemetry

import (
	"fmt"
	"testing"
	"time"
)

// 150 junk operation names sent right after a deploy take the free series first; the names in
// real use earn theirs at the next election, and the junk that lost its place loses its series.
func TestOperationSeriesAreReEarnedByUse(t *testing.T) {
	m := NewMetrics()
	now := time.Unix(1_000_000, 0)
	m.operations.now = func() time.Time { return now }
	m.operations.next = now.Add(opLabelWindow)
	finish := func(name string) {
		m.QueryFinished(QueryRecord{Operation: name, Outcome: OutcomeOK, Duration: time.Millisecond})
	}
	for i := 0; i < 150; i++ {
		finish(fmt.Sprintf("Junk%d", i))
	}
	real := []string{"TeamPage", "Portfolio", "ITwinPicker"}
	for i := 0; i < 20; i++ {
		for _, name := range real {
			finish(name)
		}
	}
	count := func(op string) float64 { return queriesOf(t, m, op) }
	if got := count("other"); got != 50+60 {
		t.Fatalf("before the election %v requests counted as other, want 110 (50 junk past the bound, 60 real)", got)
	}
	now = now.Add(opLabelWindow)
	for _, name := range real {
		finish(name)
	}
	for _, name := range real {
		if got := count(name); got != 1 {
			t.Errorf("%s: %v requests in its own series after the election, want 1", name, got)
		}
	}
	series := querySeries(t, m)
	// 100 names elected (3 real, 97 junk), plus the other series from before the election.
	if series != 3+97+1 {
		t.Errorf("%d series after the election, want 101 (the 3 demoted junk names' deleted)", series)
	}
	// A window later with only the real names in use, the junk's series are gone.
	now = now.Add(opLabelWindow)
	for _, name := range real {
		finish(name)
	}
	if series := querySeries(t, m); series != 3+1 {
		t.Errorf("%d series once the junk is unused, want 4", series)
	}
}

// With a trusted documents manifest only its operation names get series.
func TestOperationSeriesFromTheManifest(t *testing.T) {
	m := NewMetrics()
	m.OnlyListedOperations(func(name string) bool { return name == "TeamPage" })
	for _, name := range []string{"TeamPage", "Junk1", "Junk2"} {
		m.QueryFinished(QueryRecord{Operation: name, Outcome: OutcomeOK})
	}
	if got := queriesOf(t, m, "TeamPage"); got != 1 {
		t.Errorf("TeamPage: %v", got)
	}
	if got := queriesOf(t, m, "other"); got != 2 {
		t.Errorf("other: %v, want the 2 unlisted names", got)
	}
	if series := querySeries(t, m); series != 2 {
		t.Errorf("%d series, want TeamPage and other", series)
	}
}

// queriesOf is gateway_graphql_queries_total for an operation label, outcome ok.
func queriesOf(t *testing.T, m *Metrics, op string) float64 {
	t.Helper()
	for _, s := range gatherQueries(t, m) {
		if s.op == op {
			return s.value
		}
	}
	return 0
}

func querySeries(t *testing.T, m *Metrics) int { return len(gatherQueries(t, m)) }

type querySample struct {
	op    string
	value float64
}

func gatherQueries(t *testing.T, m *Metrics) []querySample {
	t.Helper()
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []querySample
	for _, f := range families {
		if f.GetName() != "gateway_graphql_queries_total" {
			continue
		}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "operation" {
					out = append(out, querySample{op: l.GetValue(), value: metric.GetCounter().GetValue()})
				}
			}
		}
	}
	return out
}
