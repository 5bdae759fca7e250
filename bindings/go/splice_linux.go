//go:build linux && cgo

package uringbridge

/*
#include "shim.h"
*/
import "C"

import (
	"io"
	"net"
	"os"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
)

// io.Copy without user-space buffers: splice(2) from the source into a
// pipe and from the pipe into the destination, the way package net and
// package os copy between their sockets and files (internal/poll's
// Splice). The methods use it where it helped (BENCHMARKS.md): into a
// regular file, from a socket or pipe — Conn.WriteTo into a file,
// File.ReadFrom of a stream. Into a socket (a file or a socket to a Conn
// or a *net.TCPConn) it did not: on loopback the receiver copies the bytes
// anyway and a 32 KiB buffer was as fast or faster (1.7x the CPU time per
// byte from a file), so Conn has no ReadFrom, File no WriteTo, and
// Conn.WriteTo copies into sockets and pipes through io.Copy's buffer;
// spliceValues still does any pair (the benchmarks measure those sides
// with it). What may take part, on either side:
//
//   - a [*Conn] (its socket must be non-blocking, as it is unless its
//     File's Fd made it blocking);
//   - a [*File] on a regular file (not O_DIRECT; as a destination not
//     O_APPEND, which splice(2) refuses);
//   - an *os.File, *net.TCPConn or *net.UnixConn, or a value of package os
//     or net that is a syscall.Conn (the wrappers io.Copy gets from their
//     own WriteTo and ReadFrom fallbacks), when its descriptor is a
//     regular file (the same conditions), a stream socket or a pipe, the
//     last two non-blocking (in Go's netpoller).
//
// Anything else, a copy between two regular files (copy_file_range(2)
// would be the call for that, not two splices) and a source whose first
// splice says EINVAL or ENOSYS (before any byte moved) is copied with
// io.Copy through a wrapper that hides the method, so io.Copy does not
// come back.
//
// Waiting: every splice is asked not to wait (SPLICE_F_NONBLOCK; the
// sockets and pipes are non-blocking); a source with nothing to read, or a
// destination without room, waits where a Read or Write of it would wait
// (a Conn or a package net or os value in Go's netpoller, with its
// deadlines and Close), then the splice is made again. So SetReadDeadline
// of the source, SetWriteDeadline of the destination and Close of either
// end a copy that waits, as they end a Read or Write.
//
// Who makes the system call: as for a Conn's receives and sends, the
// binding itself (package syscall) on 64-bit Linux, except where a ring
// made with RingOptions.Fallback takes part: then every splice is a
// request of that ring (and on 32-bit architectures of the ring of the
// Conn or File taking part, or the blocking face's urb_splice without
// one). Such a request is awaited without cancelling, as a Conn's tries
// are: with SPLICE_F_NONBLOCK and non-blocking sockets it never waits for
// data or room, only for a regular file's own I/O.
//
// Counts and errors are io.Copy's: the bytes written to the destination,
// nil at the source's end, and otherwise the error of the side that
// failed in the terms of its own Read or Write (a Conn's *net.OpError
// with Op "read" or "write", a splice(2) errno in it as an
// *os.SyscallError named "splice"; a File's *fs.PathError with the errno;
// package os and net values' errors likewise). Bytes taken from the source that
// the destination refused (a pipe's worth at most) are lost with the pipe,
// as io.Copy loses a buffer its Write refused; an *io.LimitedReader's N
// counts them as read, as io.Copy's reads would.

// maxSpliceSize is the most one splice asks to move: the pipes are made
// this large (F_SETPIPE_SZ; the default pipe-max-size), as Go's own.
const maxSpliceSize = 1 << 20

// fSetpipeSz is F_SETPIPE_SZ (the same number on every Linux architecture).
const fSetpipeSz = 0x407

// splicePipe is a pipe of the pool: r and w its ends (both O_NONBLOCK),
// data the bytes in it. A pipe goes back to the pool only empty.
type splicePipe struct {
	fds     [2]int
	data    int
	cleanup runtime.Cleanup
}

