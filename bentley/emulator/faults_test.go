package emulator

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	f := newFixture(t)
	me := call{method: "GET", path: "/users/me", token: f.ada.token, accept: acceptV1}

	t.Run("status with Retry-After, limited by Times", func(t *testing.T) {
		f.emu.Reset()
		f.emu.Inject(Fault{Endpoint: "users", Kind: FaultStatus, Status: 429, RetryAfter: "3", Times: 1})
		resp, body := me.do(t, f.srv)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || !strings.Contains(string(body), `"RateLimitExceeded"`) ||
			resp.Header.Get("ITwinPlatform-RateLimited-API") != "users" || resp.Header.Get("ITwinPlatform-RateLimited-Operation") != EndpointMe {
			t.Fatalf("got %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		if resp, _ := me.do(t, f.srv); resp.StatusCode != 200 {
			t.Fatalf("second call: %d, want 200 once Times is used up", resp.StatusCode)
		}
		if got := f.emu.Calls(EndpointMe); got != 2 {
			t.Errorf("Calls(%s) = %d, want 2 (faulted calls count)", EndpointMe, got)
		}
	})

	t.Run("429 codes differ per API", func(t *testing.T) {
		f.emu.Reset()
		f.emu.Inject(Fault{Endpoint: "accesscontrol", Kind: FaultStatus, Status: 429, RetryAfter: "2", Times: 1})
		resp, body := call{method: "GET", path: "/accesscontrol/itwins/" + f.project.id + "/permissions", token: f.ada.token}.do(t, f.srv)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || !strings.Contains(string(body), `"TooManyRequests"`) {
			t.Fatalf("got %d %q %s, want 429 TooManyRequests with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	})

	t.Run("every n-th request", func(t *testing.T) {
		f.emu.Reset()
		f.emu.Inject(Fault{Endpoint: EndpointMe, Kind: FaultStatus, Status: 503, Every: 3})
		var statuses []int
		for i := 0; i < 6; i++ {
			resp, _ := me.do(t, f.srv)
			statuses = append(statuses, resp.StatusCode)
		}
		want := []int{200, 200, 503, 200, 200, 503}
		for i := range want {
			if statuses[i] != want[i] {
				t.Fatalf("statuses %v, want %v", statuses, want)
			}
		}
	})

	t.Run("malformed and oversized bodies", func(t *testing.T) {
		f.emu.Reset()
		f.emu.Inject(Fault{Endpoint: EndpointMe, Kind: FaultMalformed, Times: 1})
		f.emu.Inject(Fault{Endpoint: EndpointMe, Kind: FaultOversized, Size: 1 << 20, Times: 1})
		if resp, body := me.do(t, f.srv); resp.StatusCode != 200 || strings.HasSuffix(string(body), "}") {
			t.Fatalf("malformed: %d %s", resp.StatusCode, body)
		}
		if resp, body := me.do(t, f.srv); resp.StatusCode != 200 || len(body) != 1<<20 {
			t.Fatalf("oversized: %d, %d bytes", resp.StatusCode, len(body))
		}
	})

	t.Run("reset and hang", func(t *testing.T) {
		f.emu.Reset()
		f.emu.Inject(Fault{Endpoint: EndpointMe, Kind: FaultReset, Times: 1})
		req, _ := http.NewRequest("GET", f.srv.URL+"/users/me", nil)
		req.Header.Set("Authorization", "Bearer "+f.ada.token)
		req.Header.Set("Accept", acceptV1)
		// A fresh connection: on a reused one Go's transport silently retries an idempotent
		// request that died before any answer byte, and the retry would not be faulted.
		fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		if resp, err := fresh.Do(req); err == nil {
			resp.Body.Close()
			t.Fatal("reset: got an answer, want a connection error")
		}
		f.emu.Inject(Fault{Endpoint: EndpointMe, Kind: FaultHang, Times: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if resp, err := f.srv.Client().Do(req.WithContext(ctx)); err == nil {
			resp.Body.Close()
			t.Fatal("hang: got an answer, want the client's deadline")
		}
	})

	t.Run("latency and request log", func(t *testing.T) {
		// A fresh emulator: the hang above is logged whenever its handler notices the client left.
		f := newFixture(t)
		f.emu.SetLatency(20 * time.Millisecond)
		me.do(t, f.srv)
		log := f.emu.Requests()
		if len(log) != 1 {
			t.Fatalf("%d log entries, want 1", len(log))
		}
		e := log[0]
		if e.Endpoint != EndpointMe || e.Caller != f.ada.id || e.Status != 200 || e.End.Sub(e.Start) < 20*time.Millisecond {
			t.Errorf("log entry %+v: want users.me by Ada, 200, lasting at least the 20ms latency", e)
		}
	})
}
