//go:build linux && cgo

package uringbridge

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A Ring is an async ring of the library: requests submitted from any
// goroutine, completions delivered to the goroutines waiting for them
// without blocking an OS thread per request.
//
// The library gives each ring an owner thread of its own that talks to the
// kernel; completions are queued in the library and announced by an eventfd
// (urb_ring_fd) that is readable exactly while completions wait. That fd
// sits in Go's netpoller: one goroutine per ring (the reaper) sleeps in the
// netpoller until it is readable, then takes the completions in batches
// (urb_ring_reap) and wakes each waiting goroutine through its channel. A
// goroutine waiting in [Ring.Do] is parked like one waiting on a net.Conn;
// its OS thread runs other goroutines.
//
// Tokens (the requests' user_data) are slot numbers with a generation, not
// Go pointers; the Go memory a request names is pinned ([runtime.Pinner])
// from submission until its final completion has been reaped, whatever
// happens to the goroutine's context in between.
type Ring struct {
	r       *ring
	cleanup runtime.Cleanup
}

// ring is the part the reaper goroutine and the cleanup use: it never
// points back at the Ring, so an unreachable Ring is collected (and its
// cleanup frees the library's ring) even though the reaper still runs.
type ring struct {
	ptr *C.urb_ring

	// submitMu is read-locked by every submission and write-locked by
	// close, so that once closed is set no submission is half-way through.
	submitMu sync.RWMutex
	closed   bool
	// shut is closed as an atomic, set with it: the tries the binding
	// makes itself (nowait_linux.go) touch no ring state, so they only
	// check it, without taking submitMu.
	shut atomic.Bool

	mu    sync.Mutex // guards free and growth of slots
	free  []uint32
	slots atomic.Pointer[[]*slot] // read by the reaper without mu

	inFlight atomic.Int64  // requests submitted and not finally completed
	closing  atomic.Bool   // set by close before it waits for inFlight == 0
	drained  chan struct{} // signalled when closing and inFlight reaches 0

	file       *os.File      // a dup of urb_ring_fd, in the netpoller
	reaperDone chan struct{} // closed when the reaper goroutine has returned
	cq         [256]C.urb_completion

	closeOnce sync.Once

	// fallback: made with RingOptions.Fallback, whose requests run on the
	// fallback engine, tries included (its listeners' accepts wait on it).
	fallback bool
}

// completion is one result as the reaper hands it to a waiter.
type completion struct {
	res   int32
	flags uint32
}

// A slot is one request in flight (or one armed multishot request). Its
// index and generation make the token; a slot is reused only after its
// request's final completion has been taken by its waiter.
type slot struct {
	idx uint32
	// token is the slot's current token, 0 while the slot is free. The
	// reaper and close read it; its atomic store publishes the fields set
	// before it (handler) to the reaper.
	token atomic.Uint64
	gen   uint32 // owned by the allocator (under ring.mu)
	ch    chan completion
	pin   runtime.Pinner
	// handler, when set, receives every completion of a multishot request
	// on the reaper goroutine instead of ch; it must not block.
	handler func(res int32, flags uint32)
}

// NewRing creates an async ring (urb_ring_new) with its owner thread and
// its reaper goroutine. opts may be nil. Close it when done; a Ring that
// becomes unreachable without Close is closed by a cleanup.
func NewRing(opts *RingOptions) (*Ring, error) {
	var cfg C.urb_ring_config
	if opts != nil {
		cfg.entries = C.uint32_t(opts.Entries)
		cfg.cq_entries = C.uint32_t(opts.CQEntries)
		if opts.SQPoll {
			cfg.flags |= C.URB_RING_SQPOLL
			cfg.sqpoll_idle_ms = C.uint32_t(opts.SQPollIdle / time.Millisecond)
		}
		if opts.Fallback {
			cfg.flags |= C.URB_RING_FALLBACK
		}
	}
	r := &ring{drained: make(chan struct{}, 1), reaperDone: make(chan struct{})}
	r.fallback = opts != nil && opts.Fallback
	if res := int32(C.urb_ring_new(&cfg, &r.ptr)); res < 0 {
		return nil, syscallErr("urb_ring_new", res)
	}
	empty := make([]*slot, 0)
	r.slots.Store(&empty)
	// The eventfd belongs to the library (urb_ring_free closes it): the
	// netpoller gets a duplicate, which Close closes to stop the reaper.
	efd := int(C.urb_ring_fd(r.ptr))
	dup, err := syscall.Dup(efd)
	if err == nil {
		syscall.CloseOnExec(dup)
		// os.NewFile registers a non-blocking descriptor (the eventfd is
		// EFD_NONBLOCK, a flag the duplicate shares) with the netpoller.
		r.file = os.NewFile(uintptr(dup), "urb_ring_fd")
	}
	var rc syscall.RawConn
	if r.file != nil {
		rc, err = r.file.SyscallConn()
	}
	if err != nil {
		if r.file != nil {
			r.file.Close()
		}
		C.urb_ring_free(r.ptr)
		return nil, os.NewSyscallError("urb_ring_fd", err)
	}
	go r.reap(rc)
	rg := &Ring{r: r}
	rg.cleanup = runtime.AddCleanup(rg, func(r *ring) { r.close() }, r)
	return rg, nil
}

