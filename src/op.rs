//! `urb_op`: the plain, fixed-layout description of one request, and its
//! validation. Everything downstream (the io_uring encoder, the fallback
//! executor) only ever sees a [`ValidOp`], so the checks live in one place.

use crate::ops::{ChainRule, Extra, FdUse, Finish};
use std::ffi::c_void;

#[cfg(not(target_pointer_width = "64"))]
compile_error!("urb_op has a fixed 64-byte layout that assumes 64-bit pointers");

// The ABI, checked when the library is built (the unit test below says
// the same field by field): the fields that carry splice's, tee's and
// fallocate's second values keep the offsets they had as reserved fields.
const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<urb_op>() == 64 && align_of::<urb_op>() == 8);
    assert!(offset_of!(urb_op, mode) == 40);
    assert!(offset_of!(urb_op, reserved1) == 44 && size_of::<u32>() == 4);
    assert!(offset_of!(urb_op, reserved2) == 48);
};

/// Do nothing; completes with 0. Measures the library's own round trip.
pub const URB_OP_NOP: u8 = 0;
/// `pread(fd, buf, len, offset)`; `offset == URB_OFFSET_CURRENT` reads at and
/// advances the file position. `op_flags`: `RWF_*`. Result: bytes read.
///
/// Where io_uring and the system call differ:
/// - on pipes and sockets the offset is ignored, where pread(2) says
///   `-ESPIPE`: io_uring does so, and one request shape then serves every
///   descriptor;
/// - `RWF_HIPRI` is accepted and changes nothing on io_uring (a ring not set
///   up for polled I/O would refuse it with `-EINVAL`; preadv2(2) treats it
///   as a hint);
/// - on the blocking face a pipe, socket or tty in `O_NONBLOCK` mode with
///   nothing to read answers `-EAGAIN` at once, as read(2) does (io_uring
///   alone would wait for data); on an async ring the request waits for
///   data whatever `O_NONBLOCK` says, as io_uring's do: ask with
///   `RWF_NOWAIT` for `-EAGAIN` there;
/// - a socket's `SO_RCVTIMEO` bounds the wait on the fallback engine only:
///   use `URB_OP_RECV`, which honours it on both.
pub const URB_OP_READ: u8 = 1;
/// `pwrite(fd, buf, len, offset)`; offset and flags as for `URB_OP_READ`.
/// Result: bytes written.
///
/// Where io_uring and the system call differ:
/// - on the blocking face a write to a blocking pipe or socket moves
///   everything before it returns, as write(2) does (io_uring alone stops
///   at what fitted); in `O_NONBLOCK` mode it returns what fitted, or
///   `-EAGAIN`;
/// - on an async ring a write to a pipe or socket may be short, as
///   io_uring's are, on both engines: write the rest;
/// - a pipe or socket without a reader gives `-EPIPE` and never raises
///   `SIGPIPE`, on every face: a library must not kill its host (Go's
///   runtime cannot turn a SIGPIPE on a thread it does not own into EPIPE).
///   A caller that already blocks SIGPIPE finds it pending, as after
///   write(2).
pub const URB_OP_WRITE: u8 = 2;
/// `preadv2(fd, buf, len, offset, op_flags)`: `buf` is a `struct iovec`
/// array of `len` entries (at most 1024). As `URB_OP_READ` otherwise.
pub const URB_OP_READV: u8 = 3;
/// `pwritev2(fd, buf, len, offset, op_flags)`: `buf` is a `struct iovec`
/// array of `len` entries (at most 1024). As `URB_OP_WRITE` otherwise.
pub const URB_OP_WRITEV: u8 = 4;
/// `fsync(fd)`, or `fdatasync(fd)` when `op_flags` has `URB_FSYNC_DATASYNC`.
pub const URB_OP_FSYNC: u8 = 5;
/// `openat(fd, buf, op_flags, mode)`: `fd` is a directory or `AT_FDCWD`,
/// `buf` the NUL-terminated path, `op_flags` the `O_*` flags.
/// Result: the new file descriptor, owned by the caller. A negative `fd`
/// other than `AT_FDCWD` is `-EBADF` unless the path is absolute, which
/// ignores it (for an empty path openat(2) would say `-ENOENT`: the
/// library's check comes first, alike on both engines).
pub const URB_OP_OPENAT: u8 = 6;
/// `close(fd)`.
pub const URB_OP_CLOSE: u8 = 7;
/// `statx(fd, buf, op_flags, mode, buf2)`: `fd` is a directory or
/// `AT_FDCWD`, `buf` the path, `op_flags` the `AT_*` flags, `mode` the
/// `STATX_*` mask and `buf2` the `struct statx` to fill. `fd` is checked
/// as for `URB_OP_OPENAT`.
pub const URB_OP_STATX: u8 = 8;
/// `recv(fd, buf, len, op_flags)`, `op_flags` being `MSG_*`. Result: bytes
/// received, 0 once the peer has shut down.
///
/// Where io_uring and the system call differ:
/// - on the blocking face a socket in `O_NONBLOCK` mode with no data
///   answers `-EAGAIN` at once and `SO_RCVTIMEO` ends the wait with
///   `-EAGAIN`, as recv(2) does (io_uring alone ignores both and waits); on
///   an async ring the request waits for data whatever they say, as
///   io_uring's do: `MSG_DONTWAIT` asks for `-EAGAIN` there;
/// - `MSG_WAITALL` fills the buffer on stream sockets (a datagram is one
///   message), on every face and engine, unless the socket is non-blocking
///   or the peer shuts down;
/// - `MSG_ERRQUEUE` never waits: an empty error queue is `-EAGAIN` at once
///   on every face (io_uring would wait for an error that may never come),
///   even on a socket that ignores the flag.
pub const URB_OP_RECV: u8 = 9;
/// `send(fd, buf, len, op_flags)`, `op_flags` being `MSG_*`. Result: bytes sent. Always
/// sent with `MSG_NOSIGNAL`: a closed peer gives `-EPIPE`, never `SIGPIPE`.
///
/// Where io_uring and the system call differ: on the blocking face a
/// blocking stream socket sends everything before the call returns, as
/// send(2) does (io_uring alone returns what fitted); `O_NONBLOCK` and
/// `SO_SNDTIMEO` act as for `URB_OP_RECV`. On an async ring a send may be
/// short, as io_uring's are, on both engines.
pub const URB_OP_SEND: u8 = 10;
/// `accept4(fd, buf, buf2, op_flags)`: `buf` a `struct sockaddr` to fill,
/// `buf2` its `socklen_t` length, `op_flags` the `SOCK_*` flags.
/// `buf` and `buf2` may both be NULL. Result: the new socket, owned by the caller.
///
/// Where io_uring and the system call differ: `buf` without `buf2` is
/// `-EFAULT` before any connection is taken (accept4(2) would take one and
/// lose it); on the blocking face a listener in `O_NONBLOCK` mode with an
/// empty backlog answers `-EAGAIN` and `SO_RCVTIMEO` bounds the wait, as
/// accept4(2) does, while an async ring's request waits for a connection;
/// a socket that is not listening fails at once on every face (`-EINVAL`,
/// `-EOPNOTSUPP`).
pub const URB_OP_ACCEPT: u8 = 11;
/// `connect(fd, buf, len)`: `buf` the `struct sockaddr`, `len` its length.
///
/// Where io_uring and the system call differ: on the blocking face a socket
/// in `O_NONBLOCK` mode gets connect(2)'s own answer (`-EINPROGRESS`, with
/// `SO_ERROR` left for the caller to read); an async ring's request waits
/// until the connection is made or refused and reports that, whatever
/// `O_NONBLOCK` says, as io_uring's does.
pub const URB_OP_CONNECT: u8 = 12;
/// `shutdown(fd, op_flags)`, `op_flags` being `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
pub const URB_OP_SHUTDOWN: u8 = 13;
/// One-shot poll: waits until `fd` has one of the `op_flags` events
/// (`POLLIN`, `POLLOUT`, ...). Result: the events that are ready
/// (`revents`): those asked for, plus `POLLERR` and `POLLHUP`, as poll(2)
/// reports them. `op_flags == 0` waits for an error or hang-up only, as in
/// poll(2). A negative `fd` is `-EBADF` (poll(2) would skip the entry and
/// sleep forever).
pub const URB_OP_POLL: u8 = 14;
/// Sleep for `offset` nanoseconds. Result: 0 once the time has passed. In a
/// chain, a finished sleep does not break the chain (so "sleep, then write"
/// works).
pub const URB_OP_TIMEOUT: u8 = 15;
/// `unlinkat(fd, buf, op_flags)`: `fd` is a directory or `AT_FDCWD`, `buf`
/// the NUL-terminated path, `op_flags` 0 or `AT_REMOVEDIR` (any other bit
/// is `-EINVAL`, as unlinkat(2) says). Result: 0. `fd` is checked as for
/// `URB_OP_OPENAT`. Kernel 5.11 (`IORING_OP_UNLINKAT`).
/// In a chain it may only be the last request (`-EINVAL` elsewhere, nothing
/// submitted): io_uring since 6.0 does not cancel the requests linked after
/// a failed one, so "a failure cancels the rest" could not hold.
pub const URB_OP_UNLINKAT: u8 = 16;
/// `renameat2(fd, buf, (int)len, buf2, op_flags)`: `fd` and `buf` are the
/// old directory and path, `len` holds the new directory descriptor (an
/// `int` such as `AT_FDCWD`, as io_uring's SQE carries it) and `buf2` the
/// new path; `op_flags` are `RENAME_NOREPLACE`, `RENAME_EXCHANGE`,
/// `RENAME_WHITEOUT`, passed to the kernel, which judges them as
/// renameat2(2) does. Result: 0. Each directory is checked with its path
/// as for `URB_OP_OPENAT`. Kernel 5.11 (`IORING_OP_RENAMEAT`).
/// In a chain it may only be the last request (`-EINVAL` elsewhere, nothing
/// submitted): io_uring since 6.0 does not cancel the requests linked after
/// a failed one, so "a failure cancels the rest" could not hold.
pub const URB_OP_RENAMEAT: u8 = 17;
/// `mkdirat(fd, buf, mode)`: `fd` is a directory or `AT_FDCWD`, `buf` the
/// NUL-terminated path, `mode` the permission bits (before the umask).
/// Result: 0. `fd` is checked as for `URB_OP_OPENAT`. Kernel 5.15
/// (`IORING_OP_MKDIRAT`).
/// In a chain it may only be the last request (`-EINVAL` elsewhere, nothing
/// submitted): io_uring since 6.0 does not cancel the requests linked after
/// a failed one, so "a failure cancels the rest" could not hold.
pub const URB_OP_MKDIRAT: u8 = 18;
/// `sendmsg(fd, buf, op_flags)`: `buf` is the `struct msghdr` (address,
/// iovecs, ancillary data such as `SCM_RIGHTS`), `op_flags` are
/// `MSG_CONFIRM`, `MSG_DONTROUTE`, `MSG_DONTWAIT`, `MSG_EOR`, `MSG_MORE`,
/// `MSG_NOSIGNAL`, `MSG_OOB`, `MSG_FASTOPEN` (any other bit is `-EINVAL`:
/// sendmsg(2) would ignore it, and some are the kernel's own). `len` is
/// not used. Result: bytes sent. Always sent with `MSG_NOSIGNAL`: a closed
/// peer gives `-EPIPE`, never `SIGPIPE`. The msghdr, its iovec array,
/// buffers, address and control buffer stay the caller's and must stay
/// valid until the request's result is delivered (the kernel reads them
/// when the request runs).
///
/// Checked before anything is sent, as sendmsg(2) does: a NULL `buf` is
/// `-EFAULT`, more than 1024 iovecs `-EMSGSIZE`, a NULL `msg_iov` or iovec
/// base with a length `-EFAULT`; a total beyond `INT32_MAX` is `-EINVAL`.
/// The address and the ancillary data are the kernel's to judge.
///
/// Where io_uring and the system call differ, it behaves as
/// `URB_OP_SEND`: on the blocking face `O_NONBLOCK` and `SO_SNDTIMEO` give
/// `-EAGAIN`, and a blocking stream socket sends every byte before the call
/// returns (the rest after a short send goes out without the address and
/// ancillary data, which went with the first part); on an async ring a
/// send may be short, as io_uring's are, on both engines. Kernel 5.3
/// (`IORING_OP_SENDMSG`).
pub const URB_OP_SENDMSG: u8 = 19;
/// `recvmsg(fd, buf, op_flags)`: `buf` is the `struct msghdr` to fill,
/// `op_flags` are `MSG_CMSG_CLOEXEC`, `MSG_DONTWAIT`, `MSG_ERRQUEUE`,
/// `MSG_OOB`, `MSG_PEEK`, `MSG_TRUNC`, `MSG_WAITALL` (any other bit is
/// `-EINVAL`). `len` is not used. Result: bytes received, 0 once the peer
/// has shut down; as recvmsg(2), the kernel writes `msg_namelen`,
/// `msg_controllen` and `msg_flags` back into the caller's msghdr (both
/// engines), and descriptors received with `SCM_RIGHTS` are the caller's
/// to close. The msghdr and everything it points to stay the caller's and
/// must stay valid until the request's result is delivered. Checked as
/// `URB_OP_SENDMSG`.
///
/// Where io_uring and the system call differ, it behaves as
/// `URB_OP_RECV` (`O_NONBLOCK`, `SO_RCVTIMEO`, `MSG_WAITALL`,
/// `MSG_ERRQUEUE` never waiting). One more: a `MSG_WAITALL` receive on a
/// stream with an ancillary data buffer (`msg_control` set) returns after
/// the first part that arrives, short, where recvmsg(2) would wait for the
/// rest: io_uring's recvmsg does (measured on 6.18; what follows,
/// descriptors included, stays in the socket for the next receive), and
/// the fallback engine follows it on async rings and timed requests; the
/// fallback's untimed blocking call is recvmsg(2) itself and waits.
/// Without a buffer it fills the iovecs on both engines, as recvmsg(2)
/// does. Kernel 5.3 (`IORING_OP_RECVMSG`).
pub const URB_OP_RECVMSG: u8 = 20;
/// `socket(fd, op_flags, len)`: `fd` is the domain (`AF_INET`, ...),
/// `op_flags` the type with `SOCK_NONBLOCK`/`SOCK_CLOEXEC`, `len` the
/// protocol. Result: the new socket, owned by the caller. The kernel judges
/// every value (`-EAFNOSUPPORT`, `-EINVAL`, `-EPROTONOSUPPORT`, ...).
/// Kernel 5.19 (`IORING_OP_SOCKET`).
pub const URB_OP_SOCKET: u8 = 21;
/// `bind(fd, buf, len)`: `buf` the `struct sockaddr`, `len` its length
/// (0 is `-EINVAL` and a NULL `buf` `-EFAULT`, checked as for
/// `URB_OP_CONNECT`). Result: 0. `buf` is copied when the request starts;
/// it must stay valid until the result is delivered. Kernel 6.11
/// (`IORING_OP_BIND`).
pub const URB_OP_BIND: u8 = 22;
/// `listen(fd, (int)len)`: `len` is the backlog (capped by the kernel at
/// `net.core.somaxconn`). Result: 0. Kernel 6.11 (`IORING_OP_LISTEN`).
pub const URB_OP_LISTEN: u8 = 23;
/// `symlinkat(buf, fd, buf2)`: creates the symbolic link `buf2` (relative
/// to the directory `fd`, or `AT_FDCWD`) holding the text `buf` (the
/// target, never resolved: it may name nothing). Result: 0. `fd` is checked
/// with `buf2` as for `URB_OP_OPENAT`; a NULL `buf` or `buf2` is `-EFAULT`.
/// Kernel 5.15 (`IORING_OP_SYMLINKAT`). Pointers: both paths are the
/// caller's and must stay valid until the result has been delivered.
/// In a chain it may only be the last request, as `URB_OP_UNLINKAT`.
pub const URB_OP_SYMLINKAT: u8 = 24;
/// `linkat(fd, buf, (int)len, buf2, op_flags)`: a new name `buf2`
/// (relative to the directory descriptor in `len`, as for
/// `URB_OP_RENAMEAT`) for the file `buf` (relative to `fd`); `op_flags`
/// are `AT_SYMLINK_FOLLOW` (link what a symbolic link `buf` names, not the
/// link itself) and `AT_EMPTY_PATH` (`buf` is `""` and `fd` the file);
/// any other bit is `-EINVAL`, as linkat(2) says. Result: 0. Kernel 5.15
/// (`IORING_OP_LINKAT`). Paths as for `URB_OP_SYMLINKAT`. In a chain it
/// may only be the last request, as `URB_OP_UNLINKAT`.
pub const URB_OP_LINKAT: u8 = 25;
/// `fallocate(fd, mode, offset, reserved2[0])`: `mode` holds fallocate's
/// `FALLOC_FL_*` mode (0 allocates and extends the file), `offset` the
/// start and `reserved2[0]` the 64-bit length (it does not fit `len`; use
/// `urb_prep_fallocate`). The kernel judges mode, offset and length as
/// fallocate(2) does (`-EOPNOTSUPP` for a mode the filesystem lacks,
/// `-EINVAL` for a length of 0 or a negative value). Result: 0. Kernel 5.6
/// (`IORING_OP_FALLOCATE`). In a chain it may only be the last request:
/// io_uring does not cancel what follows a failed fallocate.
pub const URB_OP_FALLOCATE: u8 = 26;
/// `ftruncate(fd, offset)`: sets the file's length to `offset` (a value
/// beyond `INT64_MAX` is negative to the kernel: `-EINVAL`). Result: 0.
/// Kernel 6.9 (`IORING_OP_FTRUNCATE`): `-ENOSYS` on io_uring before it.
/// In a chain it may only be the last request: io_uring does not cancel
/// what follows a failed ftruncate.
pub const URB_OP_FTRUNCATE: u8 = 27;
/// `posix_fadvise(fd, offset, len, op_flags)`: `op_flags` is the
/// `POSIX_FADV_*` advice (another value is `-EINVAL`), `len` the length of
/// the range (0: to the end of the file; 32 bits, as io_uring's SQE carries
/// it). Result: 0 (or `-errno`, never posix_fadvise's positive error
/// number). Kernel 5.6 (`IORING_OP_FADVISE`).
pub const URB_OP_FADVISE: u8 = 28;
/// `madvise(buf, len, op_flags)`: advice (`MADV_*` in `op_flags`) about
/// the calling process's memory at `buf` (page aligned, else `-EINVAL`),
/// `len` bytes. `fd` is not used. Result: 0. Kernel 5.6
/// (`IORING_OP_MADVISE`). The advice is about this process's own mapping:
/// the memory must stay mapped until the result has been delivered. In a
/// chain it may only be the last request: io_uring does not cancel what
/// follows a failed madvise.
pub const URB_OP_MADVISE: u8 = 29;
/// `sync_file_range(fd, offset, len, op_flags)`: `op_flags` are
/// `SYNC_FILE_RANGE_WAIT_BEFORE`, `_WRITE`, `_WAIT_AFTER` (another bit is
/// `-EINVAL`), `len` the length (0: to the end of the file; 32 bits, as
/// io_uring's SQE carries it). Result: 0. Kernel 5.2
/// (`IORING_OP_SYNC_FILE_RANGE`). In a chain it may only be the last
/// request: io_uring does not cancel what follows a failed one.
pub const URB_OP_SYNC_FILE_RANGE: u8 = 30;
/// `splice(fd, off_in, reserved1, off_out, len, op_flags)`: moves up to
/// `len` bytes from `fd` (the input) to the output descriptor in
/// `reserved1`, one of them a pipe, without copying through user memory.
/// `offset` is the input's offset and `reserved2[0]` the output's; each is
/// `URB_OFFSET_CURRENT` (-1, as io_uring's SQE says it) for "no offset"
/// (splice(2)'s NULL: the descriptor's own position, and the only value a
/// pipe accepts: another gives `-ESPIPE`). `op_flags` are `SPLICE_F_MOVE`,
/// `SPLICE_F_NONBLOCK`, `SPLICE_F_MORE`, `SPLICE_F_GIFT` (another bit is
/// `-EINVAL`). Result: bytes moved, 0 at end of input (or for `len` 0).
/// Use `urb_prep_splice`, which fills all six.
///
/// Where this differs from splice(2) and tee(2), and why: for a `len` of 0
/// the system calls return 0 without looking at the descriptors (splice)
/// or at anything but the flags (tee); io_uring looks both descriptors up
/// and checks the flags first, so on both engines a `len` of 0 is `-EBADF`
/// unless both descriptors are open, `-EINVAL` for an unknown flag, and 0
/// otherwise. A flag bit outside the four named is `-EINVAL` whatever the
/// length.
///
/// The output descriptor is never 0: a `reserved1` of 0 is `-EBADF`. Every
/// caller before this operation zeroed `reserved1`, so a request built
/// that way and given this opcode would otherwise write into whatever
/// descriptor 0 is (stdin, or a socket under inetd) instead of failing;
/// a program that means descriptor 0 `dup`s it first. The input (`fd`)
/// may be 0. `SIGPIPE` is never raised (`-EPIPE`), as for `URB_OP_WRITE`.
///
/// On io_uring the request waits, as splice(2) does, in a kernel worker
/// (a pipe in `O_NONBLOCK` mode or `SPLICE_F_NONBLOCK` asks for `-EAGAIN`
/// instead, as splice(2) says). That wait cannot be interrupted: on Linux
/// 6.18 neither a timeout (`urb_submit_blocking_timeout`, a ring request's
/// timeout) nor `urb_ring_cancel` ends a splice or tee that waits for an
/// empty pipe or a full one, and `urb_ring_free` waits for it; it ends
/// when data or room arrives or the pipe's other end is closed (0 or
/// `-EPIPE`). Where that matters, ask with `SPLICE_F_NONBLOCK` and wait
/// with `URB_OP_POLL`, which both bound. On the fallback engine an async
/// ring waits for the input to be readable and then the output writable,
/// on its epoll set, and splices without blocking, so timeouts,
/// cancellation and `urb_ring_free` end a waiting splice or tee there
/// (`-ETIME`, `-ECANCELED`, moving nothing). A splice between a pipe and a
/// regular file runs on the worker pool but never waits there for the
/// pipe: while the input pipe is empty or the output pipe full it waits on
/// that epoll set, so it too is ended by a timeout, a cancel or
/// `urb_ring_free` (only the file's own I/O, once under way, runs to its
/// end); the results are splice(2)'s. The offsets are copies: the caller's
/// `urb_op` is never updated. A short transfer ends a chain, as in the
/// kernel. Kernel 5.7 (`IORING_OP_SPLICE`).
pub const URB_OP_SPLICE: u8 = 31;
/// `tee(fd, reserved1, len, op_flags)`: duplicates up to `len` bytes from
/// the pipe `fd` into the pipe in `reserved1` without consuming them.
/// `offset` and `reserved2[0]` must be 0 (`-EINVAL`), `op_flags` as for
/// `URB_OP_SPLICE`, and the output descriptor is never 0 (`-EBADF`, as
/// there). Result: bytes duplicated. Use `urb_prep_tee`. Waits as
/// `URB_OP_SPLICE` does. Kernel 5.8 (`IORING_OP_TEE`).
pub const URB_OP_TEE: u8 = 32;
/// `getxattr(buf, reserved2[0], buf2, len)`: reads the extended attribute
/// whose NUL-terminated name `reserved2[0]` points to (a pointer carried
/// as a 64-bit value) of the file at path `buf` (relative to the working
/// directory; symbolic links are followed) into `buf2`, at most `len`
/// bytes; `len` 0 asks for the value's size. `op_flags` must be 0
/// (`-EINVAL`). Result: the value's length; getxattr(2)'s errors
/// (`-ENODATA` for an attribute the file lacks, `-ERANGE` for a buffer too
/// small, `-EOPNOTSUPP` where the file system has no such attributes).
/// Use `urb_prep_getxattr`. Kernel 5.19 (`IORING_OP_GETXATTR`). Pointers:
/// the path, the name and the value buffer are the caller's and must stay
/// valid until the result has been delivered. In a chain it may only be
/// the last request, as `URB_OP_UNLINKAT`.
pub const URB_OP_GETXATTR: u8 = 33;
/// `setxattr(buf, reserved2[0], buf2, len, op_flags)`: sets the extended
/// attribute named as for `URB_OP_GETXATTR` to the `len` bytes at `buf2`;
/// `op_flags` 0, `XATTR_CREATE` or `XATTR_REPLACE` (another bit is
/// `-EINVAL`). Result: 0; setxattr(2)'s errors (`-EEXIST`, `-ENODATA`,
/// `-E2BIG` beyond 64 KiB, `-EOPNOTSUPP`, ...). Use `urb_prep_setxattr`.
/// Kernel 5.19 (`IORING_OP_SETXATTR`). Pointers and chains as for
/// `URB_OP_GETXATTR`.
pub const URB_OP_SETXATTR: u8 = 34;
/// `pread(fd, buf, len, offset)` into a registered buffer, on an async ring
/// only: `buf_index` names a buffer registered with
/// `urb_ring_register_buffers` and `buf`/`len` must lie inside it (else the
/// completion is `-EFAULT`, as io_uring gives, also for an index with no
/// buffer or a ring with none registered). The kernel skips pinning and
/// mapping the pages per request (`IORING_OP_READ_FIXED`, kernel 5.1);
/// the fallback engine checks the same range and calls pread(2). Offset
/// and `op_flags` as for `URB_OP_READ`. Result: bytes read. The blocking
/// face, which has no registered buffers, refuses it with `-EOPNOTSUPP`.
pub const URB_OP_READ_FIXED: u8 = 37;
/// `pwrite(fd, buf, len, offset)` from a registered buffer, on an async
/// ring only: as `URB_OP_READ_FIXED` (`IORING_OP_WRITE_FIXED`, kernel
/// 5.1), and as `URB_OP_WRITE` for pipes and sockets. Result: bytes
/// written.
pub const URB_OP_WRITE_FIXED: u8 = 38;
/// `send(fd, buf, len, op_flags | MSG_NOSIGNAL)` without copying the data
/// into the kernel (`IORING_OP_SEND_ZC`, kernel 6.0), on an async ring
/// only. The kernel completes such a send twice: once with its result and
/// once more when the network stack has let go of the pages. The library
/// delivers ONE completion, after the second, carrying the send's result
/// (bytes sent or `-errno`): when it arrives the buffer may be reused.
/// (Loopback and devices without scatter-gather copy anyway; the result is
/// the same.) The fallback engine performs a plain send(2), with the same
/// result and the same rule. `op_flags` and results as `URB_OP_SEND`; it is
/// never tried on the calling thread (that would copy). The blocking face
/// refuses it with `-EOPNOTSUPP`.
pub const URB_OP_SEND_ZC: u8 = 39;
/// `sendmsg(fd, buf, op_flags | MSG_NOSIGNAL)` without copying the data
/// (`IORING_OP_SENDMSG_ZC`, kernel 6.1), on an async ring only: `buf` is a
/// `struct msghdr *` (`len` is ignored), which, with the memory it names,
/// must stay valid until the completion. One completion, after the
/// kernel's notification, with the result, exactly as `URB_OP_SEND_ZC`;
/// the fallback engine performs a plain sendmsg(2). Only an error breaks a
/// chain. The blocking face refuses it with `-EOPNOTSUPP`.
pub const URB_OP_SENDMSG_ZC: u8 = 40;
/// One past the highest opcode this version knows. New operations get new
/// numbers at the end, so existing callers keep their meaning. A number
/// below it that names no operation (a gap between families) is `-EINVAL`,
/// as any unknown opcode.
pub const URB_OP_COUNT: u8 = 41;

