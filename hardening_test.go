package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/internal/httpapi"
	"github.com/itwin-graphql/gateway/internal/testenv"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// One h2c connection opening 70 streams whose bodies never finish: the gateway advertises and
// enforces HTTP2_MAX_STREAMS, and the streams it accepted hold no execution slot, so another
// caller is served while they hang.
func TestH2CStreamsPerConnectionAreCapped(t *testing.T) {
	g := startGateway(t, map[string]string{"HTTP2_CLEARTEXT": "true", "BODY_READ_TIMEOUT": "1m"})
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	f, err := fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok {
		t.Fatalf("first frame %T, want SETTINGS", f)
	}
	if v, ok := sf.Value(http2.SettingMaxConcurrentStreams); !ok || v != 32 {
		t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS %d (sent: %v), want 32", v, ok)
	}
	if err := fr.WriteSettingsAck(); err != nil {
		t.Fatal(err)
	}
	var resets, goaway atomic.Int32
	go func() {
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			switch f.(type) {
			case *http2.RSTStreamFrame:
				resets.Add(1)
			case *http2.GoAwayFrame:
				goaway.Add(1)
			}
		}
	}()
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for i := 0; i < 70; i++ {
		block.Reset()
		for _, h := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":authority", "gw"}, {":path", "/graphql"},
			{"content-type", "application/json"}, {"content-length", "4096"}, {"authorization", "Bearer " + g.token}} {
			_ = enc.WriteField(hpack.HeaderField{Name: h[0], Value: h[1]})
		}
		id := uint32(2*i + 1)
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block.Bytes(), EndHeaders: true}); err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		if err := fr.WriteData(id, false, []byte("{")); err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
	}
	testenv.Eventually(t, "the streams past the cap are refused", func() bool { return resets.Load() >= 70-32 || goaway.Load() > 0 })
	if goaway.Load() > 0 {
		t.Log("the server closed the connection for the streams past its cap")
	}
	// The accepted streams are still being read; another caller is served as usual.
	for i := 0; i < 8; i++ {
		body := post(t, g.url, g.token, `{"query":"{ me { id } }"}`)
		if !strings.Contains(body, `"me":{"id"`) {
			t.Fatalf("victim %d beside one connection of 70 streams: %s", i, body)
		}
	}
}

