//go:build linux && cgo

package uringbridge

/*
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <linux/stat.h>
#include "shim.h"
*/
import "C"

import (
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// The package's own constants must be the C headers' values; each index
// below is out of range, and the build fails, unless the two agree.
var _ = [1]struct{}{}[PollIn^C.POLLIN|PollPri^C.POLLPRI|PollOut^C.POLLOUT|
	PollErr^C.POLLERR|PollHup^C.POLLHUP|PollNval^C.POLLNVAL|PollRdHup^C.POLLRDHUP]
var _ = [1]struct{}{}[(AtFdcwd-C.AT_FDCWD)*(AtFdcwd-C.AT_FDCWD)+
	(AtSymlinkNofollow^C.AT_SYMLINK_NOFOLLOW)+(AtEmptyPath^C.AT_EMPTY_PATH)+(AtRemovedir^C.AT_REMOVEDIR)]
var _ = [1]struct{}{}[StatxBasicStats^C.STATX_BASIC_STATS|StatxBtime^C.STATX_BTIME]
var _ = [1]struct{}{}[(ChainMax^C.URB_CHAIN_MAX)|int(opCount^C.URB_OP_COUNT)]
var _ = [1]struct{}{}[OpNop^C.URB_OP_NOP|OpRead^C.URB_OP_READ|OpWrite^C.URB_OP_WRITE|
	OpReadv^C.URB_OP_READV|OpWritev^C.URB_OP_WRITEV|OpFsync^C.URB_OP_FSYNC|
	OpOpenat^C.URB_OP_OPENAT|OpClose^C.URB_OP_CLOSE|OpStatx^C.URB_OP_STATX|
	OpRecv^C.URB_OP_RECV|OpSend^C.URB_OP_SEND|OpAccept^C.URB_OP_ACCEPT|
	OpConnect^C.URB_OP_CONNECT|OpShutdown^C.URB_OP_SHUTDOWN|OpPoll^C.URB_OP_POLL|
	OpTimeout^C.URB_OP_TIMEOUT|OpUnlinkat^C.URB_OP_UNLINKAT|OpRenameat^C.URB_OP_RENAMEAT|
	OpMkdirat^C.URB_OP_MKDIRAT]
var _ = [1]struct{}{}[OpSymlinkat^C.URB_OP_SYMLINKAT|OpLinkat^C.URB_OP_LINKAT|
	OpFallocate^C.URB_OP_FALLOCATE|OpFtruncate^C.URB_OP_FTRUNCATE|OpFadvise^C.URB_OP_FADVISE|
	OpMadvise^C.URB_OP_MADVISE|OpSyncFileRange^C.URB_OP_SYNC_FILE_RANGE|
	OpSplice^C.URB_OP_SPLICE|OpTee^C.URB_OP_TEE|OpGetxattr^C.URB_OP_GETXATTR|OpSetxattr^C.URB_OP_SETXATTR]

// oCloexec is added to every open by [OpenFile].
const oCloexec = syscall.O_CLOEXEC

// Supported reports whether requests in this process run on io_uring (the
// kernel allowed a ring when the library loaded, and URB_BACKEND does not
// force the fallback engine).
func Supported() bool { return bool(C.urb_supported()) }

// BackendName names the engine serving requests: "io_uring", "fallback",
// or "none" when URB_BACKEND=io_uring was demanded where the kernel refuses
// io_uring (every request then fails with the refusal's errno).
func BackendName() string { return C.GoString(C.urb_backend_name()) }

// Version is the library's version, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.urb_version()) }

// OpSupported reports whether the engine in use can perform code; submitting
// an operation it cannot perform fails with ENOSYS.
func OpSupported(code Opcode) bool { return bool(C.urb_op_supported(C.uint8_t(code))) }

// bufPtr is the address of p's first byte, or nil for an empty p (whose
// data pointer may point just past some other object).
func bufPtr(p []byte) unsafe.Pointer {
	if len(p) == 0 {
		return nil
	}
	return unsafe.Pointer(&p[0])
}

// bufAddr is bufPtr as an integer, for the shim.h functions (see there why
// buffers cross as integers).
func bufAddr(p []byte) C.uintptr_t { return C.uintptr_t(uintptr(bufPtr(p))) }

// offsetArg maps an offset to the library's: OffsetCurrent becomes
// URB_OFFSET_CURRENT; other negative offsets are invalid.
func offsetArg(off int64) (C.uint64_t, bool) {
	if off == OffsetCurrent {
		return C.uint64_t(^uint64(0)), true
	}
	return C.uint64_t(off), off >= 0
}

var negEINVAL = -int32(syscall.EINVAL)

// Nop makes a round trip through the engine that does nothing.
func Nop() error {
	if res := int32(C.urb_nop()); res < 0 {
		return syscallErr("nop", res)
	}
	return nil
}

// Read reads up to len(p) bytes from fd at offset off (pread), or at the
// file position with [OffsetCurrent]. It returns 0 at end of file. At most
// 1 GiB is read per call.
func Read(fd int, p []byte, off int64) (int, error) {
	coff, ok := offsetArg(off)
	if !ok {
		return 0, syscallErr("read", negEINVAL)
	}
	p = p[:min(len(p), maxRW)]
	res := int32(C.gourb_read(C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), coff))
	runtime.KeepAlive(p)
	if res < 0 {
		return 0, syscallErr("read", res)
	}
	return int(res), nil
}

