//! The blocking face: the calling thread sleeps until its request is done.
//!
//! Each OS thread gets its own small ring on its first call; it is freed when
//! the thread exits. Nothing is left in flight when a call returns.

use super::{ffi_boundary, flatten, try_mut, try_ref};
use crate::op::{urb_op, URB_CHAIN_MAX};
use crate::sqe::urb_sqe_fill_fn;
use crate::{blocking, prep, tryfirst};
use libc::{c_char, c_void};

/// Performs one request and returns its result: `>= 0` on success (bytes
/// transferred, a new descriptor, ...), `-errno` on failure. `-EINVAL` for a
/// NULL `op` or one that fails validation, `-ENOSYS` for an operation the
/// kernel's io_uring lacks. `op` is read during the call only; the memory its
/// pointers name must stay valid until the call returns.
///
/// Where the ring would only add a hand-over, the request is the system
/// call itself on the calling thread, with the same result: a read whose
/// data is at hand (cached file data, a pipe or socket with bytes waiting;
/// never part of a file's range) and a write to a regular file or block
/// device (io_uring hands buffered file writes to a kernel worker). A
/// timed write (`urb_submit_blocking_timeout`) always takes the ring.
#[no_mangle]
pub extern "C" fn urb_submit_blocking(op: *const urb_op) -> i32 {
    // SAFETY: try_ref refuses NULL; a non-NULL `op` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_ref(op) }.map(|op| blocking::submit(op, None))) }
}

/// Like `urb_submit_blocking`, but gives up after `timeout_ns` nanoseconds:
/// then the request is cancelled and the result is `-ETIME` (or, for a
/// transfer that had moved some bytes, their count). A request that
/// completes first returns its own result; a socket's own `SO_RCVTIMEO` or
/// `SO_SNDTIMEO` running out first gives `-EAGAIN`, as the system call
/// does. Requests that fail or finish at once (a read on a pipe's write
/// end, `MSG_OOB` with no urgent data, a zero-length read) do so at once,
/// on both engines.
#[no_mangle]
pub extern "C" fn urb_submit_blocking_timeout(op: *const urb_op, timeout_ns: u64) -> i32 {
    // SAFETY: try_ref refuses NULL; a non-NULL `op` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_ref(op) }.map(|op| blocking::submit(op, Some(timeout_ns)))) }
}

/// Performs `ops[0..n]` as one `IOSQE_IO_LINK` chain: each request starts only
/// after the previous one succeeded. A failure (an error, or a read/write that
/// moved fewer bytes than asked) cancels the rest, whose results are
/// `-ECANCELED`. `results[i]` receives request i's result. A chain of one is
/// exactly `urb_submit_blocking`. In a longer chain, transfers on a pipe or
/// socket in `O_NONBLOCK` mode answer `-EAGAIN` (ending the chain) as the
/// system call would; one difference is kept: on io_uring a write to a
/// blocking pipe or socket that stops short ends the chain (the kernel's
/// link rule), where the fallback's write(2) moves everything — submit such
/// a write alone. Returns 0 when every
/// request succeeded, otherwise the first negative `results[i]`. `-EINVAL`
/// (nothing submitted) for NULL arrays, `n == 0` or `n > URB_CHAIN_MAX`; when a
/// request fails validation nothing is submitted, its `results[i]` holds the
/// reason and the others `-ECANCELED`. `ops` and `results` are used during the
/// call only.
#[no_mangle]
pub extern "C" fn urb_submit_chain_blocking(
    ops: *const urb_op,
    n: usize,
    results: *mut i32,
) -> i32 {
    ffi_boundary! {
        if ops.is_null() || results.is_null() || n == 0 || n > URB_CHAIN_MAX as usize {
            return -libc::EINVAL;
        }
        // SAFETY: non-NULL, and the caller promises n elements each.
        let (ops, results) = unsafe {
            (std::slice::from_raw_parts(ops, n), std::slice::from_raw_parts_mut(results, n))
        };
        blocking::submit_chain(ops, results)
    }
}