// The request that once took the gateway to 648 MB (1000 copies of one iTwin representation,
// six pages of 100 members), three at once on /subgraph: the heap stays under the worst case
// the start-up log states for the settings.
func TestSubgraphHeapStaysUnderTheBound(t *testing.T) {
	g := startGateway(t, map[string]string{"SUBGRAPH": "true"})
	bound := g.logs.find("memory bound from the settings")
	if bound == nil {
		t.Fatal("no memory bound in the start-up log")
	}
	limit := uint64(bound["worst_case_heap_mib"].(float64)) << 20
	reps := make([]string, 1000)
	for i := range reps {
		reps[i] = `{"__typename":"ITwin","id":"` + g.itwin + `"}`
	}
	var pages []string
	for i := 0; i < 6; i++ {
		pages = append(pages, fmt.Sprintf(`m%d: members(first: 100) { edges { node { id userId roles { displayName } } } }`, i))
	}
	body := `{"query":"query($reps: [_Any!]!) { _entities(representations: $reps) { ... on ITwin { id ` + strings.Join(pages, " ") +
		` } } }","variables":{"reps":[` + strings.Join(reps, ",") + `]}}`
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	answers := make(chan string, 3)
	for i := 0; i < 3; i++ {
		go func() {
			req, _ := http.NewRequest("POST", g.url+"/subgraph", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+g.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers <- err.Error()
				return
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			answers <- fmt.Sprintf("%d %d %s", resp.StatusCode, len(raw), raw[:min(len(raw), 300)])
		}()
	}
	for i := 0; i < 3; i++ {
		if a := <-answers; !strings.Contains(a, "COMPLEXITY_LIMIT_EXCEEDED") {
			t.Errorf("answer %d: %s", i, a)
		}
	}
	close(stop)
	<-sampled
	if p := peak.Load(); p > limit {
		t.Errorf("heap peaked at %d MiB, past the stated worst case of %d MiB", p>>20, limit>>20)
	} else {
		t.Logf("heap peak %d MiB, worst case %d MiB", p>>20, limit>>20)
	}
}

// With enforced trusted documents the subgraph, which takes no manifest, must not share the
// public listener unguarded: the gateway refuses to start so, and serves it behind a key or on
// a listener of its own.
func TestSubgraphApart(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(manifest, []byte(`{"me": "query Me { me { id } }"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PORT": "0", "HOST": "127.0.0.1", "SUBGRAPH": "true", "TRUSTED_DOCUMENTS": manifest}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SUBGRAPH_LISTEN") || !strings.Contains(err.Error(), "SUBGRAPH_KEY") {
		t.Fatalf("enforced trusted documents with an open subgraph: %v; want a refusal to start", err)
	}
	sdl := `{"query":"{ _service { sdl } }"}`

	t.Run("key", func(t *testing.T) {
		key := "the-routers-own-secret"
		g := startGateway(t, map[string]string{"SUBGRAPH": "true", "TRUSTED_DOCUMENTS": manifest, "SUBGRAPH_KEY": key})
		for name, headers := range map[string][]string{"no key": nil, "wrong key": {httpapi.SubgraphKeyHeader, "not-the-routers-secret"}} {
			if body := postBody(t, g.url+"/subgraph", sdl, headers...); !strings.Contains(body, "UNAUTHENTICATED") || strings.Contains(body, "sdl") {
				t.Errorf("%s: %s", name, body)
			}
		}
		if body := postBody(t, g.url+"/subgraph", sdl, httpapi.SubgraphKeyHeader, key); !strings.Contains(body, `"sdl"`) {
			t.Errorf("with the key: %s", body)
		}
		// The public endpoint is still locked to the manifest.
		if body := postBody(t, g.url+"/graphql", `{"query":"{ me { email } }"}`); !strings.Contains(body, "PERSISTED_QUERY_NOT_IN_LIST") {
			t.Errorf("/graphql: %s", body)
		}
	})

	t.Run("listener", func(t *testing.T) {
		g := startGateway(t, map[string]string{"SUBGRAPH": "true", "TRUSTED_DOCUMENTS": manifest, "SUBGRAPH_LISTEN": "127.0.0.1:0"})
		var own map[string]any
		testenv.Eventually(t, "the subgraph listener is up", func() bool {
			own = g.logs.find("listening for the federation router")
			return own != nil
		})
		subURL := "http://" + own["addr"].(string)
		if status, _ := postStatus(t, g.url+"/subgraph", sdl); status != http.StatusNotFound {
			t.Errorf("/subgraph on the public listener: %d, want 404", status)
		}
		if body := postBody(t, subURL+"/subgraph", sdl); !strings.Contains(body, `"sdl"`) {
			t.Errorf("/subgraph on its own listener: %s", body)
		}
		if status, _ := postStatus(t, subURL+"/graphql", `{"query":"{ me { email } }"}`); status != http.StatusNotFound {
			t.Errorf("/graphql on the subgraph's listener: %d, want 404", status)
		}
	})
}

// SIGHUP reloads the manifest when there is one; without one it is logged, never the default
// action (which ends the process with no drain).
func TestHangupWithoutManifest(t *testing.T) {
	g := startGateway(t, nil)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the SIGHUP is logged", func() bool { return g.logs.find("SIGHUP: nothing to reload (no TRUSTED_DOCUMENTS)") != nil })
	if status, _ := get(t, g.url+"/healthz"); status != 200 {
		t.Errorf("after SIGHUP: /healthz %d", status)
	}
}

// SIGTERM under 50 concurrent POST loops: from the drain on, each HTTP/1 answer closes its
// connection, so no request is ever sent on a connection the gateway then closes. Requests on
// fresh connections fail once the listener is closed; none on a kept one does.
func TestShutdownUnderLoadResetsNoKeptConnection(t *testing.T) {
	g := startGateway(t, map[string]string{"DRAIN_DELAY": "500ms"})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	var sent, ok, onKept atomic.Int64
	var keptErrors sync.Map
	var wg sync.WaitGroup
	body := `{"query":"{ me { id } }"}`
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 100_000; n++ {
				var reused bool
				trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused }}
				req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "POST", g.url+"/graphql", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+g.token)
				sent.Add(1)
				resp, err := client.Do(req)
				if err != nil {
					if reused {
						onKept.Add(1)
						keptErrors.Store(err.Error(), true)
						continue
					}
					return // the listener is closed: this client is done
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ok.Add(1)
			}
		}()
	}
	testenv.Eventually(t, "the load is under way", func() bool { return ok.Load() >= 500 })
	g.cancel() // as SIGTERM would
	wg.Wait()
	if n := onKept.Load(); n > 0 {
		var texts []string
		keptErrors.Range(func(k, _ any) bool { texts = append(texts, k.(string)); return true })
		t.Errorf("%d of %d requests failed on a kept connection: %v", n, sent.Load(), texts)
	}
	t.Logf("%d requests sent, %d answered", sent.Load(), ok.Load())
}

// CURSOR_KEY signs cursors: a keyed gateway pages with its own cursors, and a gateway without
// the key (or with another) refuses them.
func TestCursorKeySignsCursors(t *testing.T) {
	keyed := startGateway(t, map[string]string{"CURSOR_KEY": "a-deployment-secret-0123"})
	plain := startGateway(t, nil)
	first := postBody(t, keyed.url+"/graphql", `{"query":"{ itwins(first: 1) { pageInfo { endCursor } } }"}`, "Authorization", "Bearer "+keyed.token)
	var page struct {
		Data struct {
			Itwins struct{ PageInfo struct{ EndCursor string } }
		}
	}
	if err := json.Unmarshal([]byte(first), &page); err != nil || page.Data.Itwins.PageInfo.EndCursor == "" {
		t.Fatalf("first page: %v %s", err, first)
	}
	next := `{"query":"query($c: String) { itwins(first: 1, after: $c) { nodes { id } } }","variables":{"c":"` + page.Data.Itwins.PageInfo.EndCursor + `"}}`
	if body := postBody(t, keyed.url+"/graphql", next, "Authorization", "Bearer "+keyed.token); strings.Contains(body, "errors") {
		t.Errorf("the keyed gateway refused its own cursor: %s", body)
	}
	if body := postBody(t, plain.url+"/graphql", next, "Authorization", "Bearer "+plain.token); !strings.Contains(body, "BAD_USER_INPUT") {
		t.Errorf("a gateway without the key read a signed cursor: %s", body)
	}
}
