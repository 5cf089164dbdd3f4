package main

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
)

// readinessTTL is how long a readiness verdict is reused: probes come every few seconds and must
// not become load on the platform.
const readinessTTL = 5 * time.Second

// readiness answers /readyz: 200 when the platform answers HTTP at all and, in service mode, a
// token can be obtained; 503 otherwise, with the reason.
type readiness struct {
	client *bentley.Client
	tokens *serviceTokens // nil in pass-through mode

	mu      sync.Mutex
	checked time.Time
	problem string
}

func newReadiness(client *bentley.Client, tokens *serviceTokens) *readiness {
	return &readiness{client: client, tokens: tokens}
}

func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rd.mu.Lock()
	if time.Since(rd.checked) > readinessTTL {
		rd.problem = rd.check(r.Context())
		rd.checked = time.Now()
	}
	problem := rd.problem
	rd.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if problem != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: "+problem+"\n")
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

func (rd *readiness) check(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := rd.client.Ping(ctx); err != nil {
		return "the iTwin Platform is unreachable"
	}
	if rd.tokens != nil {
		if _, err := rd.tokens.Token(); err != nil {
			return "no platform token can be obtained"
		}
	}
	return ""
}