/// Performs `op` on the calling thread only if it can finish without
/// waiting. Returns 1 when it finished (its result, `>= 0` or `-errno`, is in
/// `*result`; a request refused by validation also finishes, with its
/// `-errno`), 0 when it would have had to wait (nothing was done: no byte
/// was moved, no descriptor created; `*result` is untouched), and `-EINVAL`
/// for a NULL `op` or `result`.
///
/// For green-thread runtimes: try here first, and only hand requests that
/// got 0 to an async ring (`urb_ring_submit`) and park — a request that can
/// finish at once then costs one system call on the caller's thread instead
/// of a hand-over to the ring's owner thread and a wake-up back. Never
/// blocks, so it may be called where blocking is not allowed (GHC's `unsafe`
/// calls, a Go goroutine). Nothing is left in flight when it returns.
///
/// Tried now: `URB_OP_NOP`; `URB_OP_RECV`, `URB_OP_SEND`, `URB_OP_RECVMSG`
/// and `URB_OP_SENDMSG` without `MSG_WAITALL` (with `MSG_DONTWAIT`: a
/// socket with no data or no room gives 0; a caller's own `MSG_DONTWAIT`
/// gets `-EAGAIN` as the result);
/// `URB_OP_ACCEPT` on a listener in `O_NONBLOCK` mode with a plain
/// `accept4` on the calling thread, on both engines (its result or errno;
/// an empty backlog gives 0), and on a blocking listener with io_uring's
/// `IORING_ACCEPT_DONTWAIT` (Linux 6.10+; the fallback engine gives 0);
/// on io_uring, `URB_OP_READ` and `URB_OP_READV` at an
/// explicit offset (not `URB_OFFSET_CURRENT`), with `RWF_NOWAIT`: cached file
/// data or a pipe or socket with data finishes here. A regular file or block
/// device read that could get only part of its range without waiting gives 0
/// (the waiting read returns the whole range; `buf` may have been partly
/// written, and the ring's read rewrites it); `O_DIRECT` descriptors give 0
/// (their reads wait for the device); a caller's own `RWF_NOWAIT` gets
/// `-EAGAIN` as the result. Every other operation gives 0 (writes too: a
/// write split into a part done here and a rest done later could be
/// overtaken by the caller's next write to the same stream).
#[no_mangle]
pub extern "C" fn urb_submit_nowait(op: *const urb_op, result: *mut i32) -> i32 {
    ffi_boundary! {
        // SAFETY: NULL or the caller's valid pointers (try_* check NULL).
        let (op, result) = match unsafe { (try_ref(op), try_mut(result)) } {
            (Ok(op), Ok(result)) => (op, result),
            _ => return -libc::EINVAL,
        };
        match tryfirst::submit_nowait(op) {
            Some(res) => {
                *result = res;
                1
            }
            None => 0,
        }
    }
}

/// A raw request, in the style of a GHC I/O manager's
/// `submitBlocking :: (UserData -> SqeBuilder ()) -> IO Int32` (fill an SQE,
/// sleep until its CQE comes): `fill(ctx, sqe)` fills a zeroed
/// `struct io_uring_sqe` (any opcode the kernel knows) and returns 0 to submit
/// it, or a negative errno to abandon it (returned as is). The library owns
/// `user_data` and clears `IOSQE_IO_LINK`, `IOSQE_IO_HARDLINK` and
/// `IOSQE_CQE_SKIP_SUCCESS`; a multishot request is cancelled after its first
/// completion. Returns the CQE's `res`. `sqe` is valid only inside `fill`;
/// `ctx` is passed through untouched. On the fallback engine the common
/// opcodes (those with a `URB_OP_*` twin, without fixed files, provided
/// buffers or multishot) are performed with plain syscalls, others give
/// `-ENOSYS`. `-EINVAL` if `fill` is NULL.
#[no_mangle]
pub extern "C" fn urb_submit_blocking_sqe(fill: urb_sqe_fill_fn, ctx: *mut c_void) -> i32 {
    // SAFETY: the header states what `fill`, `ctx` and the SQE must be.
    ffi_boundary! { unsafe { blocking::submit_sqe(fill, ctx) } }
}

/// A round trip through the engine that does nothing; returns 0.
#[no_mangle]
pub extern "C" fn urb_nop() -> i32 {
    ffi_boundary! { blocking::submit(&prep::nop(), None) }
}

/// Reads up to `len` bytes at `offset` (`URB_OFFSET_CURRENT` = the file
/// position, which then advances). Returns bytes read, 0 at end of file.
#[no_mangle]
pub extern "C" fn urb_read(fd: i32, buf: *mut c_void, len: u32, offset: u64) -> i32 {
    ffi_boundary! { blocking::submit(&prep::read(fd, buf, len, offset), None) }
}

