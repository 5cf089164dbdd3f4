package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/testenv"
)

func TestCallBudget(t *testing.T) {
	e := testenv.New(t, testenv.WithLimits(graph.Limits{CallBudget: 3}))
	var q strings.Builder
	q.WriteString("{ me { id }")
	for _, number := range []string{"WP-01-CON", "WP-02-CON", "PR-01-CON", "PR-02-CON"} {
		id, _ := e.Emu.ITwinID(number)
		fmt.Fprintf(&q, " t%s: itwin(id: %q) { id }", strings.ReplaceAll(number, "-", ""), id)
	}
	q.WriteString(" }")
	resp := e.Query(t, e.Show.Token, q.String(), nil)
	ok, limited := 0, 0
	for name, raw := range resp.Data {
		if string(raw) != "null" {
			ok++
			continue
		}
		if err := resp.ErrorAt(name); err.Code() == graph.CodeRequestLimitExceeded {
			limited++
		} else {
			t.Errorf("%s: null with error %+v", name, err)
		}
	}
	if ok != 3 || limited != 2 {
		t.Errorf("%d fields answered and %d limited, want 3 and 2 (budget 3 of 5 calls): %+v", ok, limited, resp.Errors)
	}
	if n := e.Emu.TotalCalls(); n != 3 {
		t.Errorf("%d upstream calls, want the budget of 3", n)
	}
}
