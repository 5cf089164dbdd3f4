package graph

import (
	"bytes"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// goroutineID reads the running goroutine's number off its stack trace's first line.
func goroutineID(t *testing.T) int {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	f := bytes.Fields(buf) // "goroutine", "N", "[running]:", ...
	id, err := strconv.Atoi(string(f[1]))
	if err != nil {
		t.Errorf("no goroutine number in %q", buf)
	}
	return id
}

// TestWorkerPoolNeverQueues: functions handed over while every worker is busy run at once, each
// on a worker of its own, as `go f()` would.
func TestWorkerPoolNeverQueues(t *testing.T) {
	p := &workerPool{tasks: make(chan func()), idle: time.Minute}
	const n = 5
	started, release := make(chan int, n), make(chan struct{})
	for range n {
		p.run(func() {
			started <- goroutineID(t)
			<-release // busy until all n have started
		})
	}
	ids := map[int]bool{}
	for range n {
		select {
		case id := <-started:
			ids[id] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of %d functions started: the pool queued the rest", len(ids), n)
		}
	}
	close(release)
	if len(ids) != n {
		t.Errorf("%d functions ran on %d goroutines, want one each", n, len(ids))
	}
}

// TestWorkerPoolReusesAndRetires: a worker that finished takes the next function itself, and
// ends once none comes for the idle time.
func TestWorkerPoolReusesAndRetires(t *testing.T) {
	p := &workerPool{tasks: make(chan func()), idle: 300 * time.Millisecond}
	first := make(chan int, 1)
	p.run(func() { first <- goroutineID(t) })
	id := <-first

	// The worker waits for work once its function returns: the next one reaches it.
	second := make(chan int, 1)
	handed := false
	for deadline := time.Now().Add(5 * time.Second); !handed && time.Now().Before(deadline); {
		select {
		case p.tasks <- func() { second <- goroutineID(t) }:
			handed = true
		default:
			time.Sleep(time.Millisecond)
		}
	}
	if !handed {
		t.Fatal("no worker waited for work after its function returned")
	}
	if got := <-second; got != id {
		t.Errorf("the second function ran on goroutine %d, want the worker %d", got, id)
	}

	// Past the idle time nobody takes work any more: the worker is gone.
	time.Sleep(p.idle + 200*time.Millisecond)
	select {
	case p.tasks <- func() {}:
		t.Error("a worker still took work after the idle time")
	case <-time.After(100 * time.Millisecond):
	}
}
