package bentley_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
)

// setup starts an emulator and a client pointed at it; ctx carries the showcase caller's token.
func setup(t *testing.T) (*emulator.Emulator, *bentley.Client, context.Context, emulator.Showcase) {
	emu, url := startEmulator(t)
	c, err := bentley.NewClient(bentley.WithBaseURL(url), bentley.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	show := emu.Showcase()
	return emu, c, bentley.WithToken(context.Background(), show.Token), show
}

func startEmulator(t *testing.T) (*emulator.Emulator, string) {
	t.Helper()
	emu := emulator.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close)
	return emu, srv.URL
}

func TestGetITwinFullRepresentation(t *testing.T) {
	emu, c, ctx, show := setup(t)
	it, err := c.GetITwin(ctx, show.ITwinID)
	if err != nil {
		t.Fatal(err)
	}
	if it.ID != show.ITwinID || it.Class != "Endeavor" || it.SubClass != "Project" || it.Status != "Active" {
		t.Errorf("got %+v", it)
	}
	// Only the full representation carries these; the client asks for it with Prefer.
	if it.ITwinAccountID == nil || it.CreatedDateTime == nil || it.Latitude == nil || it.DataCenterLocation != "East US" {
		t.Errorf("full representation fields missing: %+v", it)
	}
	if emu.Calls(emulator.EndpointITwin) != 1 {
		t.Errorf("calls = %d, want 1", emu.Calls(emulator.EndpointITwin))
	}
}

func TestAccountsAskForTheRepresentation(t *testing.T) {
	_, c, ctx, show := setup(t)
	acc, err := c.GetITwinAccount(ctx, show.ITwinID)
	if err != nil {
		t.Fatal(err)
	}
	primary, err := c.GetMyPrimaryAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*bentley.ITwin{acc, primary} {
		// status is absent from the summary: present only because Prefer asked for the full one.
		if a.Class != "Account" || a.SubClass != "Account" || a.Status != "Active" || a.CreatedDateTime == nil {
			t.Errorf("account %+v: want class and subClass Account with the full representation", a)
		}
	}
	if acc.ID != primary.ID {
		t.Errorf("showcase project's account %s is not the caller's primary account %s", acc.ID, primary.ID)
	}
}

func TestGetUserMember(t *testing.T) {
	_, c, ctx, show := setup(t)
	m, err := c.GetUserMember(ctx, show.ITwinID, show.MemberID)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != show.MemberID || m.Email == nil || *m.Email != "grace.hopper@contoso.example" || m.Organization == nil {
		t.Errorf("member %+v", m)
	}
	if len(m.Roles) == 0 || m.Roles[0].ID == "" || m.Roles[0].DisplayName == "" {
		t.Errorf("roles %+v", m.Roles)
	}
}

func TestUsers(t *testing.T) {
	emu, c, ctx, show := setup(t)
	me, err := c.GetMe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.DisplayName == nil || me.City == nil || me.CreatedDateTime == nil || me.OrganizationName == nil {
		t.Errorf("me lacks the /me fields: %+v", me)
	}
	u, err := c.GetUser(ctx, show.MemberID)
	if err != nil || u.ID != show.MemberID || u.GivenName == nil || *u.GivenName != "Grace" {
		t.Fatalf("GetUser = %+v, %v", u, err)
	}
	unknown := "00000000-0000-4000-8000-000000000000"
	users, err := c.GetUsers(ctx, []string{show.MemberID, me.ID, unknown})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 {
		t.Errorf("GetUsers returned %d users, want 2 (the unknown id left out)", len(users))
	}
	emu.Reset()
	if users, err := c.GetUsers(ctx, nil); err != nil || len(users) != 0 || emu.TotalCalls() != 0 {
		t.Errorf("GetUsers(nil) = %v, %v with %d calls; want empty, no call", users, err, emu.TotalCalls())
	}
	tooMany := make([]string, bentley.MaxUsersPerCall+1)
	if _, err := c.GetUsers(ctx, tooMany); !errors.Is(err, bentley.ErrTooManyIDs) || emu.TotalCalls() != 0 {
		t.Errorf("GetUsers(1001 ids) = %v with %d calls; want ErrTooManyIDs and no call", err, emu.TotalCalls())
	}
}

