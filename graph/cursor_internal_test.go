package graph

import (
	"testing"

	"github.com/itwin-graphql/gateway/bentley"
)

// Without CURSOR_KEY a cursor's checksum can be rebuilt by anyone who knows the scheme, so a
// hand-made cursor reaches any position; with the key only the gateway's own cursors are read.
func TestSignedCursorsCannotBeForged(t *testing.T) {
	list := itwinsScope("itwins", "", bentley.ITwinQuery{})
	forged := cursors{}.cursor(list, 1<<30) // the scheme rebuilt by hand, no key
	keyed := cursors{key: []byte("a-deployment-secret-0123")}

	w, err := pageArgs(cursors{}, nil, &forged, list)
	if err != nil || w.skip != 1<<30+1 {
		t.Fatalf("without a key the forged cursor gives skip %d, %v: the finding this key closes", w.skip, err)
	}
	if _, err := pageArgs(keyed, nil, &forged, list); err == nil {
		t.Error("with CURSOR_KEY a cursor made without it was read")
	}
	genuine := keyed.cursor(list, 40)
	if w, err := pageArgs(keyed, nil, &genuine, list); err != nil || w.skip != 41 {
		t.Errorf("the gateway's own signed cursor: skip %d, %v; want 41", w.skip, err)
	}
	other := cursors{key: []byte("another-deployments-key")}
	if _, err := pageArgs(other, nil, &genuine, list); err == nil {
		t.Error("a cursor signed under another key was read")
	}
	members := membersScope("76c1102e-4f33-4dfa-ad93-bcd9ab717977")
	if _, err := pageArgs(keyed, nil, &genuine, members); err == nil {
		t.Error("a signed cursor of one list was read on another")
	}
}
