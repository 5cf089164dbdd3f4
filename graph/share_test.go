package graph_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestConcurrentCallersShareUpstreamCalls sends one query from 64 concurrent callers. With the
// same token, in-flight deduplication answers nearly all of them from a few upstream calls; with
// different tokens every caller gets calls, and answers, of its own.
func TestConcurrentCallersShareUpstreamCalls(t *testing.T) {
	const callers = 64
	e := newEnv(t)
	e.emu.SetLatency(50 * time.Millisecond)

	fire := func(tokens []string, query string, vars map[string]any, check func(i int, r gqlResponse) error) {
		var wg sync.WaitGroup
		errs := make(chan error, len(tokens))
		for i, tok := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := e.post(tok, query, vars)
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
		same[i] = e.show.Token
	}
	vars := map[string]any{"itwin": e.show.ITwinID, "member": e.show.MemberID}
	fire(same, aggregationQuery, vars, func(_ int, r gqlResponse) error {
		var got aggregation
		if err := r.decode("itwin", &got); err != nil {
			return err
		}
		if got.Member == nil || got.Member.User == nil {
			return errors.New("incomplete answer")
		}
		return nil
	})
	perQuery := float64(e.emu.TotalCalls()) / callers
	t.Logf("same token: %d upstream calls for %d queries (%.3f per query)", e.emu.TotalCalls(), callers, perQuery)
	if perQuery >= 0.5 {
		t.Errorf("%.2f upstream calls per query with one token; dedup should bring it well below 1", perQuery)
	}

	e.emu.Reset()
	users := e.emu.DemoUsers()[:callers]
	tokens := make([]string, callers)
	for i, u := range users {
		tokens[i] = u.Token
	}
	fire(tokens, `{ me { id } myPrimaryAccount { displayName } }`, nil, func(i int, r gqlResponse) error {
		var me struct{ ID string }
		var acc struct{ DisplayName string }
		if err := errors.Join(r.decode("me", &me), r.decode("myPrimaryAccount", &acc)); err != nil {
			return err
		}
		if me.ID != users[i].ID || acc.DisplayName != users[i].Organization {
			return fmt.Errorf("caller %s saw me=%s account=%s", users[i].ID, me.ID, acc.DisplayName)
		}
		return nil
	})
	if n := e.emu.TotalCalls(); n != 2*callers {
		t.Errorf("%d callers with different tokens made %d upstream calls, want %d: nothing may be shared", callers, n, 2*callers)
	}
}
