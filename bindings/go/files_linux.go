//go:build linux && cgo

package uringbridge

/*
#define _GNU_SOURCE
#include <fcntl.h>
#include "shim.h"
*/
import "C"

import (
	"os"
	"syscall"
	"unsafe"
)

var _ = [1]struct{}{}[(AtSymlinkFollow^C.AT_SYMLINK_FOLLOW)|(FallocKeepSize^C.FALLOC_FL_KEEP_SIZE)|
	(FallocPunchHole^C.FALLOC_FL_PUNCH_HOLE)|(FallocZeroRange^C.FALLOC_FL_ZERO_RANGE)|
	(FadvNormal^C.POSIX_FADV_NORMAL)|(FadvRandom^C.POSIX_FADV_RANDOM)|
	(FadvSequential^C.POSIX_FADV_SEQUENTIAL)|(FadvWillneed^C.POSIX_FADV_WILLNEED)|
	(FadvDontneed^C.POSIX_FADV_DONTNEED)|(FadvNoreuse^C.POSIX_FADV_NOREUSE)|
	(SyncFileRangeWaitBefore^C.SYNC_FILE_RANGE_WAIT_BEFORE)|(SyncFileRangeWrite^C.SYNC_FILE_RANGE_WRITE)|
	(SyncFileRangeWaitAfter^C.SYNC_FILE_RANGE_WAIT_AFTER)|(SpliceFMove^C.SPLICE_F_MOVE)|
	(SpliceFNonblock^C.SPLICE_F_NONBLOCK)|(SpliceFMore^C.SPLICE_F_MORE)|(SpliceFGift^C.SPLICE_F_GIFT)]

// Symlinkat creates the symbolic link linkpath (relative to newdirfd)
// holding target, which is not resolved. Errors are *os.LinkError with Op
// "symlinkat" and symlinkat(2)'s errno; ENOSYS where the kernel's io_uring
// lacks the operation (before 5.15).
func Symlinkat(target string, newdirfd int, linkpath string) error {
	ct, err1 := syscall.BytePtrFromString(target)
	cl, err2 := syscall.BytePtrFromString(linkpath)
	if err1 != nil || err2 != nil {
		return &os.LinkError{Op: "symlinkat", Old: target, New: linkpath, Err: syscall.EINVAL}
	}
	res := int32(C.urb_symlinkat((*C.char)(unsafe.Pointer(ct)), C.int32_t(newdirfd), (*C.char)(unsafe.Pointer(cl))))
	if res < 0 {
		return &os.LinkError{Op: "symlinkat", Old: target, New: linkpath, Err: syscall.Errno(-res)}
	}
	return nil
}

// Linkat gives the file oldpath (relative to olddirfd) the new name
// newpath (relative to newdirfd); flags 0, [AtSymlinkFollow] or
// [AtEmptyPath] (another bit is EINVAL, as linkat(2) says). Errors are
// *os.LinkError with Op "linkat"; ENOSYS before 5.15 on io_uring.
func Linkat(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error {
	co, err1 := syscall.BytePtrFromString(oldpath)
	cn, err2 := syscall.BytePtrFromString(newpath)
	if err1 != nil || err2 != nil {
		return &os.LinkError{Op: "linkat", Old: oldpath, New: newpath, Err: syscall.EINVAL}
	}
	res := int32(C.urb_linkat(C.int32_t(olddirfd), (*C.char)(unsafe.Pointer(co)),
		C.int32_t(newdirfd), (*C.char)(unsafe.Pointer(cn)), C.int32_t(flags)))
	if res < 0 {
		return &os.LinkError{Op: "linkat", Old: oldpath, New: newpath, Err: syscall.Errno(-res)}
	}
	return nil
}

// Ftruncate sets the length of the open file fd to size (ftruncate(2));
// EINVAL for a negative size or a descriptor not open for writing, ENOSYS
// on io_uring before 6.9.
func Ftruncate(fd int, size int64) error {
	if res := int32(C.urb_ftruncate(C.int32_t(fd), C.uint64_t(size))); res < 0 {
		return syscallErr("ftruncate", res)
	}
	return nil
}

// Fallocate allocates (mode 0, or the Falloc* flags) length bytes at off
// of the open file fd (fallocate(2)): EOPNOTSUPP for a mode the file system
// lacks, EINVAL for a length of 0.
func Fallocate(fd int, mode int, off, length int64) error {
	if res := int32(C.urb_fallocate(C.int32_t(fd), C.int32_t(mode), C.uint64_t(off), C.uint64_t(length))); res < 0 {
		return syscallErr("fallocate", res)
	}
	return nil
}

// Fadvise gives advice (Fadv*) about length bytes at off of the open file
// fd (posix_fadvise(2); length 0: to the end of the file, at most 4 GiB-1
// otherwise, as io_uring carries it).
func Fadvise(fd int, off int64, length uint32, advice int) error {
	if res := int32(C.urb_fadvise(C.int32_t(fd), C.uint64_t(off), C.uint32_t(length), C.int32_t(advice))); res < 0 {
		return syscallErr("fadvise", res)
	}
	return nil
}

// SyncFileRange starts or waits for write-back (SyncFileRange* flags) of
// length bytes at off of the open file fd (sync_file_range(2); length 0:
// to the end of the file).
func SyncFileRange(fd int, off int64, length uint32, flags uint32) error {
	if res := int32(C.urb_sync_file_range(C.int32_t(fd), C.uint64_t(off), C.uint32_t(length), C.uint32_t(flags))); res < 0 {
		return syscallErr("sync_file_range", res)
	}
	return nil
}

// Splice moves up to n bytes from fdIn to fdOut, one of them a pipe,
// without copying through user memory (splice(2)): offIn/offOut are
// offsets or [NoOffset]; flags are SpliceF*. It returns the bytes moved, 0
// at end of input. fdOut 0 is refused with EBADF (the library never takes
// a zeroed output descriptor for descriptor 0). A splice waiting for an
// empty or full pipe cannot be interrupted on io_uring: see the header's
// URB_OP_SPLICE.
func Splice(fdIn int, offIn int64, fdOut int, offOut int64, n int, flags int) (int, error) {
	if n > maxRW {
		n = maxRW
	}
	res := int32(C.urb_splice(C.int32_t(fdIn), C.uint64_t(offIn), C.int32_t(fdOut), C.uint64_t(offOut), C.uint32_t(n), C.uint32_t(flags)))
	if res < 0 {
		return 0, syscallErr("splice", res)
	}
	return int(res), nil
}

// Tee duplicates up to n bytes from the pipe fdIn into the pipe fdOut
// without consuming them (tee(2)); as [Splice] otherwise.
func Tee(fdIn, fdOut int, n int, flags int) (int, error) {
	if n > maxRW {
		n = maxRW
	}
	res := int32(C.urb_tee(C.int32_t(fdIn), C.int32_t(fdOut), C.uint32_t(n), C.uint32_t(flags)))
	if res < 0 {
		return 0, syscallErr("tee", res)
	}
	return int(res), nil
}