// splicePipes keeps pipes between copies, as internal/poll's pool does;
// one the pool drops is closed by its cleanup.
var splicePipes = sync.Pool{New: func() any {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return nil
	}
	// A smaller pipe works too, with more system calls.
	_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, uintptr(fds[0]), fSetpipeSz, maxSpliceSize)
	p := &splicePipe{fds: fds}
	p.cleanup = runtime.AddCleanup(p, closePipe, fds)
	return p
}}

func closePipe(fds [2]int) {
	syscall.Close(fds[0])
	syscall.Close(fds[1])
}

func getPipe() *splicePipe {
	p, _ := splicePipes.Get().(*splicePipe)
	return p
}

// putPipe returns an empty pipe to the pool and closes one that still
// holds bytes (they belong to no one any more).
func putPipe(p *splicePipe) {
	if p.data != 0 {
		p.cleanup.Stop()
		closePipe(p.fds)
		return
	}
	splicePipes.Put(p)
}

// spliceEnd is one side of a copy: exactly one of conn, file, raw.
type spliceEnd struct {
	conn *Conn
	file *File
	raw  syscall.RawConn
	// wrap turns an error of raw's side into what that value's own Read
	// or Write would report.
	wrap func(op string, err error) error
	// ring is the ring of conn, or file's (nil on the blocking face).
	ring *ring
	// regular: a regular file. A copy between two is left to io.Copy
	// (copy_file_range(2) would be the call for it, not two splices).
	regular bool
}

// run calls fn with the side's descriptor, again after waiting for
// readiness (readable, or writable when write) each time fn returns
// false; the error is the wait's, in the side's own terms.
func (e *spliceEnd) run(write bool, fn func(fd uintptr) bool) error {
	op := "read"
	if write {
		op = "write"
	}
	switch {
	case e.conn != nil:
		c := e.conn
		x, wait := &c.rd, c.raw.Read
		if write {
			x, wait = &c.wr, c.raw.Write
		}
		// As Read and Write: one transfer per direction at a time.
		x.mu.Lock()
		err := wait(fn)
		x.mu.Unlock()
		runtime.KeepAlive(c)
		if err != nil {
			return c.opErr(op, c.waitErr(err))
		}
		return nil
	case e.file != nil:
		f := e.file
		fd, err := f.h.acquire()
		if err != nil {
			return asPathError(op, f.name, err)
		}
		// A regular file never waits for readiness; the pipe is empty
		// before a drain and holds the bytes before a pump, so fn only
		// returns false if the kernel says EAGAIN anyway, and is made
		// again (as internal/poll's splice does with a file).
		for !fn(uintptr(fd)) {
			runtime.Gosched()
		}
		f.h.release()
		runtime.KeepAlive(f)
		return nil
	}
	var err error
	if write {
		err = e.raw.Write(fn)
	} else {
		err = e.raw.Read(fn)
	}
	if err != nil {
		return e.wrap(op, err)
	}
	return nil
}

// fail puts an error of this side's splice in the side's own terms.
func (e *spliceEnd) fail(op string, err error) error {
	switch {
	case e.conn != nil:
		return e.conn.opErr(op, err)
	case e.file != nil:
		return asPathError(op, e.file.name, err)
	}
	return e.wrap(op, err)
}

// spliceReader is r as a splice source (unwrapping an *io.LimitedReader:
// lr is then it, remain its N), or ok false.
func spliceReader(r io.Reader) (src spliceEnd, lr *io.LimitedReader, remain int64, ok bool) {
	remain = 1<<63 - 1
	if l, isLR := r.(*io.LimitedReader); isLR {
		lr, remain, r = l, l.N, l.R
	}
	src, ok = spliceSide(r, false)
	return src, lr, remain, ok
}

// spliceSide is v as a splice source or (write) destination, if it can be
// one (see the comment at the top of this file).
func spliceSide(v any, write bool) (spliceEnd, bool) {
	switch v := v.(type) {
	case *Conn:
		if v == nil || !v.spliceable() {
			return spliceEnd{}, false
		}
		return spliceEnd{conn: v, ring: v.rg.r}, true
	case *File:
		if v == nil || (write && v.append) || !v.spliceable(write) {
			return spliceEnd{}, false
		}
		e := spliceEnd{file: v, regular: true}
		if v.ring != nil {
			e.ring = v.ring.r
		}
		return e, true
	}
	return stdSide(v, write)
}

