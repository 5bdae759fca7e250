//! `urb_prep_*`: fill a `urb_op` for one operation, so callers in any
//! language build requests without knowing the struct's field assignment.
//! Each writes every field of `*out` (the old contents do not matter) and
//! returns 0, or `-EINVAL` if `out` is NULL. Nothing is validated here: the
//! submitting call does that.

use super::{ffi_boundary, flatten, try_mut};
use crate::op::urb_op;
use crate::prep;
use libc::{c_char, c_void};

/// A request that does nothing (`URB_OP_NOP`).
#[no_mangle]
pub extern "C" fn urb_prep_nop(out: *mut urb_op) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::nop(); 0 })) }
}

/// `URB_OP_READ`: see `urb_read`.
#[no_mangle]
pub extern "C" fn urb_prep_read(
    fd: i32,
    buf: *mut c_void,
    len: u32,
    offset: u64,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::read(fd, buf, len, offset); 0 })) }
}

/// `URB_OP_WRITE`: see `urb_write`.
#[no_mangle]
pub extern "C" fn urb_prep_write(
    fd: i32,
    buf: *const c_void,
    len: u32,
    offset: u64,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::write(fd, buf, len, offset); 0 })) }
}

/// `URB_OP_READV`: see `urb_readv`. The iovec array must stay valid until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_readv(
    fd: i32,
    iov: *const libc::iovec,
    iovcnt: u32,
    offset: u64,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::readv(fd, iov, iovcnt, offset); 0 })) }
}

/// `URB_OP_WRITEV`: see `urb_writev`. The iovec array must stay valid until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_writev(
    fd: i32,
    iov: *const libc::iovec,
    iovcnt: u32,
    offset: u64,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::writev(fd, iov, iovcnt, offset); 0 })) }
}

/// `URB_OP_FSYNC`: see `urb_fsync`.
#[no_mangle]
pub extern "C" fn urb_prep_fsync(fd: i32, flags: u32, out: *mut urb_op) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::fsync(fd, flags); 0 })) }
}

/// `URB_OP_OPENAT`: see `urb_openat`. `path` must stay valid until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_openat(
    dirfd: i32,
    path: *const c_char,
    flags: i32,
    mode: u32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::openat(dirfd, path, flags, mode); 0 })) }
}

/// `URB_OP_CLOSE`: see `urb_close`.
#[no_mangle]
pub extern "C" fn urb_prep_close(fd: i32, out: *mut urb_op) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::close(fd); 0 })) }
}

/// `URB_OP_STATX`: see `urb_statx`.
#[no_mangle]
pub extern "C" fn urb_prep_statx(
    dirfd: i32,
    path: *const c_char,
    flags: i32,
    mask: u32,
    statxbuf: *mut c_void,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::statx(dirfd, path, flags, mask, statxbuf); 0 })) }
}

/// `URB_OP_RECV`: see `urb_recv`.
#[no_mangle]
pub extern "C" fn urb_prep_recv(
    fd: i32,
    buf: *mut c_void,
    len: u32,
    flags: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::recv(fd, buf, len, flags); 0 })) }
}

/// `URB_OP_SEND`: see `urb_send`.
#[no_mangle]
pub extern "C" fn urb_prep_send(
    fd: i32,
    buf: *const c_void,
    len: u32,
    flags: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::send(fd, buf, len, flags); 0 })) }
}

/// `URB_OP_ACCEPT`: see `urb_accept`.
#[no_mangle]
pub extern "C" fn urb_prep_accept(
    fd: i32,
    addr: *mut c_void,
    addrlen: *mut u32,
    flags: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::accept(fd, addr, addrlen, flags); 0 })) }
}

/// `URB_OP_CONNECT`: see `urb_connect`.
#[no_mangle]
pub extern "C" fn urb_prep_connect(
    fd: i32,
    addr: *const c_void,
    addrlen: u32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::connect(fd, addr, addrlen); 0 })) }
}

/// `URB_OP_SHUTDOWN`: see `urb_shutdown`.
#[no_mangle]
pub extern "C" fn urb_prep_shutdown(fd: i32, how: i32, out: *mut urb_op) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::shutdown(fd, how); 0 })) }
}

/// `URB_OP_POLL`: see `urb_poll`.
#[no_mangle]
pub extern "C" fn urb_prep_poll(fd: i32, events: u32, out: *mut urb_op) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::poll(fd, events); 0 })) }
}

/// `URB_OP_TIMEOUT`: a sleep of `ns` nanoseconds, see `urb_sleep_ns`.
#[no_mangle]
pub extern "C" fn urb_prep_timeout(ns: u64, out: *mut urb_op) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::timeout(ns); 0 })) }
}

/// `URB_OP_UNLINKAT`: see `urb_unlinkat`. `path` stays the caller's and must
/// stay valid until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_unlinkat(
    dirfd: i32,
    path: *const c_char,
    flags: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::unlinkat(dirfd, path, flags); 0 })) }
}

/// `URB_OP_RENAMEAT`: see `urb_renameat`. Both paths stay the caller's and
/// must stay valid until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_renameat(
    olddirfd: i32,
    oldpath: *const c_char,
    newdirfd: i32,
    newpath: *const c_char,
    flags: u32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::renameat(olddirfd, oldpath, newdirfd, newpath, flags); 0 })) }
}

/// `URB_OP_MKDIRAT`: see `urb_mkdirat`. `path` stays the caller's and must
/// stay valid until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_mkdirat(
    dirfd: i32,
    path: *const c_char,
    mode: u32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::mkdirat(dirfd, path, mode); 0 })) }
}

