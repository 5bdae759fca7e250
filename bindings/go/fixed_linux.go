//go:build linux && cgo

package uringbridge

/*
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>
#include "uringbridge.h"

// Buffers cross as integers, as in shim.h (see there why).
static inline int32_t gourb_prep_read_fixed(int32_t fd, uintptr_t buf, uint32_t len, uint64_t off,
                                            uint16_t index, urb_op *out) {
	return urb_prep_read_fixed(fd, (void *)buf, len, off, index, out);
}
static inline int32_t gourb_prep_write_fixed(int32_t fd, uintptr_t buf, uint32_t len, uint64_t off,
                                             uint16_t index, urb_op *out) {
	return urb_prep_write_fixed(fd, (const void *)buf, len, off, index, out);
}
static inline int32_t gourb_prep_send_zc(int32_t fd, uintptr_t buf, uint32_t len, int32_t flags,
                                         urb_op *out) {
	return urb_prep_send_zc(fd, (const void *)buf, len, flags, out);
}
static inline int32_t gourb_prep_sendmsg_zc(int32_t fd, uintptr_t msg, int32_t flags, urb_op *out) {
	return urb_prep_sendmsg_zc(fd, (const void *)msg, flags, out);
}
// The iovec array is built in C memory from the buffers' addresses.
static inline int32_t gourb_register_buffers(const urb_ring *ring, const uintptr_t *bases,
                                             const size_t *lens, uint32_t n) {
	struct iovec *iov = calloc(n ? n : 1, sizeof *iov);
	if (!iov) return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		iov[i].iov_base = (void *)bases[i];
		iov[i].iov_len = lens[i];
	}
	int32_t res = urb_ring_register_buffers(ring, iov, n);
	free(iov);
	return res;
}
*/
import "C"

import (
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// registeredBuffers holds, per ring, the pins of the Go memory registered
// with it: the kernel (or the fallback engine) reads and writes it until it
// is unregistered, long after the call that registered it.
var registeredBuffers sync.Map // *ring -> *runtime.Pinner

// maxRegisteredBuffers is the kernel's limit (IORING_MAX_REG_BUFFERS).
const maxRegisteredBuffers = 1 << 14

// RegisterBuffers registers bufs with the ring for [PrepReadFixed] and
// [PrepWriteFixed], whose index names one of them (urb_ring_register_buffers:
// on io_uring the kernel pins the pages once instead of per request). The
// memory is pinned for the garbage collector until [Ring.UnregisterBuffers]
// succeeds or the ring is closed; the caller must not let a request use it
// after that. An empty slice is an empty slot. The errors are the kernel's
// on both engines: EBUSY (already registered), EINVAL (no buffers, more than
// 16384), EFAULT (a buffer above 1 GiB), and EACCES on a ring made with an
// allow-list.
func (rg *Ring) RegisterBuffers(bufs [][]byte) error {
	if len(bufs) == 0 || len(bufs) > maxRegisteredBuffers {
		return syscallErr("urb_ring_register_buffers", negEINVAL)
	}
	r := rg.r
	if !r.begin() {
		r.end()
		return ErrRingClosed
	}
	defer r.end()
	pin := new(runtime.Pinner)
	bases := make([]C.uintptr_t, len(bufs))
	lens := make([]C.size_t, len(bufs))
	for i, b := range bufs {
		if p := bufPtr(b); p != nil {
			pin.Pin(p)
			bases[i] = C.uintptr_t(uintptr(p))
			lens[i] = C.size_t(len(b))
		}
	}
	res := int32(C.gourb_register_buffers(r.ptr, &bases[0], &lens[0], C.uint32_t(len(bufs))))
	runtime.KeepAlive(rg)
	if res < 0 {
		pin.Unpin()
		return syscallErr("urb_ring_register_buffers", res)
	}
	registeredBuffers.Store(r, pin)
	return nil
}

// UnregisterBuffers unregisters the ring's buffers and unpins them
// (urb_ring_unregister_buffers). EBUSY while a request using them is in
// flight, ENXIO when none are registered.
func (rg *Ring) UnregisterBuffers() error {
	r := rg.r
	if !r.begin() {
		r.end()
		return ErrRingClosed
	}
	defer r.end()
	res := int32(C.urb_ring_unregister_buffers(r.ptr))
	runtime.KeepAlive(rg)
	if res < 0 {
		return syscallErr("urb_ring_unregister_buffers", res)
	}
	unpinRegistered(r)
	return nil
}

// unpinRegistered releases what RegisterBuffers pinned for r (after the
// library let go of it: unregistered, or the ring freed).
func unpinRegistered(r *ring) {
	if pin, ok := registeredBuffers.LoadAndDelete(r); ok {
		pin.(*runtime.Pinner).Unpin()
	}
}

// RegisterFiles registers descriptors with the ring (urb_ring_register_files):
// an Op marked with [Op.FixedFile] names fds[fd] by its index. The ring
// holds its own reference to each file, so closing a descriptor after
// registering it leaves the registered file usable; -1 is an empty slot.
// Errors as the kernel gives them, on both engines: EBUSY, EINVAL (none),
// EBADF (a descriptor that is not open), EMFILE.
func (rg *Ring) RegisterFiles(fds []int) error {
	r := rg.r
	if !r.begin() {
		r.end()
		return ErrRingClosed
	}
	defer r.end()
	cfds := make([]C.int32_t, max(len(fds), 1))
	for i, fd := range fds {
		cfds[i] = C.int32_t(fd)
	}
	res := int32(C.urb_ring_register_files(r.ptr, &cfds[0], C.uint32_t(len(fds))))
	runtime.KeepAlive(rg)
	if res < 0 {
		return syscallErr("urb_ring_register_files", res)
	}
	return nil
}

// UnregisterFiles drops the ring's registered files
// (urb_ring_unregister_files). EBUSY while a request using them is in
// flight, ENXIO when none are registered.
func (rg *Ring) UnregisterFiles() error {
	r := rg.r
	if !r.begin() {
		r.end()
		return ErrRingClosed
	}
	defer r.end()
	res := int32(C.urb_ring_unregister_files(r.ptr))
	runtime.KeepAlive(rg)
	if res < 0 {
		return syscallErr("urb_ring_unregister_files", res)
	}
	return nil
}

// FixedFile marks op's descriptor as an index into the files registered
// with [Ring.RegisterFiles] (URB_FLAG_FIXED_FILE) and returns op. Only a
// ring performs such a request ([Submit] fails with EOPNOTSUPP); an
// operation without a descriptor, or close, fails with EINVAL; an index
// with no file fails with EBADF.
func (op *Op) FixedFile() *Op {
	op.raw.flags |= C.URB_FLAG_FIXED_FILE
	return op
}

// PrepReadFixed builds a read of up to len(p) bytes at off into p, which
// must lie inside the buffer registered at index (urb_prep_read_fixed;
// otherwise the request fails with EFAULT). Rings only: [Submit] fails
// with EOPNOTSUPP.
func PrepReadFixed(fd int, p []byte, off int64, index int) *Op {
	op := &Op{code: OpReadFixed}
	coff, ok := offsetArg(off)
	if !ok || index < 0 || index >= maxRegisteredBuffers {
		return op.fail(negEINVAL)
	}
	p = p[:min(len(p), maxRW)]
	op.keep(bufPtr(p))
	return op.prepared(C.gourb_prep_read_fixed(C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), coff,
		C.uint16_t(index), &op.raw))
}