/// Writes `len` bytes at `offset` (`URB_OFFSET_CURRENT` = the file
/// position). Returns bytes written: all of them on a blocking descriptor,
/// as write(2). A pipe or socket without a reader gives `-EPIPE`, never
/// `SIGPIPE` (see `URB_OP_WRITE`).
#[no_mangle]
pub extern "C" fn urb_write(fd: i32, buf: *const c_void, len: u32, offset: u64) -> i32 {
    ffi_boundary! { blocking::submit(&prep::write(fd, buf, len, offset), None) }
}

/// Scatter read into `iovcnt` (at most 1024) buffers. Returns bytes read.
#[no_mangle]
pub extern "C" fn urb_readv(fd: i32, iov: *const libc::iovec, iovcnt: u32, offset: u64) -> i32 {
    ffi_boundary! { blocking::submit(&prep::readv(fd, iov, iovcnt, offset), None) }
}

/// Gather write from `iovcnt` (at most 1024) buffers. Returns bytes written
/// (as `urb_write`: complete on a blocking descriptor, `-EPIPE` never
/// `SIGPIPE`).
#[no_mangle]
pub extern "C" fn urb_writev(fd: i32, iov: *const libc::iovec, iovcnt: u32, offset: u64) -> i32 {
    ffi_boundary! { blocking::submit(&prep::writev(fd, iov, iovcnt, offset), None) }
}

/// Receives up to `len` bytes from a socket; `flags` are `MSG_*`. Returns
/// bytes received, 0 when the peer has shut down; `-EAGAIN` at once on a
/// socket in `O_NONBLOCK` mode with no data, or when `SO_RCVTIMEO` runs
/// out, as recv(2).
#[no_mangle]
pub extern "C" fn urb_recv(fd: i32, buf: *mut c_void, len: u32, flags: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::recv(fd, buf, len, flags), None) }
}

/// Sends `len` bytes on a socket; `flags` are `MSG_*` (`MSG_NOSIGNAL`
/// is always added). Returns bytes sent: all of them on a blocking stream
/// socket, as send(2).
#[no_mangle]
pub extern "C" fn urb_send(fd: i32, buf: *const c_void, len: u32, flags: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::send(fd, buf, len, flags), None) }
}

/// Accepts a connection; `addr`/`addrlen` may both be NULL, otherwise
/// `*addrlen` is the size of `addr` on entry and of the peer address on
/// return. `flags`: `SOCK_NONBLOCK`, `SOCK_CLOEXEC`. Returns the new socket,
/// which the caller owns and must close; `-EAGAIN` at once on a listener in
/// `O_NONBLOCK` mode with an empty backlog, as accept4(2).
#[no_mangle]
pub extern "C" fn urb_accept(fd: i32, addr: *mut c_void, addrlen: *mut u32, flags: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::accept(fd, addr, addrlen, flags), None) }
}

/// Connects a socket to `addr` (`addrlen` bytes). Returns 0 once connected;
/// a socket in `O_NONBLOCK` mode gets `-EINPROGRESS` as from connect(2),
/// and its `SO_ERROR` is left for the caller.
#[no_mangle]
pub extern "C" fn urb_connect(fd: i32, addr: *const c_void, addrlen: u32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::connect(fd, addr, addrlen), None) }
}

/// Opens `path` relative to `dirfd` (or `AT_FDCWD`) with `O_*` `flags` and
/// `mode`. Returns the new descriptor, which the caller owns and must close.
#[no_mangle]
pub extern "C" fn urb_openat(dirfd: i32, path: *const c_char, flags: i32, mode: u32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::openat(dirfd, path, flags, mode), None) }
}

/// Closes `fd`. Returns 0.
#[no_mangle]
pub extern "C" fn urb_close(fd: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::close(fd), None) }
}

/// Flushes `fd` to storage; `flags` 0 or `URB_FSYNC_DATASYNC`. Returns 0.
#[no_mangle]
pub extern "C" fn urb_fsync(fd: i32, flags: u32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::fsync(fd, flags), None) }
}