/// `urb_op.flags` bit: `fd` is an index into the table registered with
/// `urb_ring_register_files`, not a descriptor (`IOSQE_FIXED_FILE`). Async
/// rings only (the blocking face refuses it with `-EOPNOTSUPP`). Accepted by
/// the operations that take a descriptor in `fd` and that io_uring lets use
/// a registered file: read, write, readv, writev, fsync, recv, send,
/// accept, connect, shutdown, poll, read_fixed, write_fixed, send_zc,
/// sendmsg_zc (the rule: every operation whose `fd` is a descriptor, except
/// close); elsewhere (nop, openat, close, statx, timeout, unlinkat,
/// renameat, mkdirat) it is `-EINVAL`. An index with no file (beyond the table, a
/// sparse `-1` slot, no table) completes with `-EBADF`, as io_uring gives.
pub const URB_FLAG_FIXED_FILE: u8 = 1;

/// `offset` value that reads or writes at the file's current position.
pub const URB_OFFSET_CURRENT: u64 = u64::MAX;
/// `op_flags` bit for `URB_OP_FSYNC`: sync data only (`fdatasync`).
pub const URB_FSYNC_DATASYNC: u32 = 1;
/// Longest chain accepted by the chain calls.
pub const URB_CHAIN_MAX: u32 = 256;

