//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func newTestRing(t *testing.T, opts *RingOptions) *Ring {
	t.Helper()
	rg, err := NewRing(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rg.Close() })
	return rg
}

// 10,000 requests from 100 goroutines on one ring: every result is the
// right one and lands in the right goroutine's buffer.
func TestRingManyGoroutines(t *testing.T) {
	const goroutines, perG, block = 100, 100, 64
	content := make([]byte, goroutines*perG*block)
	for i := range content {
		content[i] = byte(i*7 + i/block)
	}
	_, fd := tempFileWith(t, content)
	rg := newTestRing(t, nil)

	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			buf := make([]byte, block)
			for i := range perG {
				off := (g*perG + i) * block
				clear(buf)
				var n int32
				var err error
				if i%10 == 9 {
					n, err = rg.Do(context.Background(), PrepNop())
					if err != nil || n != 0 {
						errs <- fmt.Errorf("goroutine %d: nop = %d, %v", g, n, err)
						return
					}
					n, err = rg.Do(context.Background(), PrepRead(fd, buf, int64(off)))
				} else {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					n, err = rg.Do(ctx, PrepRead(fd, buf, int64(off)))
					cancel()
				}
				if err != nil || n != block {
					errs <- fmt.Errorf("goroutine %d request %d: %d, %v", g, i, n, err)
					return
				}
				if !bytes.Equal(buf, content[off:off+block]) {
					errs <- fmt.Errorf("goroutine %d request %d: wrong bytes", g, i)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err := rg.Stats()
	if err != nil {
		t.Fatal(err)
	}
	// The NOPs finish on the spot (urb_ring_submit_try) and never reach
	// the ring; so may cached reads.
	most := uint64(goroutines * perG)
	if st.Submitted > most || st.Completions != st.Submitted || st.InFlight != 0 {
		t.Errorf("stats: %+v, want at most %d submitted, all completed, none in flight", st, most)
	}
}

// DoBatch: one urb_ring_submit_batch for many requests, each result in its
// place; a request that cannot be built stops the whole batch.
func TestRingDoBatch(t *testing.T) {
	content := []byte(strings.Repeat("0123456789abcdef", 64))
	_, fd := tempFileWith(t, content)
	rg := newTestRing(t, nil)
	bufs := make([][]byte, 64)
	ops := make([]*Op, 64)
	for i := range ops {
		bufs[i] = make([]byte, 16)
		ops[i] = PrepRead(fd, bufs[i], int64(i*16))
	}
	res, err := rg.DoBatch(context.Background(), ops)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ops {
		if res[i] != 16 || string(bufs[i]) != "0123456789abcdef" {
			t.Fatalf("request %d: %d %q", i, res[i], bufs[i])
		}
	}
	// One failing request: its error, the others' results.
	ops[3] = PrepRead(badFD, bufs[3], 0)
	res, err = rg.DoBatch(context.Background(), ops)
	if !errors.Is(err, syscall.EBADF) || res[3] != -int32(syscall.EBADF) || res[4] != 16 {
		t.Fatalf("batch with a bad fd: %v %v", res[:5], err)
	}
	// A request that cannot be built: nothing submitted.
	ops[5] = PrepRead(fd, bufs[5], -5)
	if _, err := rg.DoBatch(context.Background(), ops); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("batch with a bad offset: %v", err)
	}
	if _, err := rg.DoBatch(context.Background(), nil); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("empty batch: %v", err)
	}
}

// DoChain: write then read back, in order, on the ring; a broken chain
// names the request that broke it.
func TestRingDoChain(t *testing.T) {
	_, fd := tempFileWith(t, nil)
	rg := newTestRing(t, nil)
	out := make([]byte, 5)
	res, err := rg.DoChain(context.Background(), []*Op{
		PrepWrite(fd, []byte("hello"), 0),
		PrepRead(fd, out, 0),
	})
	if err != nil || res[0] != 5 || res[1] != 5 || string(out) != "hello" {
		t.Fatalf("chain: %v %v %q", res, err, out)
	}
	res, err = rg.DoChain(context.Background(), []*Op{
		PrepWrite(badFD, []byte("x"), 0),
		PrepRead(fd, out, 0),
	})
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Index != 0 || !errors.Is(err, syscall.EBADF) || res[1] != negECANCELED {
		t.Fatalf("broken chain: %v %v", res, err)
	}
}

// fillCanary fills p with a pattern that a receive would overwrite.
func fillCanary(p []byte) {
	for i := range p {
		p[i] = byte(0xA5 ^ i)
	}
}

func isCanary(p []byte) bool {
	for i := range p {
		if p[i] != byte(0xA5^i) {
			return false
		}
	}
	return true
}