/// `statx(2)`: fills `*out` (a `struct statx`) for `path` relative to `dirfd`;
/// `flags` are `AT_*`, `mask` is `STATX_*`. Returns 0.
#[no_mangle]
pub extern "C" fn urb_statx(
    dirfd: i32,
    path: *const c_char,
    flags: i32,
    mask: u32,
    out: *mut c_void,
) -> i32 {
    ffi_boundary! { blocking::submit(&prep::statx(dirfd, path, flags, mask, out), None) }
}

/// `unlinkat(2)`: removes `path` relative to `dirfd` (or `AT_FDCWD`); with
/// `flags` `AT_REMOVEDIR` it removes an empty directory, with 0 anything
/// else (any other flag is `-EINVAL`). Returns 0, or unlinkat(2)'s error
/// (`-ENOENT`, `-EISDIR`, `-ENOTDIR`, `-ENOTEMPTY`, ...). `-ENOSYS` on an
/// io_uring kernel without `IORING_OP_UNLINKAT` (before 5.11). `path` is
/// only read during the call.
#[no_mangle]
pub extern "C" fn urb_unlinkat(dirfd: i32, path: *const c_char, flags: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::unlinkat(dirfd, path, flags), None) }
}

/// `renameat2(2)`: renames `oldpath` (relative to `olddirfd`) to `newpath`
/// (relative to `newdirfd`); `flags` (`RENAME_NOREPLACE`,
/// `RENAME_EXCHANGE`, `RENAME_WHITEOUT`, or 0) are the kernel's to judge.
/// Returns 0, or renameat2(2)'s error (`-ENOENT`, `-EEXIST`, `-ENOTDIR`,
/// `-EISDIR`, `-ENOTEMPTY`, ...). `-ENOSYS` on an io_uring kernel without
/// `IORING_OP_RENAMEAT` (before 5.11). The paths are only read during the
/// call.
#[no_mangle]
pub extern "C" fn urb_renameat(
    olddirfd: i32,
    oldpath: *const c_char,
    newdirfd: i32,
    newpath: *const c_char,
    flags: u32,
) -> i32 {
    ffi_boundary! { blocking::submit(&prep::renameat(olddirfd, oldpath, newdirfd, newpath, flags), None) }
}

/// `mkdirat(2)`: creates the directory `path` relative to `dirfd` (or
/// `AT_FDCWD`) with `mode` (less the umask). Returns 0, or mkdirat(2)'s
/// error (`-EEXIST`, `-ENOENT`, `-ENOTDIR`, ...). `-ENOSYS` on an io_uring
/// kernel without `IORING_OP_MKDIRAT` (before 5.15). `path` is only read
/// during the call.
#[no_mangle]
pub extern "C" fn urb_mkdirat(dirfd: i32, path: *const c_char, mode: u32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::mkdirat(dirfd, path, mode), None) }
}

/// `symlinkat(2)`: creates the symbolic link `linkpath` (relative to
/// `newdirfd`, or `AT_FDCWD`) holding `target`, which is not resolved.
/// Returns 0, or symlinkat(2)'s error (`-EEXIST`, `-ENOENT`, `-ENOTDIR`,
/// ...). `-ENOSYS` on an io_uring kernel without `IORING_OP_SYMLINKAT`
/// (before 5.15). The strings are only read during the call.
#[no_mangle]
pub extern "C" fn urb_symlinkat(
    target: *const c_char,
    newdirfd: i32,
    linkpath: *const c_char,
) -> i32 {
    ffi_boundary! { blocking::submit(&prep::symlinkat(target, newdirfd, linkpath), None) }
}

/// `linkat(2)`: gives the file `oldpath` (relative to `olddirfd`) the new
/// name `newpath` (relative to `newdirfd`); `flags` 0, `AT_SYMLINK_FOLLOW`
/// or `AT_EMPTY_PATH` (any other bit is `-EINVAL`). Returns 0, or
/// linkat(2)'s error (`-EEXIST`, `-ENOENT`, `-EPERM` for a directory, ...).
/// `-ENOSYS` on an io_uring kernel without `IORING_OP_LINKAT` (before
/// 5.15). The paths are only read during the call.
#[no_mangle]
pub extern "C" fn urb_linkat(
    olddirfd: i32,
    oldpath: *const c_char,
    newdirfd: i32,
    newpath: *const c_char,
    flags: i32,
) -> i32 {
    ffi_boundary! { blocking::submit(&prep::linkat(olddirfd, oldpath, newdirfd, newpath, flags), None) }
}