// spliceable reports whether c's socket is non-blocking (a splice of a
// blocking socket would wait in the kernel, out of reach of deadlines and
// Close); false once c is closed.
func (c *Conn) spliceable() bool {
	ok := false
	if c.raw.Control(func(fd uintptr) { ok = nonblockingFd(int(fd)) }) != nil {
		return false
	}
	return ok
}

// spliceable reports whether f is a regular file splice(2) takes as it
// is: not O_DIRECT, and as a destination (write) not O_APPEND.
func (f *File) spliceable(write bool) bool {
	fd, err := f.h.acquire()
	if err != nil {
		return false
	}
	defer f.h.release()
	return regularFd(fd, write)
}

// regularFd: fd is a regular file, not O_DIRECT, and with write not
// O_APPEND.
func regularFd(fd int, write bool) bool {
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return false
	}
	fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	if e != 0 || fl&syscall.O_DIRECT != 0 || (write && fl&syscall.O_APPEND != 0) {
		return false
	}
	return true
}

func nonblockingFd(fd int) bool {
	fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	return e == 0 && fl&syscall.O_NONBLOCK != 0
}

// stdSide is an *os.File, *net.TCPConn, *net.UnixConn or another
// syscall.Conn of package os or net (their io.Copy wrappers, such as the
// one *os.File's WriteTo passes on) as a splice side: a regular file
// (as regularFd says), or a non-blocking stream socket or pipe. Values of
// other packages are not taken: one that embeds a connection may change
// the bytes its Read returns.
func stdSide(v any, write bool) (spliceEnd, bool) {
	sc, ok := v.(syscall.Conn)
	if !ok {
		return spliceEnd{}, false
	}
	switch v.(type) {
	case *os.File, *net.TCPConn, *net.UnixConn:
	default:
		t := reflect.TypeOf(v)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if p := t.PkgPath(); p != "os" && p != "net" {
			return spliceEnd{}, false
		}
	}
	rc, err := sc.SyscallConn()
	if err != nil || rc == nil {
		return spliceEnd{}, false
	}
	usable, regular := false, false
	if rc.Control(func(fd uintptr) { usable, regular = streamFd(int(fd), write) }) != nil || !usable {
		return spliceEnd{}, false
	}
	e := spliceEnd{raw: rc, regular: regular}
	switch v := v.(type) {
	case net.Conn:
		e.wrap = func(op string, err error) error {
			if oe, ok := err.(*net.OpError); ok {
				// The RawConn's own error (a wait's, Op raw-read or
				// raw-write): as the value's Read or Write says it.
				named := *oe
				named.Op = op
				return &named
			}
			la := v.LocalAddr()
			network := ""
			if la != nil {
				network = la.Network()
			}
			return &net.OpError{Op: op, Net: network, Source: la, Addr: v.RemoteAddr(), Err: err}
		}
	case interface{ Name() string }:
		e.wrap = func(op string, err error) error {
			if _, ok := err.(*os.PathError); ok {
				return err
			}
			return &os.PathError{Op: op, Path: v.Name(), Err: err}
		}
	default:
		e.wrap = func(_ string, err error) error { return err }
	}
	return e, true
}

// streamFd: fd is a regular file as regularFd says (then regular), or a
// non-blocking stream socket or pipe.
func streamFd(fd int, write bool) (ok, regular bool) {
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil {
		return false, false
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return regularFd(fd, write), true
	case syscall.S_IFSOCK:
		typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
		return err == nil && typ == syscall.SOCK_STREAM && nonblockingFd(fd), false
	case syscall.S_IFIFO:
		return nonblockingFd(fd), false
	}
	return false, false
}

// splicer makes the splices of one copy: the binding itself (native), or
// lib's requests, or the blocking face's urb_splice (lib nil, not native).
// rings are the rings of the two sides (nil for none): once one is closed
// the copy fails with ErrRingClosed, as the side's Read or Write would.
type splicer struct {
	lib    *ring
	native bool
	rings  [2]*ring
}

func newSplicer(a, b *spliceEnd) splicer {
	lib := a.ring
	if lib == nil || (b.ring != nil && b.ring.fallback) {
		lib = b.ring
	}
	return splicer{lib: lib, native: nativeTries && !spliceLibrary.Load() && (lib == nil || !lib.fallback), rings: [2]*ring{a.ring, b.ring}}
}

