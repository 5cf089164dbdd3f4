package graph

import (
	"regexp"
	"strings"
	"testing"
)

var canonicalUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// FuzzParseID: an id either is a UUID, comes back lower-cased and safe to put in a path, or is
// refused with BAD_USER_INPUT.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"76c1102e-4f33-4dfa-ad93-bcd9ab717977", "76C1102E-4F33-4DFA-AD93-BCD9AB717977",
		"../users/me", "", "76c1102e-4f33-4dfa-ad93-bcd9ab71797%", "76c1102e_4f33_4dfa_ad93_bcd9ab717977"} {
		f.Add(s)
	}
	_, refusal := parseID("id", "not an id")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseID("id", s)
		if err != nil {
			// The same message for every refused input: nothing of the input is echoed back.
			if p, _ := classify(err); p.code != CodeBadUserInput || err.Error() != refusal.Error() {
				t.Fatalf("refusal %+v for %q", p, s)
			}
			return
		}
		if !canonicalUUID.MatchString(id) || !strings.EqualFold(id, s) {
			t.Fatalf("parseID(%q) = %q", s, id)
		}
	})
}
