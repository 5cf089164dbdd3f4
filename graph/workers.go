package graph

import (
	"sync/atomic"
	"time"
)

// Batch calls run on goroutines kept between requests. A batch call goes down the whole HTTP
// client path (the retry loop, the transport, the answer's decoding), which needs a stack of
// several kilobytes, and a new goroutine starts with a small one: growing it (runtime.newstack
// copying the stack, twice or three times) was 7-8 % of the gateway's CPU on the dedup-free mix.
// A worker grows its stack once and keeps it while it has work. A worker holds nothing of a
// request between two calls: each call brings its own context, keys and loads.

// workerIdle is how long a worker waits for another call before it ends. Long enough to carry a
// worker across the gaps of steady traffic, short enough that a burst's extra workers go soon.
const workerIdle = 5 * time.Second

// batchWorkers is the process's pool of workers for batch calls (see goBatch).
var batchWorkers = workerPool{tasks: make(chan func()), idle: workerIdle}

// workerPool runs functions on waiting workers, starting a worker when none is waiting, so a
// function never queues behind another.
type workerPool struct {
	tasks chan func() // unbuffered: a send succeeds only when a worker is waiting for it
	idle  time.Duration
	live  atomic.Int64 // workers running or waiting, for leak checks
}

// workers is the number of workers running or waiting for work.
func (p *workerPool) workers() int { return int(p.live.Load()) }

// goBatch runs f on a worker, at once: the same as `go f()` but for the stack.
func goBatch(f func()) { batchWorkers.run(f) }

// run hands f to a waiting worker, or starts a worker for it.
func (p *workerPool) run(f func()) {
	select {
	case p.tasks <- f:
	default:
		p.live.Add(1)
		go p.work(f)
	}
}

// work runs f, then each function handed to it, until none comes for the idle time.
func (p *workerPool) work(f func()) {
	defer p.live.Add(-1)
	idle := time.NewTimer(p.idle)
	defer idle.Stop()
	for {
		f()
		f = nil // do not keep the last call's closure (and its request) while waiting
		idle.Reset(p.idle)
		select {
		case f = <-p.tasks:
		case <-idle.C:
			return
		}
	}
}
