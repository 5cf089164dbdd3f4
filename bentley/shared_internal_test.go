package bentley

import (
	"bytes"
	"net/http"
	"testing"
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