// reap runs on the ring's reaper goroutine until Close closes the
// duplicate eventfd: it sleeps in the netpoller until completions wait,
// takes them in batches of up to 256 and hands each to its slot.
func (r *ring) reap(rc syscall.RawConn) {
	defer close(r.reaperDone)
	max := C.uint32_t(len(r.cq))
	// The callback returns false (wait for readability, call again) for
	// ever: RawConn.Read returns only when the file is closed. The eventfd
	// is level-style and reset by the reap that empties the queue, so a
	// completion arriving after that reap makes it readable again and the
	// netpoller (edge-triggered) reports that edge: nothing is lost
	// between the last reap and the next wait.
	_ = rc.Read(func(uintptr) bool {
		for {
			n := C.urb_ring_reap(r.ptr, &r.cq[0], max)
			if n <= 0 {
				return false
			}
			slots := *r.slots.Load()
			for i := range int(n) {
				c := &r.cq[i]
				r.deliver(slots, uint64(c.token), int32(c.res), uint32(c.flags))
			}
			if n < C.int32_t(max) {
				return false
			}
		}
	})
}

// deliver hands one completion to the slot its token names.
func (r *ring) deliver(slots []*slot, token uint64, res int32, flags uint32) {
	idx := uint32(token)
	if int(idx) >= len(slots) {
		return // not ours: cannot happen
	}
	s := slots[idx]
	if s.token.Load() != token {
		return // stale: cannot happen (a slot is freed after its final completion)
	}
	final := flags&C.URB_CQE_F_MORE == 0
	if s.handler != nil {
		s.handler(res, flags)
	} else {
		s.ch <- completion{res, flags} // buffered: never blocks
	}
	if final && r.inFlight.Add(-1) == 0 && r.closing.Load() {
		select {
		case r.drained <- struct{}{}:
		default:
		}
	}
}

// alloc takes a free slot for one request (or a multishot request) and
// counts it in flight. The caller holds submitMu for reading and has
// checked closed.
func (r *ring) alloc() *slot {
	r.inFlight.Add(1)
	r.mu.Lock()
	var s *slot
	if n := len(r.free); n > 0 {
		s = (*r.slots.Load())[r.free[n-1]]
		r.free = r.free[:n-1]
	} else {
		old := *r.slots.Load()
		s = &slot{idx: uint32(len(old)), ch: make(chan completion, 1)}
		grown := append(old[:len(old):len(old)], s)
		r.slots.Store(&grown)
	}
	s.gen++
	if s.gen == 0 {
		s.gen = 1
	}
	tok := uint64(s.gen)<<32 | uint64(s.idx)
	r.mu.Unlock()
	s.token.Store(tok)
	return s
}

// release returns a slot whose request has finally completed (or was
// refused, or finished on the spot: then it also leaves the in-flight
// count).
func (r *ring) release(s *slot, settle bool) {
	s.pin.Unpin()
	s.handler = nil
	s.token.Store(0)
	r.mu.Lock()
	r.free = append(r.free, s.idx)
	r.mu.Unlock()
	if settle {
		r.settle()
	}
}

// settle takes one request that will have no completion (it finished on
// the spot or was refused) out of the in-flight count.
func (r *ring) settle() {
	if r.inFlight.Add(-1) == 0 && r.closing.Load() {
		select {
		case r.drained <- struct{}{}:
		default:
		}
	}
}