// spliceLibrary set makes the library make every splice, also where the
// binding would (the tests turn it on to run the library's paths).
var spliceLibrary atomic.Bool

// splicedBytes counts what copies moved by splice, librarySplices the
// splices the library made (for the tests).
var splicedBytes, librarySplices atomic.Int64

// splice moves up to n bytes from in to out without waiting for a pipe
// or a non-blocking socket: the CQE-style result, or why it was not made.
func (sp splicer) splice(in, out, n int) (int32, error) {
	if sp.native {
		for _, r := range sp.rings {
			if r != nil && r.shut.Load() {
				return 0, ErrRingClosed
			}
		}
		for {
			m, err := syscall.Splice(in, nil, out, nil, n, SpliceFNonblock)
			if err == nil {
				return int32(m), nil
			}
			if err == syscall.EINTR {
				continue
			}
			if errno, ok := err.(syscall.Errno); ok {
				return -int32(errno), nil
			}
			return 0, err
		}
	}
	librarySplices.Add(1)
	if sp.lib != nil {
		return sp.lib.spliceOnce(in, out, n)
	}
	none := ^C.uint64_t(0) // URB_OFFSET_CURRENT: no offset
	return int32(C.urb_splice(C.int32_t(in), none, C.int32_t(out), none, C.uint32_t(n), C.uint32_t(SpliceFNonblock))), nil
}

// spliceOnce is one splice (with SPLICE_F_NONBLOCK) as a request of the
// ring. What the ring queues is awaited without cancelling: it waits for
// no pipe and no non-blocking socket, only for a regular file's I/O.
func (r *ring) spliceOnce(in, out, n int) (int32, error) {
	if !r.begin() {
		r.end()
		return 0, ErrRingClosed
	}
	s := r.alloc()
	kind, val := unpackTry(C.gourb_try_splice(r.ptr, C.int32_t(in), C.int32_t(out), C.uint32_t(n),
		C.uint32_t(SpliceFNonblock), C.uint64_t(s.token.Load())))
	r.end()
	switch kind {
	case tryDone:
		r.release(s, true)
		return val, nil
	case tryRefused:
		r.release(s, true)
		return 0, syscallErr("submit", val)
	}
	c := <-s.ch
	r.release(s, false)
	if c.res == negECANCELED && r.isClosed() {
		return 0, ErrRingClosed
	}
	return c.res, nil
}

// spliceCopy copies up to remain bytes from src to dst through a pipe of
// the pool, as io.Copy would: written is what reached dst, read what was
// taken from src (written, plus what a failing dst left in the pipe).
// handled false: nothing moved, the caller copies some other way.
func spliceCopy(dst, src *spliceEnd, remain int64) (written, read int64, handled bool, err error) {
	defer func() { splicedBytes.Add(written) }()
	if remain <= 0 {
		return 0, 0, true, nil
	}
	p := getPipe()
	if p == nil {
		return 0, 0, false, nil // no pipe to be had: the copy through a buffer
	}
	defer putPipe(p)
	sp := newSplicer(dst, src)
	for remain > 0 {
		n, unsupported, err := sp.drain(src, p.fds[1], int(min(remain, maxSpliceSize)))
		if unsupported && !handled {
			return 0, 0, false, nil
		}
		handled = true
		if err != nil {
			return written, read, true, err
		}
		if n == 0 {
			break // the source's end
		}
		p.data += n
		read += int64(n)
		m, err := sp.pump(dst, p.fds[0], n)
		p.data -= m
		written += int64(m)
		remain -= int64(m)
		if err != nil {
			return written, read, true, err
		}
	}
	return written, read, true, nil
}

// drain splices up to max bytes from src into the empty pipe pw: 0 at the
// source's end. unsupported: src refused splice(2) itself (EINVAL,
// ENOSYS), having moved nothing.
func (sp splicer) drain(src *spliceEnd, pw, max int) (n int, unsupported bool, err error) {
	var res int32
	var refused error
	werr := src.run(false, func(fd uintptr) bool {
		res, refused = sp.splice(int(fd), pw, max)
		// The pipe is empty: EAGAIN is the source's.
		return refused != nil || res != negEAGAIN
	})
	switch {
	case werr != nil:
		return 0, false, werr
	case refused != nil:
		return 0, false, src.fail("read", refused)
	case res == -int32(syscall.EINVAL) || res == -int32(syscall.ENOSYS):
		return 0, true, src.fail("read", syscallErr("splice", res))
	case res < 0:
		return 0, false, src.fail("read", syscallErr("splice", res))
	}
	return int(res), false, nil
}