func TestErrors(t *testing.T) {
	emu, c, ctx, show := setup(t)
	unknown := "00000000-0000-4000-8000-000000000000"

	t.Run("not found envelopes", func(t *testing.T) {
		cases := []struct {
			name string
			call func() error
			code string
		}{
			{"itwin", func() error { _, err := c.GetITwin(ctx, unknown); return err }, "iTwinNotFound"},
			{"account", func() error { _, err := c.GetITwinAccount(ctx, unknown); return err }, "iTwinNotFound"},
			{"member's itwin", func() error { _, err := c.GetUserMember(ctx, unknown, show.MemberID); return err }, "ItwinNotFound"},
			{"member", func() error { _, err := c.GetUserMember(ctx, show.ITwinID, unknown); return err }, "TeamMemberNotFound"},
			{"user", func() error { _, err := c.GetUser(ctx, unknown); return err }, "UserNotFound"},
		}
		for _, tc := range cases {
			err := tc.call()
			var e *bentley.Error
			if !errors.As(err, &e) || e.Status != 404 || e.Code != tc.code || !bentley.IsNotFound(err) || bentley.IsTemporary(err) {
				t.Errorf("%s: %#v, want a 404 *bentley.Error with code %s", tc.name, err, tc.code)
			}
		}
	})

	t.Run("no token means no call", func(t *testing.T) {
		emu.Reset()
		_, err := c.GetMe(context.Background())
		if !errors.Is(err, bentley.ErrNoCredentials) || emu.TotalCalls() != 0 {
			t.Errorf("err %v, %d calls; want ErrNoCredentials and none", err, emu.TotalCalls())
		}
	})

	t.Run("invalid token", func(t *testing.T) {
		_, err := c.GetMe(bentley.WithToken(context.Background(), "forged"))
		var e *bentley.Error
		if !errors.As(err, &e) || e.Status != 401 {
			t.Errorf("err %v, want 401", err)
		}
		if strings.Contains(err.Error(), "forged") {
			t.Errorf("error %q contains the token", err)
		}
	})

	t.Run("429 with Retry-After, then a hold-off", func(t *testing.T) {
		// Another caller's token: the hold-off below is per credential and must not reach the
		// other subtests' calls.
		ctx := bentley.WithToken(context.Background(), show.ReaderToken)
		emu.Reset()
		emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultStatus, Status: 429, RetryAfter: "7", Times: 1})
		_, err := c.GetMe(ctx)
		var e *bentley.Error
		if !errors.As(err, &e) || e.Status != 429 || e.Code != "RateLimitExceeded" || e.RetryAfter != 7*time.Second || !bentley.IsTemporary(err) {
			t.Errorf("err %#v", err)
		}
		// Within the 7 s, a caller who cannot wait that long gets the 429 at once, with no call.
		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err = c.GetUser(short, show.MemberID)
		if !errors.As(err, &e) || e.Status != 429 || e.RetryAfter < 5*time.Second || emu.Calls(emulator.EndpointUser) != 0 {
			t.Errorf("during the hold-off: err %v, %d calls", err, emu.Calls(emulator.EndpointUser))
		}
		// Other credentials are not held off.
		if _, err := c.GetUser(bentley.WithToken(short, show.Token), show.MemberID); err != nil {
			t.Errorf("another credential during the hold-off: %v", err)
		}
	})

	t.Run("malformed and oversized answers", func(t *testing.T) {
		emu.Reset()
		emu.Inject(emulator.Fault{Endpoint: emulator.EndpointITwin, Kind: emulator.FaultMalformed, Times: 1})
		emu.Inject(emulator.Fault{Endpoint: emulator.EndpointITwin, Kind: emulator.FaultOversized, Size: 9 << 20, Times: 1})
		for _, kind := range []string{"malformed", "oversized"} {
			if _, err := c.GetITwin(ctx, show.ITwinID); !errors.Is(err, bentley.ErrMalformedResponse) {
				t.Errorf("%s: err %v, want ErrMalformedResponse", kind, err)
			}
		}
	})

	t.Run("timeout and reset are unavailability", func(t *testing.T) {
		emu, url := startEmulator(t)
		fast, err := bentley.NewClient(bentley.WithBaseURL(url), bentley.WithTimeout(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultHang, Times: 1})
		start := time.Now()
		_, err = fast.GetMe(ctx)
		if !errors.Is(err, bentley.ErrUnavailable) || !bentley.IsTemporary(err) {
			t.Errorf("hang: err %v, want ErrUnavailable", err)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("hang: the per-call deadline was not applied")
		}
		emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultReset})
		if _, err := fast.GetMe(ctx); !errors.Is(err, bentley.ErrUnavailable) {
			t.Errorf("reset: err %v, want ErrUnavailable", err)
		}
	})

	t.Run("caller cancellation stays recognisable", func(t *testing.T) {
		emu.Reset()
		emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultHang, Times: 1})
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(20*time.Millisecond, cancel)
		if _, err := c.GetMe(cctx); !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	})
}

