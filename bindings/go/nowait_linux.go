//go:build linux && cgo

package uringbridge

import (
	"syscall"
	"unsafe"
)

// The tries on the spot that Go makes itself.
//
// What urb_ring_submit_try does first for a receive, a send, an accept on a
// non-blocking listener and a read at an explicit offset is one plain
// system call on the calling thread (src/tryfirst.rs: recv/send with
// MSG_DONTWAIT, send with MSG_NOSIGNAL; preadv2 with RWF_NOWAIT; accept4 on
// an O_NONBLOCK socket). Making that same call from Go, through package
// syscall, gives the same result without a cgo call and without the
// library's per-call checks (an fcntl(F_GETFL) per read, to leave O_DIRECT
// descriptors alone, which a File instead learns once): the library is
// called only for what has to wait. On a ring made with
// RingOptions.Fallback nothing is tried here, as the library tries nothing
// on such a ring either; and on 32-bit architectures (nativeTries false,
// sysnum_other_linux.go) every try is still the library's.

// recvNow is recv(fd, p, flags|MSG_DONTWAIT) as a CQE-style result
// (-errno on failure), EINTR retried. p is not empty.
func recvNow(fd int, p []byte, flags int) int32 {
	return streamNow(sysRecvfrom, fd, p, flags|syscall.MSG_DONTWAIT)
}

// sendNow is send(fd, p, flags|MSG_DONTWAIT|MSG_NOSIGNAL) as a CQE-style
// result, EINTR retried: a peer that has gone makes it -EPIPE, never a
// SIGPIPE, as every send of the library. p is not empty.
func sendNow(fd int, p []byte, flags int) int32 {
	return streamNow(sysSendto, fd, p, flags|syscall.MSG_DONTWAIT|syscall.MSG_NOSIGNAL)
}

// streamNow is recvfrom/sendto (trap) without an address, as a CQE-style
// result, EINTR retried.
func streamNow(trap uintptr, fd int, p []byte, flags int) int32 {
	for {
		n, _, e := syscall.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)),
			uintptr(flags), 0, 0)
		switch e {
		case 0:
			return int32(n)
		case syscall.EINTR:
			continue
		}
		return -int32(e)
	}
}

// preadNow is preadv2(fd, p, off, RWF_NOWAIT) as a CQE-style result,
// EINTR retried. As in the library, a descriptor without positions (a pipe
// or socket: ESPIPE) is read at its current position instead, which is
// what io_uring does with the offset there. p is not empty.
func preadNow(fd int, p []byte, off int64) int32 {
	iov := syscall.Iovec{Base: &p[0]}
	iov.SetLen(len(p))
	for {
		// 64-bit architectures only (nativeTries): the whole offset in
		// pos_l, pos_h unused.
		n, _, e := syscall.Syscall6(sysPreadv2, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1, uintptr(off), 0, rwfNowait)
		switch {
		case e == 0:
			return int32(n)
		case e == syscall.EINTR:
			continue
		case e == syscall.ESPIPE && off != -1:
			off = -1
			continue
		}
		return -int32(e)
	}
}

// rwfNowait is RWF_NOWAIT from <linux/fs.h>.
const rwfNowait = 0x8

// File kinds for the try of a ring File's reads, learnt once per File
// (readKind): a descriptor's type never changes.
const (
	readKindUnknown    uint32 = iota
	readKindPositional        // a regular file or block device, buffered
	readKindStream            // anything else (pipe, socket, character device), buffered
	readKindLibrary           // O_DIRECT, or not known: the library decides
)

// probeReadKind is what the library's read try would check on every call
// (fcntl for O_DIRECT, fstat for the file type), once.
func probeReadKind(fd int) uint32 {
	if !nativeTries {
		return readKindLibrary
	}
	fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	if e != 0 || fl&syscall.O_DIRECT != 0 {
		return readKindLibrary
	}
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil {
		return readKindLibrary
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFREG, syscall.S_IFBLK:
		return readKindPositional
	}
	return readKindStream
}

// takenRead says whether a non-waiting read's result res (of a read of
// want bytes) is the waiting read's result too, with the library's rule
// (taken_read in src/tryfirst.rs): "would wait" (-EAGAIN, or -EOPNOTSUPP
// from a file system that cannot be asked not to wait) is not, and neither
// is a short count from a regular file or block device (part of the range
// was cached: the whole read goes to the ring, which reads it again). A
// short count from a pipe or socket is what a waiting read returns too.
func takenRead(res int32, want int, kind uint32) bool {
	switch {
	case res == negEAGAIN || res == -int32(syscall.EOPNOTSUPP):
		return false
	case res > 0 && int(res) < want && kind == readKindPositional:
		return false
	}
	return true
}
