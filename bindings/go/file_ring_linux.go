//go:build linux && cgo

package uringbridge

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"runtime"
)

// The requests of a File opened on a Ring ([Ring.OpenFile]).

// rw reads (OpRead) or writes (OpWrite) p at off on the ring, parking only
// the calling goroutine. No Op is built: one cgo call prepares and tries
// the request (gourb_try_rw), which matters for small random reads, where
// the allocation and pinning of an Op would be a good part of the cost. A
// read of cached data has finished on this goroutine's thread before
// (File.readNow) or does here (urb_ring_submit_try); only what has to wait
// goes to the ring.
func (rg *Ring) rw(code Opcode, fd int, p []byte, off int64) (int, error) {
	name := "read"
	if code == OpWrite {
		name = "write"
	}
	coff, ok := offsetArg(off)
	if !ok {
		return 0, syscallErr(name, negEINVAL)
	}
	p = p[:min(len(p), maxRW)]
	r := rg.r
	if !r.begin() {
		r.end()
		return 0, ErrRingClosed
	}
	s := r.alloc()
	kind, val := unpackTry(C.gourb_try_rw(r.ptr, C.uint8_t(code), C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), coff, C.uint64_t(s.token.Load())))
	r.end()
	switch kind {
	case tryDone:
		r.release(s, true)
		runtime.KeepAlive(rg)
		if val < 0 {
			return 0, syscallErr(name, val)
		}
		return int(val), nil
	case tryRefused:
		r.release(s, true)
		runtime.KeepAlive(rg)
		return 0, syscallErr(name, val)
	}
	if len(p) > 0 {
		// Pinned until the final completion, as the kernel writes p (or
		// reads it) after the call has returned. Until here p was alive
		// (this frame holds it) and in place (Go's heap does not move
		// objects), which is all the call itself needed.
		s.pin.Pin(&p[0])
	}
	c := <-s.ch
	r.release(s, false)
	runtime.KeepAlive(rg)
	if c.res < 0 {
		if c.res == negECANCELED && r.isClosed() {
			return 0, ErrRingClosed
		}
		return 0, syscallErr(name, c.res)
	}
	return int(c.res), nil
}

// readNow tries a read of a File on a ring at the explicit offset off on
// the calling goroutine's thread, the way urb_ring_submit_try would
// (nowait_linux.go): one preadv2 with RWF_NOWAIT, no cgo call, no ring
// state touched. done reports that its result (n, err) is final; otherwise
// nothing is taken and the read goes to the ring (Ring.rw), which tries it
// again and queues it when it must wait. O_DIRECT descriptors are left to
// the library; whether the File's descriptor is one is learnt at its first
// read (fcntl), as is its type (fstat), so a change of O_DIRECT made later
// through Fd with fcntl(F_SETFL) is not seen: such reads are still tried
// here, and their results are the same (preadv2 of an O_DIRECT descriptor
// waits for the device instead of answering -EAGAIN, blocking this
// goroutine's thread meanwhile).
func (f *File) readNow(fd int, p []byte, off int64) (n int, done bool, err error) {
	r := f.ring.r
	if r.fallback {
		return 0, false, nil // nothing is tried on such a ring
	}
	kind := f.readKind.Load()
	if kind == readKindUnknown {
		kind = probeReadKind(fd)
		f.readKind.Store(kind)
	}
	if kind == readKindLibrary || len(p) == 0 || off < 0 {
		return 0, false, nil
	}
	if r.shut.Load() {
		return 0, true, ErrRingClosed
	}
	p = p[:min(len(p), maxRW)]
	res := preadNow(fd, p, off)
	if !takenRead(res, len(p), kind) {
		return 0, false, nil
	}
	if res < 0 {
		return 0, true, syscallErr("read", res)
	}
	return int(res), true, nil
}

// openat opens path relative to the working directory on the ring.
func (rg *Ring) openat(path string, flags int, mode uint32) (int, error) {
	res, err := rg.Do(context.Background(), PrepOpenat(AtFdcwd, path, flags, mode))
	if err != nil {
		return -1, err
	}
	return int(res), nil
}

// fsync flushes fd on the ring.
func (rg *Ring) fsync(fd int) error {
	_, err := rg.Do(context.Background(), PrepFsync(fd, false))
	return err
}