/// One request. A 64-byte, 8-aligned plain struct whose layout is part of
/// the ABI (checked by `_Static_assert` in the C tests and a Rust test):
///
/// | offset | field      |
/// |--------|------------|
/// | 0      | opcode     |
/// | 1      | flags      |
/// | 2      | buf_index  |
/// | 4      | fd         |
/// | 8      | offset     |
/// | 16     | buf        |
/// | 24     | len        |
/// | 28     | op_flags   |
/// | 32     | buf2       |
/// | 40     | mode       |
/// | 44     | reserved1  |
/// | 48     | reserved2  |
///
/// The semantics, on both engines and every face: a request returns what
/// the system call it names returns (its result, the bytes it moves, its
/// side effects), unless its `URB_OP_*` says otherwise and why. In
/// particular:
/// - errors from validation are the system call's: `-EBADF` for a negative
///   descriptor, `-EFAULT` for a NULL pointer with a length, `-EINVAL` for
///   values the call refuses (and for the library's own limits: `len`
///   beyond `INT32_MAX`, more than 1024 iovecs, reserved fields);
/// - a call never returns `-EINTR`: a signal, with or without `SA_RESTART`,
///   neither fails nor shortens a request, a poll or a sleep (the library
///   restarts it). Runtimes signal their threads all the time (Go's
///   preemption, GHC's timer), so a call that failed with EINTR would fail
///   at random;
/// - the blocking face never waits where the system call would return at
///   once (`O_NONBLOCK`, `SO_RCVTIMEO`, `MSG_ERRQUEUE`, a socket that is
///   not listening); an async ring's request waits for readiness as
///   io_uring's do, whatever `O_NONBLOCK` says (the request exists to
///   complete when the operation can be done; `MSG_DONTWAIT`/`RWF_NOWAIT`
///   ask for `-EAGAIN`), and a timeout bounds it with `-ETIME`.
///
/// Zero it, then set the fields the opcode uses (each `URB_OP_*` says which),
/// or let a `urb_prep_*` function do it. Fields an opcode does not use are
/// ignored, except `flags`, `buf_index` and the `reserved*` fields, which
/// must be zero unless the opcode gives them a meaning (`URB_FLAG_*`, the
/// fixed-buffer opcodes' `buf_index`): later versions give them meaning,
/// and a request that sets them is refused with `-EINVAL` today rather
/// than misread tomorrow. (`reserved1` and `reserved2[0]` carry the second
/// descriptor and second 64-bit value of the few operations that need one:
/// splice, tee, fallocate, the xattr calls. Their names stay, so code that
/// zeroes them by name keeps compiling; the layout never changes.) The library never keeps
/// a pointer to the `urb_op` itself past the call it is passed to; the
/// memory its `buf`/`buf2` point to must stay valid until the request's
/// result has been delivered.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct urb_op {
    /// One of the `URB_OP_*` values.
    pub opcode: u8,
    /// `URB_FLAG_*` bits (0 or `URB_FLAG_FIXED_FILE`); others must be 0.
    pub flags: u8,
    /// `URB_OP_READ_FIXED`/`URB_OP_WRITE_FIXED`: the index of the
    /// registered buffer `buf` lies in. Must be 0 for every other opcode.
    pub buf_index: u16,
    /// File descriptor (or directory descriptor for openat, statx, unlinkat,
    /// renameat, mkdirat; the domain for socket).
    pub fd: i32,
    /// File offset, or nanoseconds for `URB_OP_TIMEOUT`.
    pub offset: u64,
    /// Data buffer, iovec array, path, socket address or `struct msghdr`,
    /// by opcode.
    pub buf: *mut c_void,
    /// Byte length, iovec count or address length, by opcode (renameat's
    /// new directory descriptor, socket's protocol, listen's backlog).
    pub len: u32,
    /// Per-operation flags (`RWF_*`, `MSG_*`, `O_*`, `SOCK_*`, `AT_*`, poll events, shutdown how).
    pub op_flags: u32,
    /// Second pointer: accept's `socklen_t *addrlen`, statx's `struct statx *`,
    /// renameat's new path.
    pub buf2: *mut c_void,
    /// `openat`/`mkdirat` mode, `statx` mask.
    pub mode: u32,
    /// Must be 0, except for `URB_OP_SPLICE`/`URB_OP_TEE`, whose output
    /// descriptor it holds (as an `int`; never 0, see `URB_OP_SPLICE`).
    pub reserved1: u32,
    /// Must be 0, except `reserved2[0]`: `URB_OP_FALLOCATE`'s 64-bit
    /// length, `URB_OP_SPLICE`'s output offset, `URB_OP_GETXATTR`'s and
    /// `URB_OP_SETXATTR`'s name pointer. `reserved2[1]` must be 0.
    pub reserved2: [u64; 2],
}