func TestErrorBodiesThatAreNotTheEnvelope(t *testing.T) {
	// A proxy in front of the platform may answer with HTML or nothing at all.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><body>Bad gateway: secret-internal-hostname</body></html>")
	}))
	defer srv.Close()
	c, err := bentley.NewClient(bentley.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetMe(bentley.WithToken(context.Background(), "t"))
	var e *bentley.Error
	if !errors.As(err, &e) || e.Status != 502 || e.Code != "" || !e.Temporary() {
		t.Fatalf("err %#v, want a 502 *bentley.Error without code", err)
	}
	if e.RetryAfter < 80*time.Second || e.RetryAfter > 90*time.Second {
		t.Errorf("RetryAfter %s from an HTTP date 90s ahead", e.RetryAfter)
	}
	if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), srv.URL) {
		t.Errorf("error %q leaks the body or URL", err)
	}
}

func TestRequestShape(t *testing.T) {
	// What the client puts on the wire, seen by a server that records it.
	type seen struct{ method, path, rawPath, accept, prefer, auth, contentType, body string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.URL.RawPath, r.Header.Get("Accept"), r.Header.Get("Prefer"), r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(body)}
		w.WriteHeader(404)
	}))
	defer srv.Close()
	c, err := bentley.NewClient(bentley.WithBaseURL(srv.URL + "/platform/"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := bentley.WithToken(context.Background(), "tok")
	const itwinID, userID = "9721ba3c-0e76-4078-90e3-bb5c1172d959", "5b2279ea-5ab5-4f09-8c22-ea7e59e5484d"
	cases := []struct {
		name string
		call func()
		want seen
	}{
		{"itwin", func() { _, _ = c.GetITwin(ctx, itwinID) },
			seen{method: "GET", path: "/platform/itwins/" + itwinID, accept: "application/vnd.bentley.itwin-platform.v1+json", prefer: "return=representation", auth: "Bearer tok"}},
		{"account", func() { _, _ = c.GetITwinAccount(ctx, itwinID) },
			seen{method: "GET", path: "/platform/itwins/" + itwinID + "/account", accept: "application/vnd.bentley.itwin-platform.v1+json", prefer: "return=representation", auth: "Bearer tok"}},
		{"member is v2", func() { _, _ = c.GetUserMember(ctx, itwinID, userID) },
			seen{method: "GET", path: "/platform/accesscontrol/itwins/" + itwinID + "/members/users/" + userID, accept: "application/vnd.bentley.itwin-platform.v2+json", auth: "Bearer tok"}},
		{"getbyidlist sends a bare, sorted array", func() { _, _ = c.GetUsers(ctx, []string{"b", "a"}) },
			seen{method: "POST", path: "/platform/users/getbyidlist", accept: "application/vnd.bentley.itwin-platform.v1+json", auth: "Bearer tok", contentType: "application/json", body: `["a","b"]`}},
	}
	for _, tc := range cases {
		tc.call()
		select {
		case s := <-got:
			if s != tc.want {
				t.Errorf("%s:\n got %+v\nwant %+v", tc.name, s, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no request reached the server", tc.name)
		}
	}

	// An id that is not a UUID (one from an upstream answer: the gateway checks its callers'
	// first) never becomes a path segment: no request is made.
	for _, bad := range []string{"a/../b?c", "../../users/me", "x", itwinID + "/account"} {
		_, err1 := c.GetITwin(ctx, bad)
		_, err2 := c.ListUserMembers(ctx, bad, 10, 0)
		_, err3 := c.GetUserMember(ctx, itwinID, bad)
		for _, err := range []error{err1, err2, err3} {
			if !errors.Is(err, bentley.ErrInvalidID) {
				t.Errorf("%q: %v, want ErrInvalidID", bad, err)
			}
		}
	}
	select {
	case s := <-got:
		t.Errorf("a request was sent for an invalid id: %+v", s)
	default:
	}
}

func TestNewClientValidatesOptions(t *testing.T) {
	for _, raw := range []string{"", "api.bentley.com", "ftp://x", "https://api.bentley.com?x=1", "https://user:pw@api.bentley.com"} {
		if _, err := bentley.NewClient(bentley.WithBaseURL(raw)); err == nil {
			t.Errorf("WithBaseURL(%q) accepted", raw)
		}
	}
	if _, err := bentley.NewClient(bentley.WithTimeout(0)); err == nil {
		t.Error("WithTimeout(0) accepted")
	}
	if tr := bentley.NewTransport(); tr.MaxIdleConnsPerHost <= 2 {
		t.Errorf("MaxIdleConnsPerHost = %d; fan-out to one host needs more than Go's default of 2", tr.MaxIdleConnsPerHost)
	}
}

func TestFailedAttemptsAreLogged(t *testing.T) {
	emu, url := startEmulator(t)
	var logs strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := bentley.NewClient(bentley.WithBaseURL(url), bentley.WithLogger(logger), bentley.WithRetries(1), bentley.WithTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	show := emu.Showcase()
	ctx := bentley.WithToken(context.Background(), show.Token)
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointITwin, Kind: emulator.FaultStatus, Status: 503, Times: 2})
	_, _ = c.GetITwin(ctx, show.ITwinID)
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultHang, Times: 1})
	_, _ = c.GetMe(ctx)
	_, _ = c.GetITwin(ctx, "00000000-0000-4000-8000-000000000000") // a 404
	gone, _ := bentley.NewClient(bentley.WithBaseURL(closedURL(t)), bentley.WithLogger(logger), bentley.WithRetries(0))
	_, _ = gone.GetMe(ctx)
	emu.Close()

	mu.Lock()
	out := logs.String()
	mu.Unlock()
	for _, want := range []string{
		`"level":"WARN","msg":"upstream attempt failed","endpoint":"itwins.get","operation":"GET /itwins/{id}","cause":"status 503","upstream_code":"ServiceUnavailable","attempt":1`,
		`"cause":"status 503","upstream_code":"ServiceUnavailable","attempt":2`,
		`"endpoint":"users.me","operation":"GET /users/me","cause":"timeout"`,
		`"level":"DEBUG","msg":"upstream attempt failed","endpoint":"itwins.get","operation":"GET /itwins/{id}","cause":"status 404","upstream_code":"iTwinNotFound"`,
		`"cause":"refused"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no log line with %s in:\n%s", want, out)
		}
	}
	if strings.Contains(out, show.Token) || strings.Contains(out, show.ITwinID) || strings.Contains(out, "127.0.0.1") {
		t.Errorf("the log holds a token, an id or an address:\n%s", out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// closedURL is the address of a server that has gone: connections to it are refused.
func closedURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

// A redirect from the platform is an error, and the caller's token never follows it.
func TestRedirectIsNotFollowed(t *testing.T) {
	var elsewhere sync.Mutex
	var reached []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Lock()
		reached = append(reached, r.Header.Get("Authorization"))
		elsewhere.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"iTwin":{"id":"x"}}`)
	}))
	t.Cleanup(other.Close)
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(platform.Close)
	c, err := bentley.NewClient(bentley.WithBaseURL(platform.URL), bentley.WithTimeout(2*time.Second), bentley.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := bentley.WithToken(context.Background(), "secret-token")
	it, err := c.GetITwin(ctx, "6f1c7f3e-1d2a-4b5c-9d8e-7f6a5b4c3d2e")
	if err == nil || it != nil {
		t.Fatalf("a 307 answered %+v, %v; want an error", it, err)
	}
	if strings.Contains(err.Error(), "secret-token") || strings.Contains(err.Error(), other.URL) {
		t.Errorf("the error leaks the token or the Location: %v", err)
	}
	elsewhere.Lock()
	defer elsewhere.Unlock()
	if len(reached) != 0 {
		t.Errorf("the redirect was followed %d times", len(reached))
	}
}

