//go:build linux && cgo

package uringbridge

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A request cancelled because its deadline passed reports
// os.ErrDeadlineExceeded even when the deadline is moved before its
// cancelled completion is back: the reason is recorded when the request is
// cancelled, not read from the deadline's state afterwards. (Before, the
// Accept below returned "operation canceled": the second SetDeadline
// cleared the expired flag the completion was then judged by.)
//
// Only the listeners of a RingOptions.Fallback ring wait on the ring; the
// others wait in the netpoller, where a deadline cancels nothing.
func TestListenerDeadlineMovedAfterExpiry(t *testing.T) {
	rg := newTestRing(t, &RingOptions{Fallback: true})
	l, err := rg.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dl := l.(interface{ SetDeadline(time.Time) error })
	for i := range 200 {
		errc := make(chan error, 1)
		go func() {
			c, err := l.Accept()
			if err == nil {
				c.Close()
			}
			errc <- err
		}()
		waitAcceptQueued(t, l)
		dl.SetDeadline(time.Now().Add(-time.Second)) // cancels the Accept
		dl.SetDeadline(time.Time{})                  // and is moved at once
		err := <-errc
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("round %d: Accept cancelled by its deadline returned %v, want os.ErrDeadlineExceeded", i, err)
		}
	}
}

// waitAcceptQueued waits until l's Accept has been handed to the ring.
func waitAcceptQueued(t *testing.T, l net.Listener) {
	t.Helper()
	d := &l.(*listener).dir
	deadline := time.Now().Add(10 * time.Second)
	for {
		d.mu.Lock()
		queued := d.tok != 0
		d.mu.Unlock()
		if queued {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("Accept never reached the ring")
		}
		runtime.Gosched()
	}
}

// busyCPUs keeps every CPU busy (2 spinning goroutines per P) until the
// returned stop is called, so that timers, completions and deadline
// changes interleave in the ways an idle machine rarely shows.
func busyCPUs() (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			x := 0
			for !done.Load() {
				for i := range 10000 {
					x += i
				}
			}
			_ = x
		})
	}
	return func() { done.Store(true); wg.Wait() }
}

// The deadline cases of the conformance suite, many times, with the CPUs
// busy: every failed Read or Write is a timeout, every Accept past its
// deadline says so, nothing reports a bare cancellation.
func TestDeadlineStressUnderCPULoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	stop := busyCPUs()
	defer stop()
	for _, p := range []struct {
		name string
		std  bool
	}{{"ring-ring", false}, {"ring-std", true}} {
		t.Run(p.name, func(t *testing.T) {
			for range 10 {
				c1, c2 := connPair(t, "tcp", p.std)
				confRacyRead(t, c1, c2)
				c1.Close()
				c2.Close()
				c1, c2 = connPair(t, "tcp", p.std)
				confRacyWrite(t, c1, c2)
				c1.Close()
				c2.Close()
				c1, c2 = connPair(t, "tcp", p.std)
				confPresentTimeout(t, c1, c2)
				c1.Close()
				c2.Close()
			}
		})
	}
	for _, fallback := range []bool{false, true} {
		t.Run(fmt.Sprintf("accept/fallbackRing=%v", fallback), func(t *testing.T) {
			stressAcceptDeadlines(t, newTestRing(t, &RingOptions{Fallback: fallback}))
		})
	}
}

func stressAcceptDeadlines(t *testing.T, rg *Ring) {
	l, err := rg.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	{
		dl := l.(interface{ SetDeadline(time.Time) error })
		for i := range 300 {
			dl.SetDeadline(time.Now().Add(time.Duration(i%50) * time.Microsecond))
			go dl.SetDeadline(time.Now().Add(time.Duration(i%7) * time.Microsecond))
			c, err := l.Accept()
			if err == nil {
				c.Close()
				continue
			}
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Accept %d: %v, want os.ErrDeadlineExceeded", i, err)
			}
		}
	}
}
