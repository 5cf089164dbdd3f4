package bentley

import (
	"fmt"
	"net/url"
)

// ValidID reports whether s is a UUID in its canonical 8-4-4-4-12 hex form, as every id of the
// platform is.
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// idPath fills the %s of format with ids, each checked to be a UUID (and escaped anyway), so no
// id, whether a caller's or one from an upstream answer, can add a segment or a query to a path.
func idPath(endpoint, format string, ids ...string) (string, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		if !ValidID(id) {
			return "", fmt.Errorf("bentley: %s: %w", endpoint, ErrInvalidID)
		}
		args[i] = url.PathEscape(id)
	}
	return fmt.Sprintf(format, args...), nil
}