// PrepWriteFixed builds a write of p at off from the buffer registered at
// index (urb_prep_write_fixed), as [PrepReadFixed].
func PrepWriteFixed(fd int, p []byte, off int64, index int) *Op {
	op := &Op{code: OpWriteFixed}
	coff, ok := offsetArg(off)
	if !ok || index < 0 || index >= maxRegisteredBuffers {
		return op.fail(negEINVAL)
	}
	p = p[:min(len(p), maxRW)]
	op.keep(bufPtr(p))
	return op.prepared(C.gourb_prep_write_fixed(C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), coff,
		C.uint16_t(index), &op.raw))
}

// PrepSendZc builds a zero-copy send of p (urb_prep_send_zc): the request
// completes once, when the kernel no longer needs p, with the send's
// result. TCP and UDP sockets only (EOPNOTSUPP elsewhere); rings only.
func PrepSendZc(fd int, p []byte, flags int) *Op {
	op := &Op{code: OpSendZc}
	p = p[:min(len(p), maxRW)]
	op.keep(bufPtr(p))
	return op.prepared(C.gourb_prep_send_zc(C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), C.int32_t(flags), &op.raw))
}

// zcMsg is the msghdr of a [PrepSendmsgZc] request with its one iovec, in
// Go memory the request keeps (and each submission pins: hdr points to
// iov, and both to the caller's buffers).
type zcMsg struct {
	hdr syscall.Msghdr
	iov syscall.Iovec
}

// PrepSendmsgZc builds a zero-copy sendmsg (urb_prep_sendmsg_zc) of p with
// the ancillary data oob to the address to (nil on a connected socket), as
// syscall.SendmsgN sends them; MSG_NOSIGNAL is always added. The request
// completes once, when the kernel no longer needs p and oob, with the
// bytes sent (of p; oob is all or nothing). A to of an unknown type is
// EINVAL. Rings only ([Submit] fails with EOPNOTSUPP); the fallback engine
// performs a plain sendmsg(2) with the same result.
func PrepSendmsgZc(fd int, p, oob []byte, to syscall.Sockaddr, flags int) *Op {
	op := &Op{code: OpSendmsgZc}
	m := new(zcMsg)
	if to != nil {
		raw, n, err := rawSockaddr(to)
		if err != nil {
			return op.fail(negEINVAL)
		}
		m.hdr.Name = (*byte)(unsafe.Pointer(raw))
		m.hdr.Namelen = n
		op.keep(unsafe.Pointer(raw))
	}
	p = p[:min(len(p), maxRW)]
	if len(p) > 0 {
		m.iov.Base = &p[0]
		m.iov.SetLen(len(p))
		m.hdr.Iov = &m.iov
		m.hdr.Iovlen = 1
		op.keep(unsafe.Pointer(&p[0]))
	}
	if len(oob) > 0 {
		m.hdr.Control = &oob[0]
		m.hdr.SetControllen(len(oob))
		op.keep(unsafe.Pointer(&oob[0]))
	}
	op.keep(unsafe.Pointer(m))
	return op.prepared(C.gourb_prep_sendmsg_zc(C.int32_t(fd), C.uintptr_t(uintptr(unsafe.Pointer(m))), C.int32_t(flags), &op.raw))
}
