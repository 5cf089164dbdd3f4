#!/usr/bin/env bash
# Runs every benchmark BENCHMARKS.md reports, in one session, loopback only.
# Usage: scripts/benchmarks.sh [seconds per load run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
secs="${1:-10}"
go build -o /tmp/itwin-gateway-bench .
lt() { echo; echo "\$ go run ./cmd/loadtest $*"; go run ./cmd/loadtest -gateway /tmp/itwin-gateway-bench "$@"; }
# The floor: a bare net/http proxy (cmd/loadtest/floor.go) making the mix's four calls in the
# gateway's place, to tell what the machine and the HTTP stack cost from what the gateway adds.
floor() { echo; echo "\$ go run ./cmd/loadtest $* -floor"; go run ./cmd/loadtest "$@" -floor; }

echo "== machine"; nproc; grep -m1 'model name' /proc/cpuinfo || true; go version
lt -query aggregation -latency 50ms -concurrency 1 -duration "${secs}s"
lt -query aggregation -concurrency 1 -duration "${secs}s"
lt -query mix -dedup=false -concurrency 32 -duration "${secs}s"
floor -query mix -dedup=false -concurrency 32 -duration "${secs}s"
lt -query aliases40 -dedup=false -concurrency 32 -duration "${secs}s"
lt -query users1500 -dedup=false -concurrency 32 -duration "${secs}s"
lt -query creators -dedup=false -concurrency 1 -duration "${secs}s"
lt -query creators -dedup=false -concurrency 32 -duration "${secs}s"
lt -query entities -dedup=false -concurrency 1 -duration "${secs}s"
lt -query entities -dedup=false -concurrency 32 -duration "${secs}s"
# Scale: the bound is UPSTREAM_MAX_CONCURRENCY / latency / 4 calls per query.
lt -query mix -dedup=false -latency 20ms -concurrency 256 -duration "${secs}s"
lt -query mix -dedup=false -latency 20ms -concurrency 1024 -duration "${secs}s"
floor -query mix -dedup=false -latency 20ms -concurrency 256 -duration "${secs}s"
floor -query mix -dedup=false -latency 20ms -concurrency 1024 -duration "${secs}s"
lt -query mix -dedup=false -latency 20ms -concurrency 256 -duration "${secs}s" -upstream-max-concurrency 64
lt -query mix -dedup=false -latency 20ms -concurrency 256 -duration "${secs}s" -upstream-max-concurrency 256
lt -query mix -dedup=false -latency 50ms -concurrency 256 -duration "${secs}s"
lt -query mix -dedup=false -latency 50ms -concurrency 1024 -duration "${secs}s"
lt -query aliases40 -concurrency 1 -duration 3s
lt -query users1500 -concurrency 1 -duration 3s
lt -query repeated -concurrency 1 -duration 3s
lt -query teampage -latency 50ms -concurrency 1 -duration "${secs}s"
lt -query portfolio -latency 50ms -concurrency 1 -duration "${secs}s"
lt -query aggregation -concurrency 32 -duration "${secs}s"
lt -query aggregation -concurrency 32 -duration "${secs}s" -dedup=false
lt -query list100 -concurrency 32 -duration "${secs}s" -dedup=false
lt -query teampage -concurrency 32 -duration "${secs}s" -dedup=false
lt -query portfolio -concurrency 32 -duration "${secs}s" -dedup=false
lt -query aggregation -latency 50ms -concurrency 64 -duration "${secs}s"
lt -query aggregation -latency 50ms -concurrency 64 -duration "${secs}s" -dedup=false
lt -query aggregation -latency 50ms -concurrency 64 -duration "${secs}s" -dedup=false -upstream-max-concurrency 256
lt -query aggregation -latency 50ms -concurrency 64 -duration "${secs}s" -dedup=false -upstream-max-concurrency 256 -upstream-max-concurrency-per-caller 256
lt -query me -tokens distinct -latency 50ms -concurrency 64 -duration "${secs}s"
lt -query aggregation -concurrency 32 -duration "${secs}s" -cache-ttl 5s
# The shared tier: 1 vs 3 replicas behind a round-robin client, without and with Redis. 370
# callers each ask for their own profile; with 3 replicas a caller's next query lands on the next
# replica. A local redis-server on a free port, stopped at the end.
if command -v redis-server >/dev/null; then
  rport=$(shuf -i 20000-60000 -n 1)
  redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --pidfile "/tmp/bench-redis-$rport.pid" >/dev/null
  sleep 0.5
  lt -query me -tokens distinct -concurrency 32 -duration "${secs}s" -cache-ttl 2s -replicas 1
  lt -query me -tokens distinct -concurrency 32 -duration "${secs}s" -cache-ttl 2s -replicas 3
  lt -query me -tokens distinct -concurrency 32 -duration "${secs}s" -cache-ttl 2s -replicas 3 -redis "redis://127.0.0.1:$rport"
  lt -query me -tokens distinct -concurrency 32 -duration "${secs}s" -cache-ttl 2s -replicas 1 -redis "redis://127.0.0.1:$rport"
  echo; echo "\$ go test -run '^\$' -bench SharedTier ./internal/sharedstate/"
  go test -run '^$' -bench SharedTier ./internal/sharedstate/
  kill "$(cat "/tmp/bench-redis-$rport.pid")"
else
  echo "redis-server is not installed: shared tier runs skipped"
fi
echo; echo "\$ go test -run '^\$' -bench . -benchtime 2s ./graph/"
go test -run '^$' -bench . -benchtime 2s ./graph/
rm -f /tmp/itwin-gateway-bench