// keepSlot takes a slot for the lifetime of a connection's direction: at
// most one request at a time uses it, each counted in flight on its own
// (tryOn), so that a slot kept does not hold up Ring.Close. dropSlot gives
// it back once no request can use it any more.
func (r *ring) keepSlot() *slot {
	s := r.alloc()
	r.settle()
	return s
}

func (r *ring) dropSlot(s *slot) { r.release(s, false) }

// begin starts a submission: read-locks submitMu and reports whether the
// ring is still open. end must follow whatever begin returned.
func (r *ring) begin() bool {
	r.submitMu.RLock()
	return !r.closed
}

func (r *ring) end() { r.submitMu.RUnlock() }

// tryKind is what urb_ring_submit_try did with a request.
type tryKind uint8

const (
	tryRefused tryKind = C.GOURB_REFUSED // the value is the refusal's -errno
	tryQueued  tryKind = C.GOURB_QUEUED  // the ring took it: one completion follows
	tryDone    tryKind = C.GOURB_DONE    // finished on the spot: the value is its result
)

func unpackTry(v C.uint64_t) (tryKind, int32) {
	return tryKind(uint64(v) >> 32), int32(uint32(v))
}

// tryRaw performs op under s's token with urb_ring_submit_try. What
// finished on the spot or was refused releases s; a queued request keeps
// it until its completion has been taken.
func (r *ring) tryRaw(s *slot, op *C.urb_op) (tryKind, int32) {
	// A copy: cgo checks all of the Go object a pointer argument points
	// into, and op usually lies inside an Op, whose other fields hold
	// unpinned Go pointers.
	raw := *op
	kind, val := unpackTry(C.gourb_try(r.ptr, &raw, C.uint64_t(s.token.Load())))
	if kind != tryQueued {
		r.release(s, true)
	}
	return kind, val
}

// nowait performs op on the calling thread if it can finish without
// waiting (urb_submit_nowait): done reports whether it did (res is then
// its result); otherwise nothing was done.
func nowait(op *Op) (res int32, done bool) {
	var pin runtime.Pinner
	op.beforeSubmit()
	op.pin(&pin)
	raw := op.raw // see tryRaw: a copy, so cgo checks no more than the request
	kind, val := unpackTry(C.gourb_nowait(&raw))
	pin.Unpin()
	if kind == tryQueued {
		return 0, false
	}
	return val, true
}

// tryOn performs one receive or send of p (non-empty) on fd under the
// kept slot s (see keepSlot), returning its result; flags are MSG_*. What
// has to wait on the ring is awaited here, uncancellably: callers pass
// MSG_DONTWAIT, so the ring never holds it for long. Nothing is pinned
// unless the ring took the request: until the call returns, p is alive
// (the caller holds it) and in place (Go's heap does not move objects).
func (r *ring) tryOn(s *slot, code Opcode, fd int, p []byte, flags int) (int32, error) {
	if !r.begin() {
		r.end()
		return 0, ErrRingClosed
	}
	r.inFlight.Add(1)
	kind, val := unpackTry(C.gourb_try_sock(r.ptr, C.uint8_t(code), C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), C.int32_t(flags), C.uint64_t(s.token.Load())))
	r.end()
	switch kind {
	case tryDone:
		r.settle()
		return val, nil
	case tryQueued:
		s.pin.Pin(&p[0])
		c := <-s.ch
		s.pin.Unpin()
		if c.res == negECANCELED && r.isClosed() {
			return c.res, ErrRingClosed
		}
		return c.res, nil
	}
	r.settle()
	return val, syscallErr("submit", val)
}

// cancel asks for the request under token to be cancelled; it still
// completes exactly once. A token with nothing in flight is ignored, and so
// is a closed ring (whose close has cancelled everything).
func (r *ring) cancel(token uint64) {
	if token == 0 {
		return
	}
	if r.begin() {
		C.urb_ring_cancel(r.ptr, C.uint64_t(token))
	}
	r.end()
}

// wait parks the goroutine until s's request has completed, cancelling it
// if ctx is done first (its final completion is still awaited: until then
// the kernel may use its buffers). It releases s.
func (r *ring) wait(ctx context.Context, s *slot) (res int32, cancelled bool) {
	var c completion
	if done := ctx.Done(); done == nil {
		c = <-s.ch
	} else {
		select {
		case c = <-s.ch:
		case <-done:
			r.cancel(s.token.Load())
			c = <-s.ch
			cancelled = true
		}
	}
	r.release(s, false)
	return c.res, cancelled
}

