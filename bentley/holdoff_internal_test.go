package bentley

import (
	"fmt"
	"testing"
	"time"
)

// Anyone who can publish to the shared store can publish hold-offs: 100,000 of them keep at most
// maxHoldOffs, none lasts past maxHoldOff, and the expired are pruned once per holdOffPrune
// rather than on every set (which made the flood quadratic).
func TestHoldOffsAreBounded(t *testing.T) {
	var h holdOffs
	now := time.Now()
	for i := 0; i < 100_000; i++ {
		h.set(fmt.Sprintf("%064x", i), now.Add(365*24*time.Hour))
	}
	if n := len(h.until); n != maxHoldOffs {
		t.Errorf("%d hold-offs kept, want %d", n, maxHoldOffs)
	}
	for scope, until := range h.until {
		if until.After(time.Now().Add(maxHoldOff)) {
			t.Fatalf("%s is held off until %s, past the %s cap", scope, until, maxHoldOff)
		}
	}
	if prune := h.nextPrune; prune.Before(now) || prune.After(time.Now().Add(holdOffPrune)) {
		t.Errorf("next prune at %s: want one prune per %s", prune, holdOffPrune)
	}
	// Known scopes still move later when full; expired ones go at the next prune.
	first := fmt.Sprintf("%064x", 0)
	if h.set(first, now.Add(time.Hour)) {
		t.Error("an earlier hold-off replaced a later one")
	}
	for scope := range h.until {
		h.until[scope] = now.Add(-time.Second)
	}
	h.nextPrune = time.Time{}
	if !h.set("fresh", time.Now().Add(time.Minute)) || len(h.until) != 1 {
		t.Errorf("after the prune %d hold-offs are kept, want only the fresh one", len(h.until))
	}
}
