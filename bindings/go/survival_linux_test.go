//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// A goroutine that ends while runtime.LockOSThread'ed takes its OS thread
// with it (the M exits). Requests it submitted that had to wait must still
// complete with the right result: the kernel fails requests whose
// submitting thread has exited (-ECANCELED for a pending receive), so what
// the ring took must have been submitted by the ring's owner thread, and
// what urb_ring_submit_try ran on the caller must be finished before it
// returned. Each locked goroutine submits waiting pipe reads, socket
// receives and a timeout, plus a NOP (finished on the spot), and ends; the
// test checks that its thread is gone, then feeds the descriptors and
// checks every result and every byte.
func TestRequestsSurviveLockedThreadExit(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run(fmt.Sprintf("fallbackRing=%v", fallback), func(t *testing.T) {
			rg, err := NewRing(&RingOptions{Fallback: fallback})
			if err != nil {
				t.Fatal(err)
			}
			defer rg.Close()
			const threads, perKind = 4, 8
			for range threads {
				survivalRound(t, rg, perKind)
			}
		})
	}
}

type pendingReq struct {
	s    *slot
	op   *Op
	buf  []byte
	feed func() error // makes the request's data arrive
	want string       // its data
	res  int32        // its expected result
}

func survivalRound(t *testing.T, rg *Ring, perKind int) {
	r := rg.r
	var pending []*pendingReq
	var closers []int
	defer func() {
		for _, fd := range closers {
			syscall.Close(fd)
		}
	}()
	for i := range perKind {
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		closers = append(closers, p[0], p[1])
		msg := fmt.Sprintf("pipe %d", i)
		buf := make([]byte, 64)
		pending = append(pending, &pendingReq{op: PrepRead(p[0], buf, -1), buf: buf, want: msg, res: int32(len(msg)),
			feed: func() error { _, err := syscall.Write(p[1], []byte(msg)); return err }})

		sp, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		closers = append(closers, sp[0], sp[1])
		smsg := fmt.Sprintf("socket %d", i)
		sbuf := make([]byte, 64)
		pending = append(pending, &pendingReq{op: PrepRecv(sp[0], sbuf, 0), buf: sbuf, want: smsg, res: int32(len(smsg)),
			feed: func() error { _, err := syscall.Write(sp[1], []byte(smsg)); return err }})
	}
	pending = append(pending, &pendingReq{op: PrepTimeout(50 * time.Millisecond), res: 0})

	tids := make(chan int, 1)
	submitted := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: when this goroutine returns, its thread exits.
		tids <- syscall.Gettid()
		if res, err := rg.Do(context.Background(), PrepNop()); res != 0 || err != nil {
			submitted <- fmt.Errorf("nop on the locked thread: %d, %v", res, err)
			return
		}
		if !r.begin() {
			r.end()
			submitted <- ErrRingClosed
			return
		}
		for _, p := range pending {
			p.s = r.alloc()
			p.op.beforeSubmit()
			p.op.pin(&p.s.pin)
			if kind, val := r.tryRaw(p.s, &p.op.raw); kind != tryQueued {
				r.end()
				submitted <- fmt.Errorf("%v finished before its data came: kind %d, %d", p.op.Opcode(), kind, val)
				return
			}
		}
		r.end()
		submitted <- nil
	}()
	tid := <-tids
	if err := <-submitted; err != nil {
		t.Fatal(err)
	}
	if tid == syscall.Getpid() {
		// The main thread never exits (Go parks it instead): this round
		// proves nothing, but its requests must complete all the same.
		t.Log("the locked goroutine ran on the main thread")
		tid = 0
	}
	// Wait for the locked thread to be gone.
	deadline := time.Now().Add(10 * time.Second)
	for tid != 0 {
		if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid)); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d still there after its locked goroutine ended", tid)
		}
		time.Sleep(time.Millisecond)
	}
	for _, p := range pending {
		if p.feed != nil {
			if err := p.feed(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, p := range pending {
		select {
		case c := <-p.s.ch:
			r.release(p.s, false)
			if c.res != p.res {
				t.Errorf("%v after its thread exited: %d, want %d", p.op.Opcode(), c.res, p.res)
			} else if p.want != "" && !bytes.Equal(p.buf[:c.res], []byte(p.want)) {
				t.Errorf("%v after its thread exited: %q, want %q", p.op.Opcode(), p.buf[:c.res], p.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%v never completed after its thread exited", p.op.Opcode())
		}
	}
}