// close stops the ring: no new submissions, every request in flight
// cancelled and awaited, the reaper stopped, the library's ring freed.
// It reports whether this call did it (false: an earlier call had).
func (r *ring) close() (first bool) {
	r.closeOnce.Do(func() {
		first = true
		r.submitMu.Lock()
		r.closed = true
		r.shut.Store(true)
		r.submitMu.Unlock()
		r.closing.Store(true)
		if r.inFlight.Load() > 0 {
			for _, s := range *r.slots.Load() {
				if tok := s.token.Load(); tok != 0 {
					C.urb_ring_cancel(r.ptr, C.uint64_t(tok))
				}
			}
			// urb_ring_free would drop the cancelled requests' final
			// completions: their waiters must get them first.
			<-r.drained
		}
		r.file.Close() // RawConn.Read returns: the reaper ends
		<-r.reaperDone
		C.urb_ring_free(r.ptr)
		unpinRegistered(r) // the freed ring no longer reaches them
	})
	return first
}

// Close cancels the requests still in flight, waits for their final
// completions (their callers get an error wrapping [ErrRingClosed] unless
// they completed first), stops the reaper and frees the library's ring.
// Later calls on the ring fail with ErrRingClosed; Close itself returns nil
// the first time and ErrRingClosed after.
func (rg *Ring) Close() error {
	rg.cleanup.Stop()
	if !rg.r.close() {
		return ErrRingClosed
	}
	return nil
}

// Stats returns the ring's counters (urb_ring_stats).
func (rg *Ring) Stats() (RingStats, error) {
	r := rg.r
	if !r.begin() {
		r.end()
		return RingStats{}, ErrRingClosed
	}
	var st C.urb_stats
	res := int32(C.urb_ring_stats(r.ptr, &st))
	r.end()
	runtime.KeepAlive(rg)
	if res < 0 {
		return RingStats{}, syscallErr("urb_ring_stats", res)
	}
	return RingStats{
		Submitted:   uint64(st.submitted),
		Completions: uint64(st.completions),
		Enters:      uint64(st.enters),
		SQFullWaits: uint64(st.sq_full_waits),
		CQOverflows: uint64(st.cq_overflows),
		Cancels:     uint64(st.cancels),
		Wakeups:     uint64(st.wakeups),
		InFlight:    uint64(st.in_flight),
	}, nil
}

// Do performs op on the ring and returns its CQE-style result, like
// [Submit], but parks only the calling goroutine while it waits. If ctx is
// done first the request is cancelled (urb_ring_cancel); Do still waits for
// its final completion, so the memory op names is never written after Do
// has returned, and returns ctx's error if the request was indeed cancelled
// (-ECANCELED), or its real result if it finished first.
func (rg *Ring) Do(ctx context.Context, op *Op) (int32, error) {
	return rg.do(ctx, op, -1)
}

// DoTimeout is Do bounded by d (urb_ring_submit_timeout): a request still
// running after d is cancelled and fails with an error wrapping
// syscall.ETIME. A negative d is treated as 0.
func (rg *Ring) DoTimeout(ctx context.Context, op *Op, d time.Duration) (int32, error) {
	return rg.do(ctx, op, max(d, 0))
}

func (rg *Ring) do(ctx context.Context, op *Op, timeout time.Duration) (int32, error) {
	if op == nil {
		return negEINVAL, syscallErr("submit", negEINVAL)
	}
	if op.err != nil {
		return op.errRes, op.err
	}
	if err := ctx.Err(); err != nil {
		return negECANCELED, err
	}
	r := rg.r
	if !r.begin() {
		r.end()
		return negECANCELED, ErrRingClosed
	}
	s := r.alloc()
	op.beforeSubmit()
	op.pin(&s.pin)
	var res int32
	if timeout < 0 {
		// Tried on this goroutine's thread first: what finishes on the
		// spot (a NOP, cached data) never meets the ring's owner thread.
		kind, val := unpackTry(C.gourb_try(r.ptr, &op.raw, C.uint64_t(s.token.Load())))
		if kind == tryDone {
			r.end()
			r.release(s, true)
			runtime.KeepAlive(rg)
			return val, op.complete(val)
		}
		if kind == tryRefused {
			res = val
		}
	} else {
		res = int32(C.urb_ring_submit_timeout(r.ptr, &op.raw, C.uint64_t(s.token.Load()), C.uint64_t(timeout)))
	}
	r.end()
	if res < 0 {
		r.release(s, true)
		runtime.KeepAlive(rg)
		return res, op.errFor(res)
	}
	res, cancelled := r.wait(ctx, s)
	runtime.KeepAlive(rg)
	if res == negECANCELED {
		if cancelled {
			return res, ctx.Err()
		}
		if r.isClosed() {
			return res, ErrRingClosed
		}
	}
	return res, op.complete(res)
}

