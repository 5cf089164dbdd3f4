package httpapi

import (
	"io"
	"net/http"
	"sync/atomic"
)

// TokenState is the service token's state, for /readyz (auth.ServiceTokens).
type TokenState interface{ Ready() bool }

// TierState is the shared tier's state, "up" or "down", for /readyz (sharedstate.Tier).
type TierState interface{ Status() string }

// Readiness answers /readyz with Kubernetes semantics: 200 while this replica should get traffic
// (it has started and is not draining), 503 once shutdown has begun. Nothing a client sends can
// change the answer, and it never waits on the network: an outage of the platform or of the token
// endpoint would otherwise take every replica out of the Service at once, which helps nobody. Those
// show in the upstream metrics and the logs instead; the body reports the service token's state
// for people reading it.
type Readiness struct {
	tokens   TokenState // nil in pass-through mode
	tier     TierState  // nil without REDIS_URL
	draining atomic.Bool
}

// NewReadiness reports tokens' and tier's states, either of which may be nil (not in use).
func NewReadiness(tokens TokenState, tier TierState) *Readiness {
	return &Readiness{tokens: tokens, tier: tier}
}

// Drain makes /readyz fail from now on, so endpoints stop routing here before the server stops.
func (rd *Readiness) Drain() { rd.draining.Store(true) }

func (rd *Readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if rd.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: draining for shutdown\n")
		return
	}
	body := "ready\n"
	if rd.tokens != nil && !rd.tokens.Ready() {
		body += "service token: none valid yet; service-mode requests get 503 until one is obtained\n"
	}
	if rd.tier != nil {
		// Reported, never failed on: a Redis outage must not take every replica out of service.
		body += "shared tier (Redis): " + rd.tier.Status() + "\n"
	}
	_, _ = io.WriteString(w, body)
}

// Healthz answers /healthz, the liveness probe: 200 while the process serves.
func Healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}
