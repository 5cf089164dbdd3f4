package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
)

// do sends one command to the test's Redis and returns its reply, bulk strings whole.
func (r *redisServer) do(args ...string) string {
	r.t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+r.port, time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		r.t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	line, err := rd.ReadString('\n')
	if err != nil {
		r.t.Fatal(err)
	}
	if line[0] != '$' {
		return strings.TrimSpace(line)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(rd, buf); err != nil {
		r.t.Fatal(err)
	}
	return string(buf[:n])
}

// outputBytes is what Redis has sent to its clients so far.
func (r *redisServer) outputBytes() int64 {
	r.t.Helper()
	for _, line := range strings.Split(r.do("INFO", "stats"), "\r\n") {
		if v, ok := strings.CutPrefix(line, "total_net_output_bytes:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	r.t.Fatal("INFO stats has no total_net_output_bytes")
	return 0
}

// gatewayOnRedis is a gateway with the shared tier up on a Redis of its own, over an emulator.
func gatewayOnRedis(t *testing.T) (*redisServer, *emulator.Emulator, *runningGateway) {
	t.Helper()
	redis := startRedis(t)
	emu := emulator.New()
	upstream := httptest.NewServer(emu)
	t.Cleanup(upstream.Close)
	g := startGateway(t, map[string]string{"BENTLEY_API_URL": upstream.URL, "REDIS_URL": redis.url(), "REDIS_TIMEOUT": "1s"})
	waitTier(t, g, "up")
	return redis, emu, g
}

// A value planted in Redis larger than anything the gateway stores is read no further than the
// bound and taken as a miss: 8 MB under an APQ key costs the replica at most about 1 MB.
func TestOversizedRedisValuesAreReadOnlyToTheBound(t *testing.T) {
	redis, emu, g := gatewayOnRedis(t)
	show := emu.Showcase()

	query := `query Planted { me { id } }`
	sum := sha256.Sum256([]byte(query))
	hash := hex.EncodeToString(sum[:])
	planted := strings.Repeat("x", 8<<20)
	if reply := redis.do("SET", "itwin-gateway:apq:"+hash, planted); reply != "+OK" {
		t.Fatalf("SET: %s", reply)
	}
	before := redis.outputBytes()
	body := post(t, g.url, show.Token, `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"`+hash+`"}}}`)
	sent := redis.outputBytes() - before
	if !strings.Contains(body, "PERSISTED_QUERY_NOT_FOUND") {
		t.Errorf("a planted value was served: %.300s", body)
	}
	if sent > 2<<20 {
		t.Errorf("Redis sent %d bytes for one lookup of an 8 MB value: read past the bound", sent)
	}
	t.Logf("Redis sent %d bytes for the lookup", sent)
	// A value of the right size still works: the bound is not a blanket refusal.
	if body := post(t, g.url, show.Token, `{"query":"`+query+`","extensions":{"persistedQuery":{"version":1,"sha256Hash":"`+hash+`"}}}`); !strings.Contains(body, `"me"`) {
		t.Fatalf("registering: %s", body)
	}
}

// A query planted in Redis under another query's hash is not served: a value from the shared
// tier must hash to the name it is stored under.
func TestPlantedAPQQueryIsNotServed(t *testing.T) {
	redis, emu, g := gatewayOnRedis(t)
	show := emu.Showcase()
	sum := sha256.Sum256([]byte(`query Listed { me { id } }`))
	hash := hex.EncodeToString(sum[:])
	if reply := redis.do("SET", "itwin-gateway:apq:"+hash, `query Swapped { me { email } }`); reply != "+OK" {
		t.Fatalf("SET: %s", reply)
	}
	emu.Reset()
	body := post(t, g.url, show.Token, `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"`+hash+`"}}}`)
	if !strings.Contains(body, "PERSISTED_QUERY_NOT_FOUND") || strings.Contains(body, "email") {
		t.Errorf("a swapped query was served: %s", body)
	}
	if n := emu.TotalCalls(); n != 0 {
		t.Errorf("%d platform calls for a swapped query", n)
	}
}
