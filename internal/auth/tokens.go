package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// DefaultTokenURL is Bentley's IMS token endpoint.
const DefaultTokenURL = "https://ims.bentley.com/connect/token"

// platformScope is the iTwin Platform's one OAuth2 scope.
const platformScope = "itwin-platform"

// Timings of the service token source.
const (
	// tokenFetchTimeout bounds one call to the token endpoint.
	tokenFetchTimeout = 5 * time.Second
	// tokenWait is the longest a request without a valid token waits for a fetch in flight.
	tokenWait = time.Second
	// tokenBackoffMin and tokenBackoffMax bound the wait after a failed fetch; it doubles per
	// failure in between.
	tokenBackoffMin = time.Second
	tokenBackoffMax = time.Minute
)

// errNoServiceToken says the gateway holds no valid platform token and cannot get one now.
var errNoServiceToken = errors.New("no valid platform token")

// serviceTokens obtains the gateway's own platform token with the client-credentials grant and
// keeps it. It never holds its lock during network I/O: one fetch runs at a time, in the
// background, started once 80% of the token's lifetime has passed, and requests keep using the
// held token while it runs. A failed fetch backs off (1 s doubling to a minute), so a failing
// token endpoint is not called once per request. A request that finds no valid token waits for a
// fetch in flight at most tokenWait, and otherwise fails at once (503 UPSTREAM_UNAVAILABLE): none
// queues behind a hanging token endpoint.
type ServiceTokens struct {
	cfg *clientcredentials.Config
	// ctx is long-lived: it carries the HTTP client for IMS and outlives every request.
	ctx    context.Context
	logger *slog.Logger
	now    func() time.Time

	mu        sync.Mutex
	token     *oauth2.Token
	refreshAt time.Time
	fetching  chan struct{} // closed when the fetch in flight ends; nil when none is
	failures  int
	retryAt   time.Time
	lastErr   error
}

func NewServiceTokens(ctx context.Context, clientID, clientSecret, tokenURL string, logger *slog.Logger) *ServiceTokens {
	hc := &http.Client{Timeout: tokenFetchTimeout}
	s := &ServiceTokens{
		cfg: &clientcredentials.Config{
			ClientID: clientID, ClientSecret: clientSecret, TokenURL: tokenURL, Scopes: []string{platformScope},
			AuthStyle: oauth2.AuthStyleInParams,
		},
		ctx:    context.WithValue(ctx, oauth2.HTTPClient, hc),
		logger: logger,
		now:    time.Now,
	}
	s.mu.Lock()
	s.startFetch() // before the first request needs it
	s.mu.Unlock()
	return s
}

// Token returns a valid access token. It starts a fetch when the held token is due and none is
// running or backing off, and waits only when it holds no valid token.
func (s *ServiceTokens) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	now := s.now()
	if (s.token == nil || !now.Before(s.refreshAt)) && s.fetching == nil && !now.Before(s.retryAt) {
		s.startFetch()
	}
	if tok, ok := s.valid(now); ok {
		s.mu.Unlock()
		return tok, nil
	}
	fetching := s.fetching
	s.mu.Unlock()
	if fetching != nil {
		t := time.NewTimer(tokenWait)
		defer t.Stop()
		select {
		case <-fetching:
		case <-t.C:
		case <-ctx.Done():
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok, ok := s.valid(s.now()); ok {
		return tok, nil
	}
	if s.lastErr != nil {
		return "", fmt.Errorf("%w: %w", errNoServiceToken, s.lastErr)
	}
	return "", errNoServiceToken
}

// valid returns the held token while it has not expired. s.mu must be held.
func (s *ServiceTokens) valid(now time.Time) (string, bool) {
	if s.token == nil || (!s.token.Expiry.IsZero() && !now.Before(s.token.Expiry)) {
		return "", false
	}
	return s.token.AccessToken, true
}

// Ready reports whether a valid token is held, without waiting or fetching.
func (s *ServiceTokens) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.valid(s.now())
	return ok
}

// startFetch runs one fetch in the background. s.mu must be held.
func (s *ServiceTokens) startFetch() {
	done := make(chan struct{})
	s.fetching = done
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(s.ctx, tokenFetchTimeout)
		defer cancel()
		tok, err := s.cfg.Token(ctx)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.fetching = nil
		now := s.now()
		if err != nil {
			s.failures++
			backoff := min(tokenBackoffMin<<min(s.failures-1, 10), tokenBackoffMax)
			s.retryAt = now.Add(backoff)
			s.lastErr = tokenError(err)
			s.logger.Warn("the token endpoint gave no platform token; backing off",
				"error", s.lastErr.Error(), "failures", s.failures, "retry_in", backoff.String(), "token_valid", s.token != nil && now.Before(s.token.Expiry))
			return
		}
		if s.failures > 0 {
			s.logger.Info("the token endpoint gave a platform token again", "after_failures", s.failures)
		}
		s.token, s.failures, s.lastErr, s.retryAt = tok, 0, nil, time.Time{}
		s.refreshAt = now.Add(time.Duration(float64(tok.Expiry.Sub(now)) * 0.8))
		if tok.Expiry.IsZero() {
			s.refreshAt = now.Add(time.Minute)
		}
	}()
}

// tokenError describes a failed fetch without the token endpoint's body (which a misconfigured
// or hostile endpoint could fill with anything): its HTTP status and OAuth2 error code only.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		code := re.ErrorCode
		if !oauthCode.MatchString(code) {
			code = ""
		}
		if code != "" {
			return fmt.Errorf("token endpoint answered HTTP %d (%s)", re.Response.StatusCode, code)
		}
		return fmt.Errorf("token endpoint answered HTTP %d", re.Response.StatusCode)
	}
	if errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err) {
		return fmt.Errorf("token endpoint did not answer within %s", tokenFetchTimeout)
	}
	return errors.New("token endpoint unreachable")
}

// oauthCode is the shape of an OAuth2 error code (RFC 6749 5.2): a short ASCII word.
var oauthCode = regexp.MustCompile(`^[a-z_]{1,40}$`)
