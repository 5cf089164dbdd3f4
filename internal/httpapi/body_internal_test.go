package httpapi

import (
	"encoding/json"
	"testing"
)

// topLevelMembers counts what json.Unmarshal into a map would see as keys, repeats included:
// colons in strings, escaped quotes and nested values do not count.
func TestTopLevelMembers(t *testing.T) {
	for body, want := range map[string]int{
		`{}`:                0,
		`{"query":"{ a }"}`: 1,
		`{"query":"a:b \" : c","variables":{"x":{"y":[1,{"z":2}]}}}`: 2,
		`{"query":"x","query":null}`:                                 2,
		`{"q\"uery":":","\u0071uery":"{ a }"}`:                       2,
		`{ "a" : [ ":", {"b":":"} ] , "c" : "\\" }`:                  2,
	} {
		if got := topLevelMembers([]byte(body)); got != want {
			t.Errorf("%s: %d members, want %d", body, got, want)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &fields); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
	}
}

// A well-formed body costs checkKeys no allocation.
func TestCheckKeysAllocatesNothingForAGoodBody(t *testing.T) {
	body := []byte(`{"query":"query Me { me { id } }","operationName":"Me","variables":{"a":{"b":"c:d"}}}`)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = checkKeys(body, fields) }); n != 0 {
		t.Errorf("%v allocations per check", n)
	}
}
