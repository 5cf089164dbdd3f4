package bentley_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
)

// An upstream answering 9 MB of headers: the platform transport reads at most
// MaxResponseHeaderBytes of them and fails the call, where Go's default would read them all.
func TestHugeResponseHeadersAreRefused(t *testing.T) {
	const id = "6f1c7f3e-1d2a-4b5c-9d8e-7f6a5b4c3d2e"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		junk := strings.Repeat("x", 1000)
		for i := 0; i < 9000; i++ {
			w.Header().Set(fmt.Sprintf("X-Junk-%d", i), junk)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"iTwin":{"id":%q,"displayName":"A"}}`, id)
	}))
	defer srv.Close()
	ctx := bentley.WithToken(context.Background(), "token")
	for name, transport := range map[string]*http.Transport{"NewTransport": bentley.NewTransport(), "NewTransportFor": bentley.NewTransportFor(8)} {
		c, err := bentley.NewClient(bentley.WithBaseURL(srv.URL), bentley.WithTimeout(5*time.Second), bentley.WithRetries(0),
			bentley.WithHTTPClient(&http.Client{Transport: transport}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetITwin(ctx, id); err == nil {
			t.Errorf("%s: an answer with 9 MB of headers was accepted", name)
		} else if strings.Contains(err.Error(), "X-Junk") {
			t.Errorf("%s: the error quotes the upstream's headers: %v", name, err)
		}
		transport.CloseIdleConnections()
	}
	// Go's default bound would have read them: the test is of the setting, not the server.
	plain, _ := bentley.NewClient(bentley.WithBaseURL(srv.URL), bentley.WithTimeout(5*time.Second), bentley.WithRetries(0),
		bentley.WithHTTPClient(&http.Client{Transport: &http.Transport{}}))
	if _, err := plain.GetITwin(ctx, id); err != nil {
		t.Fatalf("with Go's default header bound the call failed too (%v): the test proves nothing", err)
	}
}