/// `URB_OP_SENDMSG`: see `urb_sendmsg`. The msghdr and everything it names
/// (iovecs, buffers, address, control buffer) stay the caller's and must
/// stay valid until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_sendmsg(
    fd: i32,
    msg: *const libc::msghdr,
    flags: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::sendmsg(fd, msg, flags); 0 })) }
}

/// `URB_OP_RECVMSG`: see `urb_recvmsg`. The msghdr and everything it names
/// stay the caller's and must stay valid until the request completes (the
/// kernel writes the data, the address, the ancillary data and the
/// msghdr's `msg_namelen`, `msg_controllen` and `msg_flags`).
#[no_mangle]
pub extern "C" fn urb_prep_recvmsg(
    fd: i32,
    msg: *mut libc::msghdr,
    flags: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::recvmsg(fd, msg, flags); 0 })) }
}

/// `URB_OP_SOCKET`: see `urb_socket`.
#[no_mangle]
pub extern "C" fn urb_prep_socket(
    domain: i32,
    socket_type: i32,
    protocol: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::socket(domain, socket_type, protocol); 0 })) }
}

/// `URB_OP_BIND`: see `urb_bind`. `addr` stays the caller's and must stay
/// valid until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_bind(
    fd: i32,
    addr: *const c_void,
    addrlen: u32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::bind(fd, addr, addrlen); 0 })) }
}

/// `URB_OP_LISTEN`: see `urb_listen`.
#[no_mangle]
pub extern "C" fn urb_prep_listen(fd: i32, backlog: i32, out: *mut urb_op) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::listen(fd, backlog); 0 })) }
}

/// `URB_OP_SYMLINKAT`: see `urb_symlinkat`. Both strings stay the caller's
/// and must stay valid until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_symlinkat(
    target: *const c_char,
    newdirfd: i32,
    linkpath: *const c_char,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::symlinkat(target, newdirfd, linkpath); 0 })) }
}

/// `URB_OP_LINKAT`: see `urb_linkat`. Both paths stay the caller's and must
/// stay valid until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_linkat(
    olddirfd: i32,
    oldpath: *const c_char,
    newdirfd: i32,
    newpath: *const c_char,
    flags: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::linkat(olddirfd, oldpath, newdirfd, newpath, flags); 0 })) }
}

/// `URB_OP_FALLOCATE`: see `urb_fallocate` (the length goes in
/// `reserved2[0]`).
#[no_mangle]
pub extern "C" fn urb_prep_fallocate(
    fd: i32,
    mode: i32,
    offset: u64,
    len: u64,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::fallocate(fd, mode, offset, len); 0 })) }
}

/// `URB_OP_FTRUNCATE`: see `urb_ftruncate`.
#[no_mangle]
pub extern "C" fn urb_prep_ftruncate(fd: i32, length: u64, out: *mut urb_op) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::ftruncate(fd, length); 0 })) }
}

/// `URB_OP_FADVISE`: see `urb_fadvise`.
#[no_mangle]
pub extern "C" fn urb_prep_fadvise(
    fd: i32,
    offset: u64,
    len: u32,
    advice: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::fadvise(fd, offset, len, advice); 0 })) }
}

/// `URB_OP_MADVISE`: see `urb_madvise`. The memory must stay mapped until
/// the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_madvise(
    addr: *mut c_void,
    len: u32,
    advice: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::madvise(addr, len, advice); 0 })) }
}

/// `URB_OP_SYNC_FILE_RANGE`: see `urb_sync_file_range`.
#[no_mangle]
pub extern "C" fn urb_prep_sync_file_range(
    fd: i32,
    offset: u64,
    len: u32,
    flags: u32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::sync_file_range(fd, offset, len, flags); 0 })) }
}

/// `URB_OP_SPLICE`: see `urb_splice`. `off_in`/`off_out` are offsets, or
/// `URB_OFFSET_CURRENT` for none (a pipe's only value); `fd_out` goes in
/// `reserved1`, `off_out` in `reserved2[0]`.
#[no_mangle]
pub extern "C" fn urb_prep_splice(
    fd_in: i32,
    off_in: u64,
    fd_out: i32,
    off_out: u64,
    len: u32,
    flags: u32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::splice(fd_in, off_in, fd_out, off_out, len, flags); 0 })) }
}

/// `URB_OP_TEE`: see `urb_tee` (`fd_out` goes in `reserved1`).
#[no_mangle]
pub extern "C" fn urb_prep_tee(
    fd_in: i32,
    fd_out: i32,
    len: u32,
    flags: u32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::tee(fd_in, fd_out, len, flags); 0 })) }
}

/// `URB_OP_GETXATTR`: see `urb_getxattr` (`name` goes in `reserved2[0]`).
/// The path, name and buffer stay the caller's until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_getxattr(
    path: *const c_char,
    name: *const c_char,
    value: *mut c_void,
    size: u32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::getxattr(path, name, value, size); 0 })) }
}

/// `URB_OP_SETXATTR`: see `urb_setxattr` (`name` goes in `reserved2[0]`).
/// The path, name and value stay the caller's until the request completes.
#[no_mangle]
pub extern "C" fn urb_prep_setxattr(
    path: *const c_char,
    name: *const c_char,
    value: *const c_void,
    size: u32,
    flags: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = prep::setxattr(path, name, value, size, flags); 0 })) }
}