// Write writes up to len(p) bytes to fd at offset off (pwrite), or at the
// file position with [OffsetCurrent]; it may write fewer. At most 1 GiB is
// written per call.
func Write(fd int, p []byte, off int64) (int, error) {
	coff, ok := offsetArg(off)
	if !ok {
		return 0, syscallErr("write", negEINVAL)
	}
	p = p[:min(len(p), maxRW)]
	res := int32(C.gourb_write(C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), coff))
	runtime.KeepAlive(p)
	if res < 0 {
		return 0, syscallErr("write", res)
	}
	return int(res), nil
}

// iovecs builds the iovec array for bufs, pinning every buffer: the array is
// Go memory passed to C, and the cgo rules want the Go memory its pointers
// name pinned too. Empty buffers get a nil base.
func iovecs(bufs [][]byte, pin *runtime.Pinner) []syscall.Iovec {
	iov := make([]syscall.Iovec, len(bufs))
	for i, b := range bufs {
		if len(b) > 0 {
			pin.Pin(&b[0])
			iov[i].Base = &b[0]
			iov[i].SetLen(len(b))
		}
	}
	return iov
}

func iovecPtr(iov []syscall.Iovec) *C.struct_iovec {
	if len(iov) == 0 {
		return nil
	}
	return (*C.struct_iovec)(unsafe.Pointer(&iov[0]))
}

// Readv reads into bufs in order (preadv2) from offset off or, with
// [OffsetCurrent], the file position. At most 1024 buffers and 2 GiB in all.
func Readv(fd int, bufs [][]byte, off int64) (int, error) {
	return vectored("readv", fd, bufs, off)
}

// Writev writes bufs in order (pwritev2) at offset off or, with
// [OffsetCurrent], the file position. At most 1024 buffers and 2 GiB in all.
func Writev(fd int, bufs [][]byte, off int64) (int, error) {
	return vectored("writev", fd, bufs, off)
}

func vectored(name string, fd int, bufs [][]byte, off int64) (int, error) {
	coff, ok := offsetArg(off)
	if !ok {
		return 0, syscallErr(name, negEINVAL)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	iov := iovecs(bufs, &pin)
	var res int32
	if name == "readv" {
		res = int32(C.urb_readv(C.int32_t(fd), iovecPtr(iov), C.uint32_t(len(iov)), coff))
	} else {
		res = int32(C.urb_writev(C.int32_t(fd), iovecPtr(iov), C.uint32_t(len(iov)), coff))
	}
	if res < 0 {
		return 0, syscallErr(name, res)
	}
	return int(res), nil
}

// Recv receives up to len(p) bytes from a socket; flags are MSG_*. It
// returns 0 once the peer has shut down its side.
func Recv(fd int, p []byte, flags int) (int, error) {
	p = p[:min(len(p), maxRW)]
	res := int32(C.gourb_recv(C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), C.int32_t(flags)))
	runtime.KeepAlive(p)
	if res < 0 {
		return 0, syscallErr("recv", res)
	}
	return int(res), nil
}

// Send sends up to len(p) bytes on a socket; flags are MSG_*. MSG_NOSIGNAL
// is always added: a closed peer gives EPIPE, never SIGPIPE.
func Send(fd int, p []byte, flags int) (int, error) {
	p = p[:min(len(p), maxRW)]
	res := int32(C.gourb_send(C.int32_t(fd), bufAddr(p), C.uint32_t(len(p)), C.int32_t(flags)))
	runtime.KeepAlive(p)
	if res < 0 {
		return 0, syscallErr("send", res)
	}
	return int(res), nil
}