func (r *ring) isClosed() bool {
	r.submitMu.RLock()
	defer r.submitMu.RUnlock()
	return r.closed
}

// DoBatch performs ops as independent requests submitted together
// (urb_ring_submit_batch: one lock and at most one wake-up of the owner
// thread for the lot) and waits for all of them. results[i] is op i's
// CQE-style result; err joins the errors of the requests that failed
// (errors.Is sees each errno), or is the reason nothing was submitted (a
// request that cannot be built or is refused: then no request runs). A
// done ctx cancels every request still running, as for [Ring.Do].
func (rg *Ring) DoBatch(ctx context.Context, ops []*Op) (results []int32, err error) {
	return rg.doMany(ctx, ops, false)
}

// DoChain performs ops as one linked chain on the ring
// (urb_ring_submit_chain), with the results and errors of [SubmitChain];
// only the calling goroutine waits. A done ctx cancels the requests still
// running (the rest of the chain then completes with -ECANCELED).
func (rg *Ring) DoChain(ctx context.Context, ops []*Op) (results []int32, err error) {
	return rg.doMany(ctx, ops, true)
}

func (rg *Ring) doMany(ctx context.Context, ops []*Op, chain bool) ([]int32, error) {
	limit := batchMax
	name := "batch"
	if chain {
		limit, name = ChainMax, "chain"
	}
	if len(ops) == 0 || len(ops) > limit {
		return nil, syscallErr(name, negEINVAL)
	}
	results := make([]int32, len(ops))
	for i, op := range ops {
		if op == nil || op.err != nil {
			for j := range results {
				results[j] = negECANCELED
			}
			res, e := negEINVAL, syscallErr(name, negEINVAL)
			if op != nil {
				res, e = op.errRes, op.err
			}
			results[i] = res
			if chain {
				return results, &ChainError{Index: i, Err: e}
			}
			return results, e
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := rg.r
	if !r.begin() {
		r.end()
		return nil, ErrRingClosed
	}
	raw := make([]C.urb_op, len(ops))
	tokens := make([]C.uint64_t, len(ops))
	slots := make([]*slot, len(ops))
	for i, op := range ops {
		s := r.alloc()
		slots[i] = s
		op.beforeSubmit()
		op.pin(&s.pin)
		raw[i] = op.raw
		tokens[i] = C.uint64_t(s.token.Load())
	}
	var res int32
	if chain {
		res = int32(C.urb_ring_submit_chain(r.ptr, &raw[0], C.size_t(len(raw)), &tokens[0]))
	} else {
		res = int32(C.urb_ring_submit_batch(r.ptr, &raw[0], C.size_t(len(raw)), &tokens[0]))
	}
	r.end()
	if res < 0 {
		for _, s := range slots {
			r.release(s, true)
		}
		for i := range results {
			results[i] = res
		}
		runtime.KeepAlive(rg)
		if chain {
			return results, &ChainError{Index: 0, Err: syscallErr(name, res)}
		}
		return results, syscallErr(name, res)
	}
	// Wait for every request; once ctx is done, cancel all that remain.
	done := ctx.Done()
	cancelled := false
	for i, s := range slots {
		var c completion
		select {
		case c = <-s.ch:
		case <-done:
			cancelled = true
			done = nil
			for _, t := range slots[i:] {
				r.cancel(t.token.Load())
			}
			c = <-s.ch
		}
		r.release(s, false)
		results[i] = c.res
	}
	runtime.KeepAlive(rg)
	if chain {
		err := chainResult(ops, results)
		if cancelled && err != nil {
			return results, ctx.Err()
		}
		return results, err
	}
	var errs []error
	for i, op := range ops {
		if e := op.complete(results[i]); e != nil {
			errs = append(errs, e)
		}
	}
	if cancelled && len(errs) > 0 {
		errs = append(errs, ctx.Err())
	}
	return results, errors.Join(errs...)
}

// batchMax is URB_BATCH_MAX.
const batchMax = C.URB_BATCH_MAX