impl urb_op {
    pub const fn zeroed() -> urb_op {
        urb_op {
            opcode: URB_OP_NOP,
            flags: 0,
            buf_index: 0,
            fd: 0,
            offset: 0,
            buf: std::ptr::null_mut(),
            len: 0,
            op_flags: 0,
            buf2: std::ptr::null_mut(),
            mode: 0,
            reserved1: 0,
            reserved2: [0; 2],
        }
    }
}

/// The operations, as the library reasons about them.
/// The operations, as the library reasons about them (the discriminant is
/// the `URB_OP_*` number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Opcode {
    Nop = URB_OP_NOP,
    Read = URB_OP_READ,
    Write = URB_OP_WRITE,
    Readv = URB_OP_READV,
    Writev = URB_OP_WRITEV,
    Fsync = URB_OP_FSYNC,
    Openat = URB_OP_OPENAT,
    Close = URB_OP_CLOSE,
    Statx = URB_OP_STATX,
    Recv = URB_OP_RECV,
    Send = URB_OP_SEND,
    Accept = URB_OP_ACCEPT,
    Connect = URB_OP_CONNECT,
    Shutdown = URB_OP_SHUTDOWN,
    Poll = URB_OP_POLL,
    Timeout = URB_OP_TIMEOUT,
    Unlinkat = URB_OP_UNLINKAT,
    Renameat = URB_OP_RENAMEAT,
    Mkdirat = URB_OP_MKDIRAT,
    Sendmsg = URB_OP_SENDMSG,
    Recvmsg = URB_OP_RECVMSG,
    Socket = URB_OP_SOCKET,
    Bind = URB_OP_BIND,
    Listen = URB_OP_LISTEN,
    Symlinkat = URB_OP_SYMLINKAT,
    Linkat = URB_OP_LINKAT,
    Fallocate = URB_OP_FALLOCATE,
    Ftruncate = URB_OP_FTRUNCATE,
    Fadvise = URB_OP_FADVISE,
    Madvise = URB_OP_MADVISE,
    SyncFileRange = URB_OP_SYNC_FILE_RANGE,
    Splice = URB_OP_SPLICE,
    Tee = URB_OP_TEE,
    Getxattr = URB_OP_GETXATTR,
    Setxattr = URB_OP_SETXATTR,
    ReadFixed = URB_OP_READ_FIXED,
    WriteFixed = URB_OP_WRITE_FIXED,
    SendZc = URB_OP_SEND_ZC,
    SendmsgZc = URB_OP_SENDMSG_ZC,
}

