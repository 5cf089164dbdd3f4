package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/internal/httpapi"
)

// TestWorkloadsAgainstTheGateway sends every workload the load command offers through the real
// handler, so a query kind cannot rot into one that fails: drive counts failures.
func TestWorkloadsAgainstTheGateway(t *testing.T) {
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	client, err := bentley.NewClient(bentley.WithBaseURL(upstream.URL))
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(httpapi.NewHandler(httpapi.Options{Client: client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer gw.Close()

	wantCalls := map[string]float64{"aggregation": 4, "teampage": 3, "portfolio": 29, "aliases40": 1, "users1500": 2, "repeated": 1, "list100": 1, "me": 2}
	for query, calls := range wantCalls {
		tokens := "same"
		if query == "me" {
			tokens = "distinct"
		}
		reqs, err := workload(emu, options{query: query, tokens: tokens})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		emu.Reset()
		res := drive(http.DefaultClient, []string{gw.URL + "/graphql"}, reqs, 2, time.Hour, 6)
		if res.failed > 0 || len(res.latencies) != 6 {
			t.Errorf("%s: %d ok, %d failed (%s)", query, len(res.latencies), res.failed, res.firstFailure)
			continue
		}
		// Two workers at once may split or share a batch; per query the count stays near the ideal.
		if per := float64(emu.TotalCalls()) / 6; per > calls*1.5 || per < calls/2 {
			t.Errorf("%s: %.2f upstream calls per query, want about %.0f", query, per, calls)
		}
	}
	if _, err := workload(emu, options{query: "aggregation", tokens: "distinct"}); err == nil {
		t.Error("distinct tokens with a query only the showcase caller can run was accepted")
	}
}

func TestPercentilesAndRSS(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if pct(d, 50) != 50*time.Millisecond || pct(d, 99) != 99*time.Millisecond || pct(d, 100) != 100*time.Millisecond {
		t.Errorf("p50 %s p99 %s p100 %s", pct(d, 50), pct(d, 99), pct(d, 100))
	}
	if pct(d[:1], 99) != time.Millisecond {
		t.Error("a single sample is every percentile")
	}
	rss, err := peakRSS(os.Getpid())
	if err != nil || rss < 1<<20 {
		t.Errorf("peakRSS of this process = %d, %v", rss, err)
	}
}

func TestRoundsPerQuery(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return base.Add(time.Duration(n) * time.Millisecond) }
	req := func(start, end int) emulator.Request { return emulator.Request{Start: ms(start), End: ms(end)} }
	spans := []span{{ms(0), ms(120)}, {ms(200), ms(260)}, {ms(300), ms(360)}}
	// Query 1: two calls together, then one after them; queries 2 and 3: one round each.
	log := []emulator.Request{req(301, 351), req(201, 251), req(1, 50), req(2, 51), req(60, 110), req(302, 352)}
	mean, most := roundsPerQuery(spans, log, false)
	if mean != 4.0/3 || most != 2 {
		t.Errorf("mean %.3f max %d, want 1.333 and 2", mean, most)
	}
	// A trimmed log that starts at query 2's call: query 2 may have lost calls with the dropped
	// entries, so only query 3 counts.
	trimmed := []emulator.Request{req(201, 251), req(301, 351), req(302, 352)}
	if mean, most := roundsPerQuery(spans, trimmed, true); mean != 1 || most != 1 {
		t.Errorf("trimmed: mean %.2f max %d, want query 3's 1", mean, most)
	}
}

// TestFloorProxyDoesTheGatewaysWork holds the floor to what it claims to be: for mix requests it
// makes the same four platform calls as the gateway and answers the same data, so the gateway's
// cost above it is the GraphQL layer's and not less work done.
func TestFloorProxyDoesTheGatewaysWork(t *testing.T) {
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	client, err := bentley.NewClient(bentley.WithBaseURL(upstream.URL), bentley.WithDedup(false))
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(httpapi.NewHandler(httpapi.Options{Client: client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer gw.Close()
	floor := httptest.NewServer(&floorProxy{base: upstream.URL, transport: http.DefaultTransport, slots: make(chan struct{}, 4)})
	defer floor.Close()

	reqs, err := workload(emu, options{query: "mix"})
	if err != nil {
		t.Fatal(err)
	}
	answer := func(url string, r request) (any, int) {
		t.Helper()
		emu.Reset()
		req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(r.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+r.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d, %v", url, resp.StatusCode, err)
		}
		return v, emu.TotalCalls()
	}
	for _, r := range []request{reqs[0], reqs[1], reqs[977]} {
		want, gwCalls := answer(gw.URL, r)
		got, floorCalls := answer(floor.URL, r)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("floor answered\n%v\nthe gateway\n%v", got, want)
		}
		if gwCalls != 4 || floorCalls != 4 {
			t.Errorf("upstream calls: gateway %d, floor %d; want 4 each", gwCalls, floorCalls)
		}
	}
}