/// `fallocate(2)`: `mode` 0 (allocate, extending the file) or
/// `FALLOC_FL_*`, for `len` bytes at `offset`. Returns 0, or fallocate(2)'s
/// error (`-EOPNOTSUPP` for a mode the filesystem lacks, `-EINVAL` for a
/// length of 0, `-EBADF` for a descriptor not open for writing, ...).
#[no_mangle]
pub extern "C" fn urb_fallocate(fd: i32, mode: i32, offset: u64, len: u64) -> i32 {
    ffi_boundary! { blocking::submit(&prep::fallocate(fd, mode, offset, len), None) }
}

/// `ftruncate(2)`: sets the file's length to `length`. Returns 0, or
/// ftruncate(2)'s error (`-EINVAL` for a descriptor not open for writing
/// or a length beyond `INT64_MAX`). `-ENOSYS` on an io_uring kernel
/// without `IORING_OP_FTRUNCATE` (before 6.9).
#[no_mangle]
pub extern "C" fn urb_ftruncate(fd: i32, length: u64) -> i32 {
    ffi_boundary! { blocking::submit(&prep::ftruncate(fd, length), None) }
}

/// `posix_fadvise(2)`: `advice` (`POSIX_FADV_*`) about `len` bytes at
/// `offset` (0: to the end of the file). Returns 0 or `-errno` (`-EINVAL`
/// for an unknown advice, `-ESPIPE` for a pipe).
#[no_mangle]
pub extern "C" fn urb_fadvise(fd: i32, offset: u64, len: u32, advice: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::fadvise(fd, offset, len, advice), None) }
}

/// `madvise(2)`: `advice` (`MADV_*`) about `len` bytes of this process's
/// memory at `addr` (page aligned). Returns 0, or madvise(2)'s error
/// (`-EINVAL`, `-ENOMEM` for an unmapped range, ...).
#[no_mangle]
pub extern "C" fn urb_madvise(addr: *mut c_void, len: u32, advice: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::madvise(addr, len, advice), None) }
}

/// `sync_file_range(2)`: `flags` (`SYNC_FILE_RANGE_*`) for `len` bytes at
/// `offset` (0: to the end of the file). Returns 0, or sync_file_range(2)'s
/// error (`-EINVAL` for an unknown flag, `-ESPIPE` for a pipe, ...).
#[no_mangle]
pub extern "C" fn urb_sync_file_range(fd: i32, offset: u64, len: u32, flags: u32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::sync_file_range(fd, offset, len, flags), None) }
}

/// `splice(2)`: moves up to `len` bytes from `fd_in` to `fd_out` (one of
/// them a pipe) at `off_in`/`off_out`, each `URB_OFFSET_CURRENT` for none
/// (splice(2)'s NULL; the only value a pipe accepts). `flags`:
/// `SPLICE_F_*`. Returns the bytes moved, 0 at end of input; waits as
/// splice(2) does. `fd_out` 0 is `-EBADF` (see `URB_OP_SPLICE`); `-EPIPE`,
/// never `SIGPIPE`, for a pipe without readers.
#[no_mangle]
pub extern "C" fn urb_splice(
    fd_in: i32,
    off_in: u64,
    fd_out: i32,
    off_out: u64,
    len: u32,
    flags: u32,
) -> i32 {
    ffi_boundary! { blocking::submit(&prep::splice(fd_in, off_in, fd_out, off_out, len, flags), None) }
}

/// `tee(2)`: duplicates up to `len` bytes from the pipe `fd_in` into the
/// pipe `fd_out` without consuming them. Returns the bytes duplicated; as
/// `urb_splice` otherwise.
#[no_mangle]
pub extern "C" fn urb_tee(fd_in: i32, fd_out: i32, len: u32, flags: u32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::tee(fd_in, fd_out, len, flags), None) }
}

/// `getxattr(2)`: reads the extended attribute `name` of the file at `path`
/// (symbolic links followed) into `value`, at most `size` bytes (`size` 0:
/// the value's length). Returns the value's length, or getxattr(2)'s error
/// (`-ENODATA`, `-ERANGE`, `-EOPNOTSUPP`, ...). `-ENOSYS` on an io_uring
/// kernel without `IORING_OP_GETXATTR` (before 5.19).
#[no_mangle]
pub extern "C" fn urb_getxattr(
    path: *const c_char,
    name: *const c_char,
    value: *mut c_void,
    size: u32,
) -> i32 {
    ffi_boundary! { blocking::submit(&prep::getxattr(path, name, value, size), None) }
}