impl Opcode {
    /// Every operation, in the order of their numbers.
    pub const ALL: [Opcode; 39] = [
        Opcode::Nop,
        Opcode::Read,
        Opcode::Write,
        Opcode::Readv,
        Opcode::Writev,
        Opcode::Fsync,
        Opcode::Openat,
        Opcode::Close,
        Opcode::Statx,
        Opcode::Recv,
        Opcode::Send,
        Opcode::Accept,
        Opcode::Connect,
        Opcode::Shutdown,
        Opcode::Poll,
        Opcode::Timeout,
        Opcode::Unlinkat,
        Opcode::Renameat,
        Opcode::Mkdirat,
        Opcode::Sendmsg,
        Opcode::Recvmsg,
        Opcode::Socket,
        Opcode::Bind,
        Opcode::Listen,
        Opcode::Symlinkat,
        Opcode::Linkat,
        Opcode::Fallocate,
        Opcode::Ftruncate,
        Opcode::Fadvise,
        Opcode::Madvise,
        Opcode::SyncFileRange,
        Opcode::Splice,
        Opcode::Tee,
        Opcode::Getxattr,
        Opcode::Setxattr,
        Opcode::ReadFixed,
        Opcode::WriteFixed,
        Opcode::SendZc,
        Opcode::SendmsgZc,
    ];