// TestAnswerBodies reads answers announced by Content-Length, chunked ones and lying ones: each
// within the limit is read whole, each over it is refused as malformed, a body cut short is the
// platform being unavailable, and answers read to their announced length keep the connection.
func TestAnswerBodies(t *testing.T) {
	const id = "6f1c7f3e-1d2a-4b5c-9d8e-7f6a5b4c3d2e"
	valid := `{"iTwin":{"id":"` + id + `","displayName":"A"}}`
	huge := `{"iTwin":{"id":"` + id + `","displayName":"` + strings.Repeat("x", bentley.MaxResponseBytes) + `"}}`
	var mode string
	var conns sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conns.Store(r.RemoteAddr, true)
		w.Header().Set("Content-Type", "application/json")
		switch mode {
		case "length", "huge-length":
			body := map[string]string{"length": valid, "huge-length": huge}[mode]
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			_, _ = io.WriteString(w, body)
		case "chunked", "huge-chunked":
			body := map[string]string{"chunked": valid, "huge-chunked": huge}[mode]
			half := len(body) / 2
			_, _ = io.WriteString(w, body[:half])
			w.(http.Flusher).Flush() // no Content-Length: the answer goes chunked
			_, _ = io.WriteString(w, body[half:])
		case "short":
			w.Header().Set("Content-Length", fmt.Sprint(len(valid)+100))
			_, _ = io.WriteString(w, valid)
		}
	}))
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := bentley.NewClient(bentley.WithBaseURL(srv.URL), bentley.WithTimeout(2*time.Second), bentley.WithRetries(0), bentley.WithDedup(false))
	if err != nil {
		t.Fatal(err)
	}
	ctx := bentley.WithToken(context.Background(), "token")
	for _, tc := range []struct {
		mode string
		want error // nil: the iTwin is read
	}{
		{"length", nil}, {"chunked", nil}, {"huge-length", bentley.ErrMalformedResponse},
		{"huge-chunked", bentley.ErrMalformedResponse}, {"short", bentley.ErrUnavailable},
	} {
		mode = tc.mode
		it, err := c.GetITwin(ctx, id)
		if tc.want == nil && (err != nil || it == nil || it.DisplayName != "A") {
			t.Errorf("%s: %+v, %v", tc.mode, it, err)
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.mode, err, tc.want)
		}
	}

	// Three answers with Content-Length in a row travel on one connection.
	srv.CloseClientConnections()
	conns.Clear()
	mode = "length"
	for range 3 {
		if _, err := c.GetITwin(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	conns.Range(func(_, _ any) bool { n++; return true })
	if n != 1 {
		t.Errorf("three sequential answers used %d connections, want 1", n)
	}
}
