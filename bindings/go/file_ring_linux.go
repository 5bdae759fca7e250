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
// read of cached data finishes on this goroutine's thread
// (urb_ring_submit_try); only what has to wait goes to the ring.
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
