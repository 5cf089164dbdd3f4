package bentley

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// A sealed answer opens only with the token it was sealed for and under the key it was stored
// at; anything else is a miss, never another caller's data.
func TestSealedAnswers(t *testing.T) {
	header := http.Header{"Content-Type": {"application/json"}}
	res := &rawResponse{status: 200, header: header, body: []byte(`{"iTwin":{"id":"x"}}`)}
	name := sharedAnswerKey(shareKey(credentialHash("token-a"), "GET", "https://api/itwins/x", "", nil))
	sealed, err := sealAnswer("token-a", name, res)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, res.body) || bytes.Contains(sealed, []byte("iTwin")) {
		t.Fatal("the sealed value shows the answer")
	}
	got, ok := openAnswer("token-a", name, sealed)
	if !ok || got.status != 200 || string(got.body) != string(res.body) || got.header.Get("Content-Type") != "application/json" {
		t.Fatalf("open = %+v, %v", got, ok)
	}
	if _, ok := openAnswer("token-b", name, sealed); ok {
		t.Error("another token opened the answer")
	}
	other := sharedAnswerKey(shareKey(credentialHash("token-b"), "GET", "https://api/itwins/x", "", nil))
	if _, ok := openAnswer("token-a", other, sealed); ok {
		t.Error("the answer opened under another key name (a collision or a moved value)")
	}
	for i := range sealed {
		tampered := bytes.Clone(sealed)
		tampered[i] ^= 1
		if _, ok := openAnswer("token-a", name, tampered); ok {
			t.Fatalf("a value with byte %d flipped opened", i)
		}
	}
	if _, ok := openAnswer("token-a", name, sealed[:5]); ok {
		t.Error("a truncated value opened")
	}
	// The key name says nothing of the URL or the credential.
	if bytes.Contains([]byte(name), []byte("itwins")) || bytes.Contains([]byte(name), []byte(credentialHash("token-a"))) {
		t.Errorf("key name %s shows what it stores", name)
	}
}

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
