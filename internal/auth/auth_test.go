package auth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/itwin-graphql/gateway/bentley/emulator"
)

const (
	keyOne = "key-one-0123456789abcdef"
	keyTwo = "key-two-0123456789abcdef"
)

// Service mode names the caller for fair shares by a key it has validated, and only then: an
// anonymous caller (when allowed) sending keys of its own choosing stays in the one anonymous
// share.
func TestServiceModeCallerIsTheValidatedKey(t *testing.T) {
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tokens := NewServiceTokens(context.Background(), emulator.DemoClientID, emulator.DemoClientSecret, upstream.URL+"/connect/token", logger)
	for _, anonymous := range []bool{false, true} {
		auth := Service(tokens, NewAPIKeys([]string{keyOne, keyTwo}), anonymous, logger)
		caller := func(key string) (string, error) {
			r := httptest.NewRequest("POST", "/graphql", nil)
			if key != "" {
				r.Header.Set("X-Api-Key", key)
			}
			token, c, err := auth(r)
			if err == nil && token == "" {
				t.Fatal("no platform token")
			}
			return c, err
		}
		if c, err := caller(keyOne); err != nil || c != keyOne {
			t.Errorf("anonymous=%v: a valid key gives caller %q, %v", anonymous, c, err)
		}
		c, err := caller("made-up-" + strconv.FormatBool(anonymous))
		switch {
		case !anonymous && !errors.Is(err, ErrUnauthenticated):
			t.Errorf("an invalid key without anonymous access: %v, want ErrUnauthenticated", err)
		case anonymous && (err != nil || c != ""):
			t.Errorf("an invalid key with anonymous access: caller %q, %v; want the anonymous share", c, err)
		}
	}
}
