package graph_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/internal/testenv"
)

// TestConcurrentCallersShareUpstreamCalls sends one query from 64 concurrent callers. With the
// same token, in-flight deduplication answers nearly all of them from a few upstream calls; with
// different tokens every caller gets calls, and answers, of its own.
func TestConcurrentCallersShareUpstreamCalls(t *testing.T) {
	const callers = 64
	e := testenv.New(t)
	e.Emu.SetLatency(50 * time.Millisecond)

	fire := func(tokens []string, query string, vars map[string]any, check func(i int, r testenv.Response) error) {
		var wg sync.WaitGroup
		errs := make(chan error, len(tokens))
		for i, tok := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := e.Post(tok, query, vars)
				if err == nil && len(r.Errors) > 0 {
					err = fmt.Errorf("errors: %+v", r.Errors)
				}
				if err == nil {
					err = check(i, r)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	}

	same := make([]string, callers)
	for i := range same {
		same[i] = e.Show.Token
	}
	vars := map[string]any{"itwin": e.Show.ITwinID, "member": e.Show.MemberID}
	fire(same, aggregationQuery, vars, func(_ int, r testenv.Response) error {
		var got aggregation
		if err := r.Decode("itwin", &got); err != nil {
			return err
		}
		if got.Member == nil || got.Member.User == nil {
			return errors.New("incomplete answer")
		}
		return nil
	})
	perQuery := float64(e.Emu.TotalCalls()) / callers
	t.Logf("same token: %d upstream calls for %d queries (%.3f per query)", e.Emu.TotalCalls(), callers, perQuery)
	if perQuery >= 0.5 {
		t.Errorf("%.2f upstream calls per query with one token; dedup should bring it well below 1", perQuery)
	}

	e.Emu.Reset()
	users := e.Emu.DemoUsers()[:callers]
	tokens := make([]string, callers)
	for i, u := range users {
		tokens[i] = u.Token
	}
	fire(tokens, `{ me { id } myPrimaryAccount { displayName } }`, nil, func(i int, r testenv.Response) error {
		var me struct{ ID string }
		var acc struct{ DisplayName string }
		if err := errors.Join(r.Decode("me", &me), r.Decode("myPrimaryAccount", &acc)); err != nil {
			return err
		}
		if me.ID != users[i].ID || acc.DisplayName != users[i].Organization {
			return fmt.Errorf("caller %s saw me=%s account=%s", users[i].ID, me.ID, acc.DisplayName)
		}
		return nil
	})
	if n := e.Emu.TotalCalls(); n != 2*callers {
		t.Errorf("%d callers with different tokens made %d upstream calls, want %d: nothing may be shared", callers, n, 2*callers)
	}
}