// Cancelling the context of a blocked receive: Do returns the context's
// error once the kernel has let go of the buffer, the buffer is left as it
// was, and data sent afterwards is still there for the next reader (the
// cancelled receive consumed nothing). Garbage collections in between
// must not matter: the buffer is pinned until the final completion.
func TestRingCancelBlockedRecv(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run(fmt.Sprintf("fallback=%v", fallback), func(t *testing.T) {
			rg := newTestRing(t, &RingOptions{Fallback: fallback})
			a, b := socketPair(t)
			buf := make([]byte, 64)
			fillCanary(buf)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				n, err := rg.Do(ctx, PrepRecv(a, buf, 0))
				if n != negECANCELED {
					err = fmt.Errorf("result %d, err %v", n, err)
				}
				done <- err
			}()
			waitInFlight(t, rg, 1)
			runtime.GC()
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled recv: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("cancelled recv did not return")
			}
			runtime.GC()
			if _, err := syscall.Write(b, []byte("after")); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond) // time for a stray receive to land
			if !isCanary(buf) {
				t.Fatalf("buffer written after the cancelled recv returned: %q", buf[:8])
			}
			got := make([]byte, 16)
			n, err := syscall.Read(a, got)
			if err != nil || string(got[:n]) != "after" {
				t.Fatalf("data after cancel: %q, %v", got[:n], err)
			}
			if st, _ := rg.Stats(); st.Cancels < 1 || st.InFlight != 0 {
				t.Fatalf("stats after cancel: %+v", st)
			}
		})
	}
}

// A context that is already done submits nothing.
func TestRingDoneContext(t *testing.T) {
	rg := newTestRing(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rg.Do(ctx, PrepNop()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Do with a done context: %v", err)
	}
	if st, _ := rg.Stats(); st.Submitted != 0 {
		t.Fatalf("submitted %d requests", st.Submitted)
	}
}

// A context deadline and DoTimeout both bound a receive that never gets
// data; the buffer is untouched.
func TestRingTimeouts(t *testing.T) {
	rg := newTestRing(t, nil)
	a, _ := socketPair(t)
	buf := make([]byte, 8)
	fillCanary(buf)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := rg.Do(ctx, PrepRecv(a, buf, 0)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("recv past its context deadline: %v", err)
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("returned before the deadline")
	}
	n, err := rg.DoTimeout(context.Background(), PrepRecv(a, buf, 0), 20*time.Millisecond)
	if !errors.Is(err, syscall.ETIME) || n != -int32(syscall.ETIME) {
		t.Fatalf("DoTimeout: %d %v", n, err)
	}
	if !isCanary(buf) {
		t.Fatal("buffer written")
	}
}

// Close cancels what is in flight (those callers get ErrRingClosed), and
// every later call fails with it; Close twice reports it.
func TestRingClose(t *testing.T) {
	rg, err := NewRing(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := socketPair(t)
	const waiting = 8
	errs := make(chan error, waiting)
	for range waiting {
		go func() {
			buf := make([]byte, 8)
			_, err := rg.Do(context.Background(), PrepRecv(a, buf, 0))
			errs <- err
		}()
	}
	waitInFlight(t, rg, waiting)
	if err := rg.Close(); err != nil {
		t.Fatal(err)
	}
	for range waiting {
		if err := <-errs; !errors.Is(err, ErrRingClosed) || !errors.Is(err, os.ErrClosed) {
			t.Fatalf("request in flight at Close: %v", err)
		}
	}
	if _, err := rg.Do(context.Background(), PrepNop()); !errors.Is(err, ErrRingClosed) {
		t.Fatalf("Do after Close: %v", err)
	}
	if _, err := rg.DoBatch(context.Background(), []*Op{PrepNop()}); !errors.Is(err, ErrRingClosed) {
		t.Fatalf("DoBatch after Close: %v", err)
	}
	if _, err := rg.Stats(); !errors.Is(err, ErrRingClosed) {
		t.Fatalf("Stats after Close: %v", err)
	}
	if err := rg.Close(); !errors.Is(err, ErrRingClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

// A Ring dropped without Close is closed by its cleanup: its owner thread
// goes away.
func TestRingCleanupFreesUnreachableRing(t *testing.T) {
	before := countThreads(t, "urb-ring")
	func() {
		for range 4 {
			rg, err := NewRing(nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rg.Do(context.Background(), PrepNop()); err != nil {
				t.Fatal(err)
			}
		}
	}()
	if got := countThreads(t, "urb-ring"); got < before+4 {
		t.Fatalf("owner threads: %d before, %d with 4 rings", before, got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for countThreads(t, "urb-ring") > before {
		if time.Now().After(deadline) {
			t.Fatalf("owner threads: %d before, %d long after the rings were dropped", before, countThreads(t, "urb-ring"))
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRingOptions(t *testing.T) {
	rg := newTestRing(t, &RingOptions{Entries: 8, CQEntries: 64, Fallback: true})
	ops := make([]*Op, 100) // more than the SQ holds
	for i := range ops {
		ops[i] = PrepNop()
	}
	if _, err := rg.DoBatch(context.Background(), ops); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRing(&RingOptions{Entries: 1 << 20}); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("absurd ring size: %v", err)
	}
}

// waitInFlight waits until the ring has at least n requests in flight.
func waitInFlight(t *testing.T, rg *Ring, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := rg.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if st.InFlight >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests in flight, want %d", st.InFlight, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// countThreads counts this process's threads named name ("" for all).
func countThreads(t *testing.T, name string) int {
	t.Helper()
	if name == "" {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Threads:"); ok {
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				return n
			}
		}
		t.Fatal("no Threads line in /proc/self/status")
	}
	tasks, err := filepath.Glob("/proc/self/task/*/comm")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range tasks {
		if b, err := os.ReadFile(f); err == nil && strings.TrimSpace(string(b)) == name {
			n++
		}
	}
	return n
}