// Accept waits for a connection on listening socket fd and returns the new
// socket, which the caller owns, and the peer's address. flags are
// SOCK_NONBLOCK and SOCK_CLOEXEC (pass syscall.SOCK_CLOEXEC unless the
// socket should survive exec).
func Accept(fd int, flags int) (int, syscall.Sockaddr, error) {
	var rsa syscall.RawSockaddrAny
	addrlen := C.uint32_t(unsafe.Sizeof(rsa))
	res := int32(C.urb_accept(C.int32_t(fd), unsafe.Pointer(&rsa), &addrlen, C.int32_t(flags)))
	if res < 0 {
		return -1, nil, syscallErr("accept", res)
	}
	return int(res), sockaddrFromRaw(&rsa, uint32(addrlen)), nil
}

// Connect connects socket fd to sa (*syscall.SockaddrInet4, *SockaddrInet6
// or *SockaddrUnix).
func Connect(fd int, sa syscall.Sockaddr) error {
	raw, n, err := rawSockaddr(sa)
	if err != nil {
		return syscallErr("connect", negEINVAL)
	}
	if res := int32(C.urb_connect(C.int32_t(fd), unsafe.Pointer(raw), C.uint32_t(n))); res < 0 {
		return syscallErr("connect", res)
	}
	return nil
}

// Openat opens path relative to directory dirfd ([AtFdcwd]: the working
// directory) with O_* flags and, when creating, permission bits mode.
// It returns the new descriptor, which the caller owns.
func Openat(dirfd int, path string, flags int, mode uint32) (int, error) {
	cpath, err := syscall.BytePtrFromString(path)
	if err != nil {
		return -1, pathErr("openat", path, negEINVAL)
	}
	res := int32(C.urb_openat(C.int32_t(dirfd), (*C.char)(unsafe.Pointer(cpath)), C.int32_t(flags), C.uint32_t(mode)))
	if res < 0 {
		return -1, pathErr("openat", path, res)
	}
	return int(res), nil
}

// Close closes fd.
func Close(fd int) error {
	if res := int32(C.urb_close(C.int32_t(fd))); res < 0 {
		return syscallErr("close", res)
	}
	return nil
}

// Fsync flushes fd to storage: data and metadata, or with datasync only
// what is needed to read the data back (fdatasync).
func Fsync(fd int, datasync bool) error {
	flags := C.uint32_t(0)
	if datasync {
		flags = C.URB_FSYNC_DATASYNC
	}
	if res := int32(C.urb_fsync(C.int32_t(fd), flags)); res < 0 {
		return syscallErr("fsync", res)
	}
	return nil
}

// Statx describes path relative to dirfd ([AtFdcwd] or a directory); flags
// are AT_* ([AtSymlinkNofollow], [AtEmptyPath] with path "" for dirfd
// itself) and mask the STATX_* fields wanted ([StatxBasicStats]).
func Statx(dirfd int, path string, flags int, mask uint32) (*Stat, error) {
	cpath, err := syscall.BytePtrFromString(path)
	if err != nil {
		return nil, pathErr("statx", path, negEINVAL)
	}
	var cst C.struct_statx
	res := int32(C.urb_statx(C.int32_t(dirfd), (*C.char)(unsafe.Pointer(cpath)), C.int32_t(flags), C.uint32_t(mask), unsafe.Pointer(&cst)))
	if res < 0 {
		return nil, pathErr("statx", path, res)
	}
	return statFromC(&cst), nil
}

// Unlinkat removes path relative to dirfd ([AtFdcwd] or a directory): a
// directory (it must be empty) with flags [AtRemovedir], anything else
// with 0. Errors are *os.PathError with Op "unlinkat" and unlinkat(2)'s
// errno; ENOSYS where the kernel's io_uring lacks the operation.
func Unlinkat(dirfd int, path string, flags int) error {
	cpath, err := syscall.BytePtrFromString(path)
	if err != nil {
		return pathErr("unlinkat", path, negEINVAL)
	}
	if res := int32(C.urb_unlinkat(C.int32_t(dirfd), (*C.char)(unsafe.Pointer(cpath)), C.int32_t(flags))); res < 0 {
		return pathErr("unlinkat", path, res)
	}
	return nil
}