/// `setxattr(2)`: sets the extended attribute `name` of the file at `path`
/// to the `size` bytes at `value`; `flags` 0, `XATTR_CREATE` or
/// `XATTR_REPLACE`. Returns 0, or setxattr(2)'s error (`-EEXIST`,
/// `-ENODATA`, `-E2BIG`, `-EOPNOTSUPP`, ...). `-ENOSYS` before 5.19 on
/// io_uring.
#[no_mangle]
pub extern "C" fn urb_setxattr(
    path: *const c_char,
    name: *const c_char,
    value: *const c_void,
    size: u32,
    flags: i32,
) -> i32 {
    ffi_boundary! { blocking::submit(&prep::setxattr(path, name, value, size, flags), None) }
}

/// Shuts down part of a connection: `how` is `SHUT_RD`, `SHUT_WR` or
/// `SHUT_RDWR`. Returns 0.
#[no_mangle]
pub extern "C" fn urb_shutdown(fd: i32, how: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::shutdown(fd, how), None) }
}

/// Waits until `fd` has one of `events` (`POLLIN`, `POLLOUT`, ...; 0 for
/// error or hang-up only). Returns the ready events among those, plus
/// error and hang-up, as poll(2) reports them; never `-EINTR`.
#[no_mangle]
pub extern "C" fn urb_poll(fd: i32, events: u32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::poll(fd, events), None) }
}

/// Sleeps `ns` nanoseconds on the engine's timer. Returns 0 once the time has
/// passed; signals neither shorten it nor make it fail.
#[no_mangle]
pub extern "C" fn urb_sleep_ns(ns: u64) -> i32 {
    ffi_boundary! { blocking::submit(&prep::timeout(ns), None) }
}

/// `sendmsg(2)`: sends the data of `msg`'s iovecs, to `msg_name` when set,
/// with its ancillary data (`SCM_RIGHTS`, ...); `flags` are `MSG_*` (those
/// `URB_OP_SENDMSG` lists; `MSG_NOSIGNAL` is always added). Returns bytes
/// sent: all of them on a blocking stream socket, as sendmsg(2); `-EAGAIN`
/// at once on a socket in `O_NONBLOCK` mode without room, or when
/// `SO_SNDTIMEO` runs out; `-EPIPE`, never `SIGPIPE`, without a peer.
/// `msg` and what it names are only read during the call.
#[no_mangle]
pub extern "C" fn urb_sendmsg(fd: i32, msg: *const libc::msghdr, flags: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::sendmsg(fd, msg, flags), None) }
}

/// `recvmsg(2)`: receives into `msg`'s iovecs, the sender's address into
/// `msg_name` and ancillary data into `msg_control`; `flags` are `MSG_*`
/// (those `URB_OP_RECVMSG` lists, `MSG_CMSG_CLOEXEC` included). Returns
/// bytes received, 0 when the peer has shut down, and writes
/// `msg_namelen`, `msg_controllen` and `msg_flags` back into `*msg` as
/// recvmsg(2) does; `-EAGAIN` at once on a socket in `O_NONBLOCK` mode with
/// no data, or when `SO_RCVTIMEO` runs out. Descriptors received with
/// `SCM_RIGHTS` are the caller's to close. `msg` and what it names are
/// used during the call only.
#[no_mangle]
pub extern "C" fn urb_recvmsg(fd: i32, msg: *mut libc::msghdr, flags: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::recvmsg(fd, msg, flags), None) }
}

/// A msghdr of one buffer and an address.
fn one_buffer_msghdr(iov: &mut libc::iovec, addr: *mut c_void, addrlen: u32) -> libc::msghdr {
    // SAFETY: msghdr is plain data; zero is "no address, no control".
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = addr;
    msg.msg_namelen = addrlen;
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg
}

