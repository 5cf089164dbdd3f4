package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
)

type result struct {
	latencies []time.Duration
	// spans are the queries' start and end times, kept with one caller only (for rounds).
	spans        []span
	failed       int
	firstFailure string
	elapsed      time.Duration
}

// drive runs the callers for d or until max queries, whichever comes first. Queries under way
// at the end are allowed to finish, so every upstream call counted belongs to a counted query.
// Query k goes to urls[k % len(urls)] with reqs[k % len(reqs)]: with several replicas and a
// number of requests prime to their count, one caller's successive queries visit each in turn.
func drive(client *http.Client, urls []string, reqs []request, concurrency int, d time.Duration, maxQueries int) result {
	end := time.Now().Add(d)
	ctx := context.Background()
	var (
		mu    sync.Mutex
		res   result
		count atomic.Int64
		next  atomic.Int64
		wg    sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			var spans []span
			for time.Now().Before(end) && count.Add(1) <= int64(maxQueries) {
				k := int(next.Add(1))
				r := reqs[k%len(reqs)]
				t0 := time.Now()
				url := urls[k%len(urls)]
				if r.subgraph {
					url = strings.TrimSuffix(url, "/graphql") + "/subgraph"
				}
				err := send(ctx, client, url, r)
				if err != nil {
					mu.Lock()
					if res.failed == 0 {
						res.firstFailure = err.Error()
					}
					res.failed++
					mu.Unlock()
					continue
				}
				local = append(local, time.Since(t0))
				if concurrency == 1 {
					spans = append(spans, span{t0, time.Now()})
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, local...)
			res.spans = append(res.spans, spans...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// span is when one query was under way.
type span struct{ start, end time.Time }

// roundsPerQuery assigns each upstream request to the query under way when it started (queries
// are sequential with one caller) and reads each query's round trips off its requests. It returns
// the mean over the queries the request log still covers (trimmed: the emulator dropped its
// oldest entries), and the most any query took.
func roundsPerQuery(spans []span, log []emulator.Request, trimmed bool) (mean float64, most int) {
	slices.SortFunc(log, func(a, b emulator.Request) int { return a.Start.Compare(b.Start) })
	total, counted, i := 0, 0, 0
	for _, s := range spans {
		if len(log) == 0 || trimmed && s.start.Before(log[0].Start) {
			continue // the query's first calls may be among the dropped entries
		}
		for i < len(log) && log[i].Start.Before(s.start) {
			i++
		}
		j := i
		for j < len(log) && !log[j].Start.After(s.end) {
			j++
		}
		r := emulator.Rounds(log[i:j])
		total, counted, most = total+r, counted+1, max(most, r)
		i = j
	}
	if counted == 0 {
		return 0, 0
	}
	return float64(total) / float64(counted), most
}

// send posts one query and checks the answer is complete: status 200, data, no errors.
func send(ctx context.Context, client *http.Client, url string, r request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)) || !bytes.HasPrefix(body, []byte(`{"data"`)) {
		return fmt.Errorf("status %d: %.300s", resp.StatusCode, body)
	}
	return nil
}

// serve runs a handler on a loopback port.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			upstreamConns.Add(1)
		}
	}}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}
