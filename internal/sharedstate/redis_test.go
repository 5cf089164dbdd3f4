package sharedstate

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestURLs(t *testing.T) {
	for _, ok := range []string{
		"redis://127.0.0.1:6379", "rediss://user:pw@cache.example:6380/2",
		"redis+sentinel://:pw@10.0.0.1:26379?master_name=main&addr=10.0.0.2:26379",
		"redis+cluster://10.0.0.1:7000?addr=10.0.0.2:7000",
	} {
		c, err := newClient(ok, 50*time.Millisecond)
		if err != nil {
			t.Errorf("%s: %v", ok, err)
			continue
		}
		_ = c.Close()
	}
	for _, bad := range []string{"http://127.0.0.1:6379", "redis+mesh://127.0.0.1", "redis://:s3cret@host:6379?nonsense=1", "::"} {
		_, err := newClient(bad, 50*time.Millisecond)
		if err == nil {
			t.Errorf("%s accepted", bad)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error repeats the password: %v", bad, err)
		}
	}
}

// redisForBench starts a redis-server on a free loopback port, or skips.
func redisForBench(b *testing.B) string {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		b.Skip("redis-server is not installed")
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "redis://127.0.0.1:" + port
}

// The cost of one shared tier lookup and store on loopback, what the cache adds to a miss:
//
//	go test -run '^$' -bench SharedTier ./internal/sharedstate/
func BenchmarkSharedTier(b *testing.B) {
	tier, err := Open(redisForBench(b), time.Second, 1<<20, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tier.Close()
	for deadline := time.Now().Add(5 * time.Second); !tier.Up(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("Redis did not come up")
		}
	}
	value := make([]byte, 2048) // a typical sealed answer
	ctx := context.Background()
	tier.Set(ctx, "bench", value, time.Minute)
	b.Run("get-hit-2KiB", func(b *testing.B) {
		for b.Loop() {
			if _, ok := tier.Get(ctx, "bench"); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("get-miss", func(b *testing.B) {
		for b.Loop() {
			tier.Get(ctx, "absent")
		}
	})
	b.Run("set-2KiB", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			tier.Set(ctx, fmt.Sprint("k", i%1000), value, time.Minute)
		}
	})
}
