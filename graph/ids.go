package graph

import (
	"fmt"
	"strings"

	"github.com/itwin-graphql/gateway/bentley"
)

// parseID checks that an id argument is a UUID in its canonical 8-4-4-4-12 hex form and returns
// it in lower case. Every platform id is such a UUID, so anything else is refused before an
// upstream call: no path segment, query or traversal trick can reach the platform.
func parseID(arg, id string) (string, error) {
	if !isUUID(id) {
		return "", inputErrorf("%s must be a UUID such as 76c1102e-4f33-4dfa-ad93-bcd9ab717977", arg)
	}
	return strings.ToLower(id), nil
}

func isUUID(s string) bool { return bentley.ValidID(s) }

// parseIDs validates every id of a list argument, naming the first bad one by index.
func parseIDs(arg string, ids []string) ([]string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		v, err := parseID(fmt.Sprintf("%s[%d]", arg, i), id)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