    pub fn from_u8(code: u8) -> Option<Opcode> {
        BY_NUMBER[code as usize]
    }

    /// Everything the library knows about this operation: see `ops`.
    pub const fn spec(self) -> &'static crate::ops::OpSpec {
        crate::ops::spec(self)
    }

    /// `buf` must lie in the registered buffer `buf_index` names.
    pub fn uses_registered_buffer(self) -> bool {
        matches!(self, Opcode::ReadFixed | Opcode::WriteFixed)
    }

    /// `URB_FLAG_FIXED_FILE` is accepted: the operation takes a
    /// descriptor in `fd`, which io_uring then looks up in the registered
    /// table (`IOSQE_FIXED_FILE`). Not close: io_uring's close of a
    /// registered file is a different request (`file_index`). Not splice
    /// or tee: io_uring's `IOSQE_FIXED_FILE` names their *output*
    /// descriptor, not `fd`, so the one flag could not mean the same there.
    pub fn takes_fixed_file(self) -> bool {
        self.spec().fd == FdUse::Required
            && !matches!(self, Opcode::Close | Opcode::Splice | Opcode::Tee)
    }

    /// The kernel opcode that carries this operation.
    pub fn kernel_opcode(self) -> u8 {
        self.spec().kernel_opcode
    }

    /// The result the caller sees for the raw result of this request: a sleep
    /// that ran its course is a success, on every engine. (A poll's events
    /// are masked by [`ValidOp::finish`], which knows what was asked.)
    pub fn finish(self, res: i32) -> i32 {
        use crate::ops::Finish;
        match self.spec().finish {
            Finish::SleepDone if res == -libc::ETIME => 0,
            Finish::AsIs | Finish::SleepDone | Finish::PollEvents => res,
        }
    }
}