// Renameat renames oldpath (relative to olddirfd) to newpath (relative to
// newdirfd) with renameat2(2)'s flags (RENAME_NOREPLACE, RENAME_EXCHANGE,
// RENAME_WHITEOUT or 0), which the kernel judges. Errors are
// *os.LinkError with Op "renameat", as package os reports a rename.
func Renameat(olddirfd int, oldpath string, newdirfd int, newpath string, flags uint) error {
	cold, err1 := syscall.BytePtrFromString(oldpath)
	cnew, err2 := syscall.BytePtrFromString(newpath)
	if err1 != nil || err2 != nil {
		return &os.LinkError{Op: "renameat", Old: oldpath, New: newpath, Err: syscall.EINVAL}
	}
	res := int32(C.urb_renameat(C.int32_t(olddirfd), (*C.char)(unsafe.Pointer(cold)),
		C.int32_t(newdirfd), (*C.char)(unsafe.Pointer(cnew)), C.uint32_t(flags)))
	if res < 0 {
		return &os.LinkError{Op: "renameat", Old: oldpath, New: newpath, Err: syscall.Errno(-res)}
	}
	return nil
}

// Mkdirat creates the directory path relative to dirfd with the permission
// bits mode (before umask). Errors are *os.PathError with Op "mkdirat".
func Mkdirat(dirfd int, path string, mode uint32) error {
	cpath, err := syscall.BytePtrFromString(path)
	if err != nil {
		return pathErr("mkdirat", path, negEINVAL)
	}
	if res := int32(C.urb_mkdirat(C.int32_t(dirfd), (*C.char)(unsafe.Pointer(cpath)), C.uint32_t(mode))); res < 0 {
		return pathErr("mkdirat", path, res)
	}
	return nil
}

// Fstat describes the open file fd (statx with AT_EMPTY_PATH).
func Fstat(fd int) (*Stat, error) {
	var cst C.struct_statx
	empty := [1]byte{}
	res := int32(C.urb_statx(C.int32_t(fd), (*C.char)(unsafe.Pointer(&empty[0])), AtEmptyPath, C.uint32_t(StatxBasicStats), unsafe.Pointer(&cst)))
	if res < 0 {
		return nil, syscallErr("fstat", res)
	}
	return statFromC(&cst), nil
}

func statFromC(c *C.struct_statx) *Stat {
	ts := func(t C.struct_statx_timestamp) time.Time { return time.Unix(int64(t.tv_sec), int64(t.tv_nsec)) }
	return &Stat{
		Mask:           uint32(c.stx_mask),
		Blksize:        uint32(c.stx_blksize),
		Attributes:     uint64(c.stx_attributes),
		AttributesMask: uint64(c.stx_attributes_mask),
		Nlink:          uint32(c.stx_nlink),
		Uid:            uint32(c.stx_uid),
		Gid:            uint32(c.stx_gid),
		Mode:           uint16(c.stx_mode),
		Ino:            uint64(c.stx_ino),
		Size:           uint64(c.stx_size),
		Blocks:         uint64(c.stx_blocks),
		Atime:          ts(c.stx_atime),
		Btime:          ts(c.stx_btime),
		Ctime:          ts(c.stx_ctime),
		Mtime:          ts(c.stx_mtime),
		RdevMajor:      uint32(c.stx_rdev_major),
		RdevMinor:      uint32(c.stx_rdev_minor),
		DevMajor:       uint32(c.stx_dev_major),
		DevMinor:       uint32(c.stx_dev_minor),
	}
}

// Shutdown shuts down part of a connection: how is syscall.SHUT_RD,
// SHUT_WR or SHUT_RDWR.
func Shutdown(fd, how int) error {
	if res := int32(C.urb_shutdown(C.int32_t(fd), C.int32_t(how))); res < 0 {
		return syscallErr("shutdown", res)
	}
	return nil
}

// Poll waits until fd has one of events ([PollIn], [PollOut], ...) and
// returns the events that are ready ([PollErr] and [PollHup] are always
// reported). Bound the wait with [SubmitTimeout] and [PrepPoll].
func Poll(fd int, events uint32) (uint32, error) {
	res := int32(C.urb_poll(C.int32_t(fd), C.uint32_t(events)))
	if res < 0 {
		return 0, syscallErr("poll", res)
	}
	return uint32(res), nil
}

// Sleep waits d on the engine's timer; signals neither shorten it nor make
// it fail. A negative d is treated as 0.
func Sleep(d time.Duration) error {
	if res := int32(C.urb_sleep_ns(C.uint64_t(max(d, 0)))); res < 0 {
		return syscallErr("sleep", res)
	}
	return nil
}

// seek moves the kernel's file position; it needs no ring, so it is the
// plain system call.
func seek(fd int, offset int64, whence int) (int64, error) {
	off, err := syscall.Seek(fd, offset, whence)
	if err != nil {
		return 0, os.NewSyscallError("seek", err)
	}
	return off, nil
}
