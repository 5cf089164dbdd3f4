package bentley

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
)

// rawResponse is an upstream answer read in full. Once made it is never modified, so one value
// can be handed to every caller that shares the call: each decodes its own copy.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// credentialHash identifies a bearer token in shared state without keeping the token.
func credentialHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// shareKey names an upstream call for deduplication and caching: the caller's credential hash,
// the method, the URL, the Prefer header (which picks the representation) and the body. Two
// credentials never share a key.
func shareKey(credential string, method, url, prefer string, body []byte) string {
	return credential + "\x00" + method + " " + url + "\x00" + prefer + "\x00" + string(body)
}

// flightGroup lets identical concurrent calls share one upstream request. The request runs on a
// context of its own that is cancelled when every caller waiting for it has gone, so a client
// that disconnects cancels its upstream call unless someone else still wants the answer.
type flightGroup struct {
	mu      sync.Mutex
	flights map[string]*flight
}

type flight struct {
	done    chan struct{}
	res     *rawResponse
	err     error
	waiters int
	cancel  context.CancelFunc
}

// do returns the answer of fn for key, calling fn only if no identical call is in flight.
// shared reports whether the answer came from another caller's call.
func (g *flightGroup) do(ctx context.Context, key string, fn func(context.Context) (*rawResponse, error)) (res *rawResponse, err error, shared bool) {
	g.mu.Lock()
	if g.flights == nil {
		g.flights = map[string]*flight{}
	}
	f, shared := g.flights[key]
	if !shared {
		// The call outlives the caller that started it if others join; its values (trace
		// context) still come from that first caller.
		callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel}
		g.flights[key] = f
		go func() {
			f.res, f.err = fn(callCtx)
			g.mu.Lock()
			if g.flights[key] == f {
				delete(g.flights, key)
			}
			g.mu.Unlock()
			cancel()
			close(f.done)
		}()
	}
	f.waiters++
	g.mu.Unlock()

	select {
	case <-f.done:
		return f.res, f.err, shared
	case <-ctx.Done():
		g.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			// Nobody wants the answer any more: cancel the call, and let the next caller start
			// a fresh one rather than join a cancelled flight.
			f.cancel()
			if g.flights[key] == f {
				delete(g.flights, key)
			}
		}
		g.mu.Unlock()
		return nil, context.Cause(ctx), shared
	}
}