/// `Opcode::from_u8` as one look-up: numbers need not be contiguous
/// (opcodes are allocated in ranges).
const BY_NUMBER: [Option<Opcode>; 256] = {
    let mut table = [None; 256];
    let mut i = 0;
    while i < Opcode::ALL.len() {
        table[Opcode::ALL[i] as usize] = Some(Opcode::ALL[i]);
        i += 1;
    }
    table
};

/// A request that passed validation. Only [`validate`] makes one.
#[derive(Clone, Copy, Debug)]
pub struct ValidOp {
    pub code: Opcode,
    pub raw: urb_op,
    /// For read/write: the length a complete transfer returns.
    pub expected_len: u64,
}

// SAFETY: a request's pointers name the caller's memory, which the caller
// keeps valid until the request completes, whichever thread performs it.
unsafe impl Send for ValidOp {}

/// Checks everything that can be checked without the kernel: opcode, reserved
/// fields, descriptors, pointers and lengths (each operation's own checks
/// are its `OpSpec::validate`). Errors are negative errno values, the ones
/// the system call would give: `-EBADF` for a negative descriptor,
/// `-EFAULT` for a NULL pointer the call would have to use, `-EINVAL` for
/// what the call itself would refuse as invalid (and for the library's own
/// limits and reserved fields). This is the blocking face's check: what
/// only an async ring can carry (registered buffers and files, zero-copy
/// sends) is `-EOPNOTSUPP` here (see [`validate_on_ring`]).
///
/// # Safety
/// For `URB_OP_READV`/`URB_OP_WRITEV`, a non-NULL `op.buf` must point to
/// `op.len` readable `struct iovec`s (validation reads them to learn the
/// request's length); for `URB_OP_OPENAT`/`URB_OP_STATX`/
/// `URB_OP_UNLINKAT`/`URB_OP_MKDIRAT`, a non-NULL `op.buf` must be a
/// NUL-terminated path (its first byte is read), and for `URB_OP_RENAMEAT`
/// `op.buf` and `op.buf2` too; for `URB_OP_SENDMSG`/`URB_OP_RECVMSG`, a
/// non-NULL `op.buf` must be a readable `struct msghdr` whose non-NULL
/// `msg_iov` points to `msg_iovlen` readable iovecs (validation reads them
/// to learn the request's length). No other pointer is dereferenced.
pub unsafe fn validate(op: &urb_op) -> Result<ValidOp, i32> {
    let v = validate_on_ring(op)?;
    if v.ring_only() {
        return Err(-libc::EOPNOTSUPP);
    }
    Ok(v)
}

/// [`validate`] for an async ring, which also takes registered buffers
/// (`URB_OP_READ_FIXED`/`URB_OP_WRITE_FIXED` with `buf_index`), registered
/// files (`URB_FLAG_FIXED_FILE`) and zero-copy sends.
///
/// # Safety
/// As [`validate`].
pub unsafe fn validate_on_ring(op: &urb_op) -> Result<ValidOp, i32> {
    let Some(code) = Opcode::from_u8(op.opcode) else {
        return Err(-libc::EINVAL);
    };
    if op.flags & !URB_FLAG_FIXED_FILE != 0 {
        return Err(-libc::EINVAL);
    }
    let spec = code.spec();
    if op.buf_index != 0 && !code.uses_registered_buffer() {
        return Err(-libc::EINVAL);
    }
    if op.flags & URB_FLAG_FIXED_FILE != 0 && !code.takes_fixed_file() {
        return Err(-libc::EINVAL);
    }
    // The second descriptor and value, where the operation gives them meaning.
    let (second_fd, second_value) = match spec.extra {
        Extra::Unused => (false, false),
        Extra::Length => (false, true),
        Extra::OutputFd => (true, false),
        Extra::OutputFdAndOffset => (true, true),
        Extra::Name => (false, true),
    };
    if (!second_fd && op.reserved1 != 0)
        || (!second_value && op.reserved2[0] != 0)
        || op.reserved2[1] != 0
    {
        return Err(-libc::EINVAL);
    }
    // A directory descriptor is checked with its path: the kernel ignores
    // it for an absolute one.
    match spec.fd {
        FdUse::Required if op.fd < 0 => return Err(-libc::EBADF),
        FdUse::Required | FdUse::None | FdUse::Directory => {}
    }
    let expected_len = (spec.validate)(op)?;
    Ok(ValidOp {
        code,
        raw: *op,
        expected_len,
    })
}