// pump splices all inPipe bytes of the pipe pr into dst, waiting for room
// as dst's Write would: written is how many got there.
func (sp splicer) pump(dst *spliceEnd, pr, inPipe int) (written int, err error) {
	var res int32
	var refused error
	werr := dst.run(true, func(fd uintptr) bool {
		for written < inPipe {
			res, refused = sp.splice(pr, int(fd), inPipe-written)
			switch {
			case refused != nil:
				return true
			case res == negEAGAIN:
				return false // the pipe holds the bytes: EAGAIN is dst's
			case res <= 0:
				return true
			}
			written += int(res)
		}
		return true
	})
	switch {
	case werr != nil:
		return written, werr
	case refused != nil:
		return written, dst.fail("write", refused)
	case written < inPipe && res < 0:
		return written, dst.fail("write", syscallErr("splice", res))
	case written < inPipe:
		// The pipe holds bytes but splice moved none: cannot happen.
		return written, dst.fail("write", io.ErrShortWrite)
	}
	return written, nil
}

// maySplice says from v's type alone whether v could be a splice side
// (most readers and writers cannot: then no system call is made).
func maySplice(v any) bool {
	switch v.(type) {
	case *Conn, *File, syscall.Conn:
		return true
	}
	return false
}

// spliceValues copies r (or the reader of an *io.LimitedReader r) to w by
// splice when both can be spliced (see the top of this file) and want
// agrees (nil: any pair), and reports whether it did (handled false:
// nothing moved, the caller copies another way). The binding's methods
// use it for the directions where splice helps; the benchmarks for all.
func spliceValues(w io.Writer, r io.Reader, want func(dst, src *spliceEnd) bool) (int64, bool, error) {
	inner := r
	if lr, ok := r.(*io.LimitedReader); ok {
		inner = lr.R
	}
	if !maySplice(w) || !maySplice(inner) {
		return 0, false, nil
	}
	dst, ok := spliceSide(w, true)
	if !ok {
		return 0, false, nil
	}
	src, lr, remain, ok := spliceReader(r)
	if !ok || (dst.regular && src.regular) || (want != nil && !want(&dst, &src)) {
		return 0, false, nil
	}
	n, read, handled, err := spliceCopy(&dst, &src, remain)
	if lr != nil {
		lr.N -= read
	}
	return n, handled, err
}

// WriteTo copies from c until its end (the peer's shutdown) or an error
// to w, as io.Copy(w, c) would. When w is a regular file — a [*File] or an
// *os.File, not O_APPEND or O_DIRECT — the bytes are spliced (splice(2)
// from the socket into a pipe and from the pipe into the file, no
// user-space buffer: 2.6x the throughput of io.Copy's buffer at a third
// of the CPU time per byte, BENCHMARKS.md); any other w goes through
// io.Copy's buffer (into a socket or pipe splice did not help: see
// BENCHMARKS.md).
// The count is the bytes written to w, and the error that of the side
// that failed as its own Read or Write reports it (c's a *net.OpError
// with Op "read", the errno in an *os.SyscallError named "splice"); c's
// read deadline and Close end a copy that waits for data, as they end a
// Read.
func (c *Conn) WriteTo(w io.Writer) (int64, error) {
	toFile := func(dst, _ *spliceEnd) bool { return dst.regular }
	if n, handled, err := spliceValues(w, c, toFile); handled {
		return n, err
	}
	return io.Copy(w, connWithoutWriteTo{Conn: c})
}

// connWithoutWriteTo is a Conn without WriteTo, for io.Copy (the method is
// ambiguous, so it has none).
type connWithoutWriteTo struct {
	noWriteTo
	*Conn
}

func (f *File) spliceReadFrom(r io.Reader) (int64, bool, error) {
	return spliceValues(f, r, nil)
}
