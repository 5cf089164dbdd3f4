package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// eventually waits until cond holds, polling, and fails the test if it does not within 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

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
	eventually(t, "the streams past the cap are refused", func() bool { return resets.Load() >= 70-32 || goaway.Load() > 0 })
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