/// `sendto(2)`: sends `len` bytes to `addr` (`addrlen` bytes; NULL for a
/// connected socket, as send(2)); `flags` as `urb_sendmsg`. Returns bytes
/// sent, as `urb_sendmsg` (it is one, with a msghdr of one buffer). `buf`
/// and `addr` are only read during the call.
#[no_mangle]
pub extern "C" fn urb_sendto(
    fd: i32,
    buf: *const c_void,
    len: u32,
    flags: i32,
    addr: *const c_void,
    addrlen: u32,
) -> i32 {
    ffi_boundary! {
        let mut iov = libc::iovec { iov_base: buf as *mut _, iov_len: len as usize };
        let msg = one_buffer_msghdr(&mut iov, addr as *mut _, addrlen);
        blocking::submit(&prep::sendmsg(fd, &msg, flags), None)
    }
}

/// `recvfrom(2)`: receives up to `len` bytes; when `addr` is not NULL, the
/// sender's address goes there and `*addrlen` (its size on entry) becomes
/// the address's full length (which may exceed the size given, as
/// recvfrom(2): the address is then cut short; 0 on a connected stream).
/// `addr` and `addrlen` may both be NULL; `addr` without `addrlen` is
/// `-EFAULT` before anything is received (recvfrom(2) would take the data
/// and then fail). `flags` as `urb_recvmsg`. Returns bytes received, as
/// `urb_recvmsg` (it is one, with a msghdr of one buffer). The pointers are
/// used during the call only.
#[no_mangle]
pub extern "C" fn urb_recvfrom(
    fd: i32,
    buf: *mut c_void,
    len: u32,
    flags: i32,
    addr: *mut c_void,
    addrlen: *mut u32,
) -> i32 {
    ffi_boundary! {
        if !addr.is_null() && addrlen.is_null() {
            return -libc::EFAULT;
        }
        let size = match addr.is_null() {
            true => 0,
            // SAFETY: non-NULL, the caller's socklen_t.
            false => unsafe { *addrlen },
        };
        let mut iov = libc::iovec { iov_base: buf, iov_len: len as usize };
        let mut msg = one_buffer_msghdr(&mut iov, addr, size);
        let res = blocking::submit(&prep::recvmsg(fd, &mut msg, flags), None);
        if res >= 0 && !addr.is_null() {
            // SAFETY: as above.
            unsafe { *addrlen = msg.msg_namelen };
        }
        res
    }
}

/// `socket(2)`: a new socket of `domain` (`AF_INET`, `AF_INET6`,
/// `AF_UNIX`, ...), `type` (`SOCK_STREAM`, `SOCK_DGRAM`, ..., or'ed with
/// `SOCK_NONBLOCK`, `SOCK_CLOEXEC`) and `protocol` (0 for the default).
/// Returns the descriptor, which the caller owns and must close, or
/// socket(2)'s error (`-EAFNOSUPPORT`, `-EINVAL`, `-EPROTONOSUPPORT`,
/// `-EMFILE`, ...). `-ENOSYS` on an io_uring kernel without
/// `IORING_OP_SOCKET` (before 5.19).
#[no_mangle]
pub extern "C" fn urb_socket(domain: i32, socket_type: i32, protocol: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::socket(domain, socket_type, protocol), None) }
}

/// `bind(2)`: gives `fd` the address `addr` (`addrlen` bytes). Returns 0,
/// or bind(2)'s error (`-EADDRINUSE`, `-EINVAL`, `-EACCES`, ...; a NULL
/// `addr` is `-EFAULT`, `addrlen` 0 `-EINVAL`). `-ENOSYS` on an io_uring
/// kernel without `IORING_OP_BIND` (before 6.11). `addr` is only read
/// during the call.
#[no_mangle]
pub extern "C" fn urb_bind(fd: i32, addr: *const c_void, addrlen: u32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::bind(fd, addr, addrlen), None) }
}

/// `listen(2)`: makes `fd` accept connections, with up to `backlog`
/// waiting (capped at `net.core.somaxconn`). Returns 0, or listen(2)'s
/// error (`-EOPNOTSUPP` for a datagram socket, `-EINVAL` for a connected
/// one, ...). `-ENOSYS` on an io_uring kernel without `IORING_OP_LISTEN`
/// (before 6.11).
#[no_mangle]
pub extern "C" fn urb_listen(fd: i32, backlog: i32) -> i32 {
    ffi_boundary! { blocking::submit(&prep::listen(fd, backlog), None) }
}
