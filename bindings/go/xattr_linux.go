//go:build linux && cgo

package uringbridge

/*
#include <sys/xattr.h>
#include "shim.h"
// The value buffer crosses as an integer, as the shim's buffers do.
static inline int32_t gourb_getxattr(const char *path, const char *name, uintptr_t value, uint32_t size) {
	return urb_getxattr(path, name, (void *)value, size);
}
static inline int32_t gourb_setxattr(const char *path, const char *name, uintptr_t value, uint32_t size,
                                     int32_t flags) {
	return urb_setxattr(path, name, (const void *)value, size, flags);
}
static inline int32_t gourb_prep_getxattr(const char *path, const char *name, uintptr_t value, uint32_t size,
                                          urb_op *out) {
	return urb_prep_getxattr(path, name, (void *)value, size, out);
}
static inline int32_t gourb_prep_setxattr(const char *path, const char *name, uintptr_t value, uint32_t size,
                                          int32_t flags, urb_op *out) {
	return urb_prep_setxattr(path, name, (const void *)value, size, flags, out);
}
*/
import "C"

import (
	"runtime"
	"syscall"
	"unsafe"
)

var _ = [1]struct{}{}[(XattrCreate^C.XATTR_CREATE)|(XattrReplace^C.XATTR_REPLACE)]

// xattrArgs converts the path and the attribute's name to C strings; ok is
// false when either holds a NUL byte (EINVAL, as package syscall reports).
func xattrArgs(path, name string) (cpath, cname *C.char, ok bool) {
	p, err1 := syscall.BytePtrFromString(path)
	n, err2 := syscall.BytePtrFromString(name)
	if err1 != nil || err2 != nil {
		return nil, nil, false
	}
	return (*C.char)(unsafe.Pointer(p)), (*C.char)(unsafe.Pointer(n)), true
}

// Getxattr reads the extended attribute name of the file at path
// (symbolic links followed) into dest and returns the value's length, as
// getxattr(2) and golang.org/x/sys/unix.Getxattr do: an empty dest asks
// for the length without reading the value. Errors are *os.PathError with
// Op "getxattr" and getxattr(2)'s errno: ENODATA for an attribute the file
// lacks, ERANGE for a dest too small for the value, ENOENT, EOPNOTSUPP
// where the file system has no such attributes; ENOSYS on io_uring before
// 5.19. Only dest's first GiB is used (values are at most 64 KiB).
func Getxattr(path, name string, dest []byte) (int, error) {
	cpath, cname, ok := xattrArgs(path, name)
	if !ok {
		return 0, pathErr("getxattr", path, negEINVAL)
	}
	dest = dest[:min(len(dest), maxRW)]
	res := int32(C.gourb_getxattr(cpath, cname, bufAddr(dest), C.uint32_t(len(dest))))
	runtime.KeepAlive(dest)
	if res < 0 {
		return 0, pathErr("getxattr", path, res)
	}
	return int(res), nil
}

// Setxattr sets the extended attribute name of the file at path to data
// (setxattr(2), golang.org/x/sys/unix.Setxattr): flags 0 (create or
// replace), [XattrCreate] (EEXIST if it exists) or [XattrReplace]
// (ENODATA if it does not); another bit is EINVAL. Errors are
// *os.PathError with Op "setxattr": E2BIG beyond 64 KiB, EOPNOTSUPP,
// EPERM or EACCES, ENOENT; ENOSYS on io_uring before 5.19. More than a
// GiB of data is E2BIG without a system call.
func Setxattr(path, name string, data []byte, flags int) error {
	cpath, cname, ok := xattrArgs(path, name)
	if !ok {
		return pathErr("setxattr", path, negEINVAL)
	}
	if len(data) > maxRW {
		return pathErr("setxattr", path, -int32(syscall.E2BIG))
	}
	res := int32(C.gourb_setxattr(cpath, cname, bufAddr(data), C.uint32_t(len(data)), C.int32_t(flags)))
	runtime.KeepAlive(data)
	if res < 0 {
		return pathErr("setxattr", path, res)
	}
	return nil
}

// PrepGetxattr builds a [Getxattr] request (urb_prep_getxattr): the
// result is the value's length, dest is filled when it completes. In a
// chain it may only be the last request.
func PrepGetxattr(path, name string, dest []byte) *Op {
	op := &Op{code: OpGetxattr, path: path}
	cpath, cname, ok := xattrArgs(path, name)
	if !ok {
		return op.fail(negEINVAL)
	}
	dest = dest[:min(len(dest), maxRW)]
	op.keep(unsafe.Pointer(cpath))
	op.keep(unsafe.Pointer(cname))
	op.keep(bufPtr(dest))
	return op.prepared(C.gourb_prep_getxattr(cpath, cname, bufAddr(dest), C.uint32_t(len(dest)), &op.raw))
}

// PrepSetxattr builds a [Setxattr] request (urb_prep_setxattr); the result
// is 0. In a chain it may only be the last request.
func PrepSetxattr(path, name string, data []byte, flags int) *Op {
	op := &Op{code: OpSetxattr, path: path}
	cpath, cname, ok := xattrArgs(path, name)
	if !ok {
		return op.fail(negEINVAL)
	}
	if len(data) > maxRW {
		return op.fail(-int32(syscall.E2BIG))
	}
	op.keep(unsafe.Pointer(cpath))
	op.keep(unsafe.Pointer(cname))
	op.keep(bufPtr(data))
	return op.prepared(C.gourb_prep_setxattr(cpath, cname, bufAddr(data), C.uint32_t(len(data)), C.int32_t(flags), &op.raw))
}
