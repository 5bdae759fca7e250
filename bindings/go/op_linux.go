//go:build linux && cgo

package uringbridge

/*
#include <linux/stat.h>
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// Op is one request, built by a Prep* constructor and performed by
// [Submit], [SubmitTimeout] or [SubmitChain]. It may be submitted again
// once a submission has returned, but not by two goroutines at once. The
// memory it names (the buffer of PrepRead, ...) must not be reused by the
// caller while a submission is running.
//
// A constructor that cannot build its request (a path containing NUL, an
// unknown socket address type, a negative offset) returns an Op whose
// submission fails with that error without reaching the library.
type Op struct {
	raw  C.urb_op // filled by the library's urb_prep_* function
	code Opcode

	// refs is the Go memory raw names: what raw.buf and raw.buf2 point to,
	// and for readv/writev also every buffer the iovec array points to.
	// Keeping them here holds them alive as long as the Op, because the
	// copies of those pointers inside raw were written by C, out of sight
	// of the garbage collector's write barrier. Each submission pins them,
	// as the cgo rules require of Go memory that C reaches through a
	// pointer stored in memory (rather than through a direct argument),
	// and unpins them when the result is back.
	refs []unsafe.Pointer

	path   string // path operations report it in their *os.PathError
	err    error  // construction error, returned by every submission
	errRes int32  // its -errno

	accept  *acceptBuf       // PrepAccept: the peer address the kernel fills
	peer    syscall.Sockaddr // PrepAccept: decoded after each success
	cstat   *C.struct_statx  // PrepStatx: what the kernel fills
	statOut *Stat            // PrepStatx: where the caller wants it
}

// acceptBuf holds accept's address and its in/out length. It contains no
// Go pointers, so pinning it is all C needs.
type acceptBuf struct {
	addr    syscall.RawSockaddrAny
	addrlen C.uint32_t
}

// Opcode says which operation op performs.
func (op *Op) Opcode() Opcode { return op.code }

// Sockaddr is the peer address filled by the last successful submission of
// a [PrepAccept] request (nil otherwise).
func (op *Op) Sockaddr() syscall.Sockaddr { return op.peer }

// keep records Go memory the request names; nil (an empty buffer) is skipped.
func (op *Op) keep(p unsafe.Pointer) {
	if p != nil {
		op.refs = append(op.refs, p)
	}
}

// prepared checks a urb_prep_* result (they fail only for a NULL output,
// which cannot happen here, but a failure must not go unnoticed).
func (op *Op) prepared(res C.int32_t) *Op {
	if res < 0 {
		op.fail(int32(res))
	}
	return op
}

// fail makes every submission of op return res without reaching the library.
func (op *Op) fail(res int32) *Op {
	op.errRes = res
	op.err = op.errFor(res)
	return op
}

func (op *Op) errFor(res int32) error {
	if op.code == OpOpenat || op.code == OpStatx || op.code == OpGetxattr || op.code == OpSetxattr {
		return pathErr(op.code.String(), op.path, res)
	}
	return syscallErr(op.code.String(), res)
}

// pin pins the Go memory op names for the duration of one submission.
func (op *Op) pin(p *runtime.Pinner) {
	for _, r := range op.refs {
		p.Pin(r)
	}
}

// beforeSubmit resets in/out arguments a previous submission changed.
func (op *Op) beforeSubmit() {
	if op.accept != nil {
		op.accept.addrlen = C.uint32_t(unsafe.Sizeof(op.accept.addr))
	}
}

// complete turns the result into the error, and delivers what the kernel
// filled in for successful accept and statx requests.
func (op *Op) complete(res int32) error {
	if res < 0 {
		return op.errFor(res)
	}
	switch op.code {
	case OpAccept:
		op.peer = sockaddrFromRaw(&op.accept.addr, uint32(op.accept.addrlen))
	case OpStatx:
		if op.statOut != nil {
			*op.statOut = *statFromC(op.cstat)
		}
	}
	return nil
}

// PrepNop builds a request that does nothing (urb_prep_nop).
func PrepNop() *Op {
	op := &Op{code: OpNop}
	return op.prepared(C.urb_prep_nop(&op.raw))
}

// PrepRead builds a read of up to len(p) bytes at off or, with
// [OffsetCurrent], the file position (urb_prep_read). In a chain, a read of
// fewer than len(p) bytes breaks the chain.
func PrepRead(fd int, p []byte, off int64) *Op {
	op := &Op{code: OpRead}
	coff, ok := offsetArg(off)
	if !ok {
		return op.fail(negEINVAL)
	}
	p = p[:min(len(p), maxRW)]
	op.keep(bufPtr(p))
	return op.prepared(C.gourb_prep_read(C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), coff, &op.raw))
}

// PrepWrite builds a write of p at off or, with [OffsetCurrent], the file
// position (urb_prep_write). In a chain, a short write breaks the chain.
func PrepWrite(fd int, p []byte, off int64) *Op {
	op := &Op{code: OpWrite}
	coff, ok := offsetArg(off)
	if !ok {
		return op.fail(negEINVAL)
	}
	p = p[:min(len(p), maxRW)]
	op.keep(bufPtr(p))
	return op.prepared(C.gourb_prep_write(C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), coff, &op.raw))
}

// PrepReadv builds a scatter read into bufs (urb_prep_readv).
func PrepReadv(fd int, bufs [][]byte, off int64) *Op {
	return prepVectored(OpReadv, fd, bufs, off)
}

// PrepWritev builds a gather write of bufs (urb_prep_writev).
func PrepWritev(fd int, bufs [][]byte, off int64) *Op {
	return prepVectored(OpWritev, fd, bufs, off)
}

func prepVectored(code Opcode, fd int, bufs [][]byte, off int64) *Op {
	op := &Op{code: code}
	coff, ok := offsetArg(off)
	if !ok {
		return op.fail(negEINVAL)
	}
	// The iovec array is a direct argument of the prep call, so the
	// buffers it points to must be pinned during that call too.
	var pin runtime.Pinner
	defer pin.Unpin()
	iov := iovecs(bufs, &pin)
	if len(iov) > 0 {
		op.keep(unsafe.Pointer(&iov[0]))
	}
	for _, b := range bufs {
		op.keep(bufPtr(b))
	}
	if code == OpReadv {
		return op.prepared(C.urb_prep_readv(C.int32_t(fd), iovecPtr(iov), C.uint32_t(len(iov)), coff, &op.raw))
	}
	return op.prepared(C.urb_prep_writev(C.int32_t(fd), iovecPtr(iov), C.uint32_t(len(iov)), coff, &op.raw))
}

// PrepFsync builds an fsync, or an fdatasync with datasync (urb_prep_fsync).
func PrepFsync(fd int, datasync bool) *Op {
	op := &Op{code: OpFsync}
	flags := C.uint32_t(0)
	if datasync {
		flags = C.URB_FSYNC_DATASYNC
	}
	return op.prepared(C.urb_prep_fsync(C.int32_t(fd), flags, &op.raw))
}

// PrepOpenat builds an open of path relative to dirfd (urb_prep_openat);
// the result is the new descriptor, which the caller owns.
func PrepOpenat(dirfd int, path string, flags int, mode uint32) *Op {
	op := &Op{code: OpOpenat, path: path}
	cpath, err := syscall.BytePtrFromString(path)
	if err != nil {
		return op.fail(negEINVAL)
	}
	op.keep(unsafe.Pointer(cpath))
	return op.prepared(C.urb_prep_openat(C.int32_t(dirfd), (*C.char)(unsafe.Pointer(cpath)), C.int32_t(flags), C.uint32_t(mode), &op.raw))
}

// PrepClose builds a close of fd (urb_prep_close).
func PrepClose(fd int) *Op {
	op := &Op{code: OpClose}
	return op.prepared(C.urb_prep_close(C.int32_t(fd), &op.raw))
}

// PrepStatx builds a statx of path relative to dirfd (urb_prep_statx); each
// successful submission stores the result in *out (out may be nil).
func PrepStatx(dirfd int, path string, flags int, mask uint32, out *Stat) *Op {
	op := &Op{code: OpStatx, path: path, statOut: out, cstat: new(C.struct_statx)}
	cpath, err := syscall.BytePtrFromString(path)
	if err != nil {
		return op.fail(negEINVAL)
	}
	op.keep(unsafe.Pointer(cpath))
	op.keep(unsafe.Pointer(op.cstat))
	return op.prepared(C.urb_prep_statx(C.int32_t(dirfd), (*C.char)(unsafe.Pointer(cpath)), C.int32_t(flags), C.uint32_t(mask), unsafe.Pointer(op.cstat), &op.raw))
}

// PrepRecv builds a receive of up to len(p) bytes (urb_prep_recv).
func PrepRecv(fd int, p []byte, flags int) *Op {
	op := &Op{code: OpRecv}
	p = p[:min(len(p), maxRW)]
	op.keep(bufPtr(p))
	return op.prepared(C.gourb_prep_recv(C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), C.int32_t(flags), &op.raw))
}

// PrepSend builds a send of p (urb_prep_send; MSG_NOSIGNAL is always added).
func PrepSend(fd int, p []byte, flags int) *Op {
	op := &Op{code: OpSend}
	p = p[:min(len(p), maxRW)]
	op.keep(bufPtr(p))
	return op.prepared(C.gourb_prep_send(C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), C.int32_t(flags), &op.raw))
}

// PrepAccept builds an accept on listening socket fd (urb_prep_accept); the
// result is the new socket and [Op.Sockaddr] the peer's address.
func PrepAccept(fd int, flags int) *Op {
	op := &Op{code: OpAccept, accept: new(acceptBuf)}
	op.keep(unsafe.Pointer(op.accept))
	op.beforeSubmit()
	return op.prepared(C.urb_prep_accept(C.int32_t(fd), unsafe.Pointer(&op.accept.addr), &op.accept.addrlen, C.int32_t(flags), &op.raw))
}

// PrepConnect builds a connect of socket fd to sa (urb_prep_connect).
func PrepConnect(fd int, sa syscall.Sockaddr) *Op {
	op := &Op{code: OpConnect}
	raw, n, err := rawSockaddr(sa)
	if err != nil {
		return op.fail(negEINVAL)
	}
	op.keep(unsafe.Pointer(raw))
	return op.prepared(C.urb_prep_connect(C.int32_t(fd), unsafe.Pointer(raw), C.uint32_t(n), &op.raw))
}

// PrepShutdown builds a shutdown of part of a connection (urb_prep_shutdown).
func PrepShutdown(fd, how int) *Op {
	op := &Op{code: OpShutdown}
	return op.prepared(C.urb_prep_shutdown(C.int32_t(fd), C.int32_t(how), &op.raw))
}

// PrepPoll builds a one-shot poll for events on fd (urb_prep_poll); the
// result is the ready events.
func PrepPoll(fd int, events uint32) *Op {
	op := &Op{code: OpPoll}
	return op.prepared(C.urb_prep_poll(C.int32_t(fd), C.uint32_t(events), &op.raw))
}

// PrepTimeout builds a sleep of d (urb_prep_timeout); it completes with 0
// once d has passed. In a chain, a finished sleep lets the chain go on, so
// "sleep, then write" works. A negative d is treated as 0.
func PrepTimeout(d time.Duration) *Op {
	op := &Op{code: OpTimeout}
	return op.prepared(C.urb_prep_timeout(C.uint64_t(max(d, 0)), &op.raw))
}

// Submit performs op and returns its CQE-style result: >= 0 on success (bytes
// transferred, a new descriptor, ready events, ...), -errno on failure, in
// which case err wraps the errno with the operation's name.
func Submit(op *Op) (int32, error) { return submit(op, -1) }

// SubmitTimeout is Submit bounded by d: if op has not completed by then it
// is cancelled and fails with an error wrapping syscall.ETIME. A negative d
// is treated as 0.
func SubmitTimeout(op *Op, d time.Duration) (int32, error) { return submit(op, max(d, 0)) }

// submit performs one request; timeout < 0 means no time limit.
func submit(op *Op, timeout time.Duration) (int32, error) {
	if op == nil {
		return negEINVAL, syscallErr("submit", negEINVAL)
	}
	if op.err != nil {
		return op.errRes, op.err
	}
	op.beforeSubmit()
	var pin runtime.Pinner
	op.pin(&pin)
	var res int32
	if timeout < 0 {
		res = int32(C.urb_submit_blocking(&op.raw))
	} else {
		res = int32(C.urb_submit_blocking_timeout(&op.raw, C.uint64_t(timeout)))
	}
	pin.Unpin()
	return res, op.complete(res)
}

var negECANCELED = -int32(syscall.ECANCELED)

var negEAGAIN = -int32(syscall.EAGAIN)

// SubmitChain performs ops as one linked chain (IOSQE_IO_LINK): each request
// starts only after the previous one succeeded, and a failure (an error, or a
// read or write that moved fewer bytes than asked) cancels the rest, whose
// results are -ECANCELED. results[i] is request i's CQE-style result. err is
// nil when every request succeeded, otherwise a [*ChainError] naming the
// request that broke the chain. A chain has 1 to [ChainMax] requests; when
// one of them cannot be built nothing is submitted, its result holds the
// reason and the others -ECANCELED.
func SubmitChain(ops []*Op) (results []int32, err error) {
	if len(ops) == 0 || len(ops) > ChainMax {
		return nil, syscallErr("chain", negEINVAL)
	}
	results = make([]int32, len(ops))
	for i, op := range ops {
		if op == nil || op.err != nil {
			for j := range results {
				results[j] = negECANCELED
			}
			if op == nil {
				results[i] = negEINVAL
				return results, &ChainError{Index: i, Err: syscallErr("chain", negEINVAL)}
			}
			results[i] = op.errRes
			return results, &ChainError{Index: i, Err: op.err}
		}
	}
	raw := make([]C.urb_op, len(ops))
	var pin runtime.Pinner
	for i, op := range ops {
		op.beforeSubmit()
		op.pin(&pin)
		raw[i] = op.raw
	}
	C.urb_submit_chain_blocking(&raw[0], C.size_t(len(raw)), (*C.int32_t)(unsafe.Pointer(&results[0])))
	pin.Unpin()
	return results, chainResult(ops, results)
}

// chainResult completes every request of a finished chain and names the
// one that broke it: the first failure that is not a cancellation (a
// request refused before submission leaves the ones before it -ECANCELED
// too); all -ECANCELED means the chain itself was cancelled.
func chainResult(ops []*Op, results []int32) (err error) {
	broken := -1
	for i, op := range ops {
		if e := op.complete(results[i]); e != nil {
			if broken < 0 || (results[broken] == negECANCELED && results[i] != negECANCELED) {
				broken = i
				err = &ChainError{Index: i, Err: e}
			}
		}
	}
	return err
}