/// The iovec array of a readv/writev request.
///
/// # Safety
/// `op.buf` must point to `op.len` iovecs (the caller's promise).
pub unsafe fn iovecs(op: &urb_op) -> &[libc::iovec] {
    if op.len == 0 || op.buf.is_null() {
        &[]
    } else {
        std::slice::from_raw_parts(op.buf as *const libc::iovec, op.len as usize)
    }
}

impl ValidOp {
    /// `fd` is an index into the ring's registered files.
    pub fn fixed_file(&self) -> bool {
        self.raw.flags & URB_FLAG_FIXED_FILE != 0
    }

    /// `buf` lies in one of the ring's registered buffers.
    pub fn registered_buffer(&self) -> bool {
        self.code.uses_registered_buffer()
    }

    /// What only an async ring can carry: registered buffers or files, or
    /// an operation that completes twice in the kernel (zero-copy sends).
    pub fn ring_only(&self) -> bool {
        self.fixed_file()
            || matches!(
                self.code,
                Opcode::ReadFixed | Opcode::WriteFixed | Opcode::SendZc | Opcode::SendmsgZc
            )
    }

    /// See [`Opcode::finish`]. A poll reports what poll(2) would: the
    /// requested events plus `POLLERR`/`POLLHUP` (io_uring adds
    /// `POLLRDHUP` on its own).
    pub fn finish(&self, res: i32) -> i32 {
        match self.code.spec().finish {
            Finish::PollEvents if res > 0 => {
                res & (self.raw.op_flags as i32 | (libc::POLLERR | libc::POLLHUP) as i32)
            }
            Finish::AsIs | Finish::SleepDone | Finish::PollEvents => self.code.finish(res),
        }
    }

    /// `-EINVAL` for a request that may only end a chain
    /// (`ChainRule::LastOnly`) placed before another one.
    pub fn check_chain_position(&self, is_last: bool) -> Result<(), i32> {
        match self.code.spec().chain {
            ChainRule::LastOnly if !is_last => Err(-libc::EINVAL),
            ChainRule::LastOnly
            | ChainRule::ErrorOnly
            | ChainRule::ShortBreaks
            | ChainRule::ShortBreaksWithWaitall => Ok(()),
        }
    }

    /// Whether this result makes the kernel cancel the rest of a linked chain.
    /// The fallback engine follows the same rule so chains behave alike.
    pub fn breaks_chain(&self, res: i32) -> bool {
        if res < 0 {
            return true;
        }
        match self.code.spec().chain {
            ChainRule::ErrorOnly | ChainRule::LastOnly => false,
            ChainRule::ShortBreaks => res as u64 != self.expected_len,
            ChainRule::ShortBreaksWithWaitall => {
                self.raw.op_flags & libc::MSG_WAITALL as u32 != 0
                    && (res as u64) < self.expected_len
            }
        }
    }
}

#[cfg(test)]
mod tests {
    // Every request validated here names the test's own live memory.
    #![allow(clippy::undocumented_unsafe_blocks)]
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    fn layout_is_the_documented_one() {
        assert_eq!(size_of::<urb_op>(), 64);
        assert_eq!(align_of::<urb_op>(), 8);
        assert_eq!(offset_of!(urb_op, opcode), 0);
        assert_eq!(offset_of!(urb_op, flags), 1);
        assert_eq!(offset_of!(urb_op, fd), 4);
        assert_eq!(offset_of!(urb_op, offset), 8);
        assert_eq!(offset_of!(urb_op, buf), 16);
        assert_eq!(offset_of!(urb_op, len), 24);
        assert_eq!(offset_of!(urb_op, op_flags), 28);
        assert_eq!(offset_of!(urb_op, buf2), 32);
        assert_eq!(offset_of!(urb_op, mode), 40);
        assert_eq!(offset_of!(urb_op, reserved1), 44);
        assert_eq!(offset_of!(urb_op, reserved2), 48);
    }

    #[test]
    fn every_opcode_number_maps_back() {
        for code in Opcode::ALL {
            assert_eq!(Opcode::from_u8(code as u8), Some(code));
            assert!((code as u8) < URB_OP_COUNT);
        }
        let known = (0..=255u8).filter(|&n| Opcode::from_u8(n).is_some());
        assert_eq!(known.count(), Opcode::ALL.len());
        assert_eq!(Opcode::from_u8(URB_OP_COUNT), None);
    }

    #[test]
    fn validation_refuses_bad_requests() {
        let mut op = urb_op::zeroed();
        op.opcode = URB_OP_COUNT;
        assert_eq!(unsafe { validate(&op) }.unwrap_err(), -libc::EINVAL);

        let mut op = urb_op::zeroed();
        op.opcode = URB_OP_READ;
        op.fd = 0;
        op.len = 10;
        assert_eq!(
            unsafe { validate(&op) }.unwrap_err(),
            -libc::EFAULT,
            "NULL buffer"
        );

        let mut buf = [0u8; 4];
        op.buf = buf.as_mut_ptr().cast();
        op.len = 4;
        op.fd = -1;
        assert_eq!(
            unsafe { validate(&op) }.unwrap_err(),
            -libc::EBADF,
            "missing fd"
        );
        op.fd = 0;
        assert!(unsafe { validate(&op) }.is_ok());
        op.reserved2[1] = 1;
        assert_eq!(
            unsafe { validate(&op) }.unwrap_err(),
            -libc::EINVAL,
            "reserved field"
        );

        let mut op = urb_op::zeroed();
        op.opcode = URB_OP_OPENAT;
        op.fd = libc::AT_FDCWD;
        assert_eq!(
            unsafe { validate(&op) }.unwrap_err(),
            -libc::EFAULT,
            "NULL path"
        );
    }

    #[test]
    fn short_reads_break_chains_short_recvs_do_not() {
        let mut buf = [0u8; 8];
        let mut op = urb_op::zeroed();
        op.opcode = URB_OP_READ;
        op.fd = 0;
        op.buf = buf.as_mut_ptr().cast();
        op.len = 8;
        let v = unsafe { validate(&op) }.unwrap();
        assert!(v.breaks_chain(4));
        assert!(!v.breaks_chain(8));
        op.opcode = URB_OP_RECV;
        let v = unsafe { validate(&op) }.unwrap();
        assert!(!v.breaks_chain(4));
        assert!(v.breaks_chain(-libc::EAGAIN));
    }
}
