//! The async face: rings owned by a library thread. Any thread submits with a
//! 64-bit token; completions come back by callback or by `urb_ring_reap` /
//! `urb_ring_wait`, with `urb_ring_fd` to sleep on in an event loop.

use super::{ffi_boundary, flatten, try_mut, try_ref};
use crate::op::urb_op;
use crate::ring::config::{urb_ring_config, RingConfig};
use crate::ring::delivery::{urb_completion, urb_completion_fn};
use crate::ring::inbox::Multishot;
use crate::ring::stats::urb_stats;
use crate::ring::Ring;
use libc::c_void;

/// An async ring. Create with `urb_ring_new`, free with `urb_ring_free`.
/// Every function taking a `urb_ring *` may be called from any thread.
pub struct urb_ring {
    ring: Ring,
}

/// `timeout_ns` for `urb_ring_wait` that waits as long as it takes.
pub const URB_WAIT_FOREVER: u64 = u64::MAX;

fn with_ring(ring: *const urb_ring, f: impl FnOnce(&Ring) -> Result<i32, i32>) -> i32 {
    // SAFETY: try_ref/try_mut refuse NULL; a non-NULL pointer is the caller's promise.
    flatten(unsafe { try_ref(ring) }.and_then(|r| f(&r.ring)))
}

/// Creates a ring and its owner thread. `cfg` may be NULL for the defaults;
/// it is read during the call only. On success `*out` holds the ring, which
/// must eventually be freed with `urb_ring_free`, and 0 is returned. Errors:
/// `-EINVAL` (NULL `out`, bad configuration), `-ENOMEM`/`-EMFILE` (no ring
/// could be set up), the io_uring refusal when `URB_ENGINE=io_uring` is
/// forced where io_uring is unavailable.
#[no_mangle]
pub extern "C" fn urb_ring_new(cfg: *const urb_ring_config, out: *mut *mut urb_ring) -> i32 {
    ffi_boundary! {
        // SAFETY: try_ref/try_mut refuse NULL; a non-NULL pointer is the caller's promise.
        let out = match unsafe { try_mut(out) } { Ok(o) => o, Err(e) => return e };
        *out = std::ptr::null_mut();
        // SAFETY: NULL or the caller's config, valid for this call (the header's contract).
        let cfg = match RingConfig::from_c(unsafe { cfg.as_ref() }) { Ok(c) => c, Err(e) => return e };
        match Ring::new(cfg) {
            Ok(ring) => {
                *out = Box::into_raw(Box::new(urb_ring { ring }));
                0
            }
            Err(e) => e,
        }
    }
}

/// Frees a ring: cancels every request still in flight and waits until the
/// kernel is done with their buffers, then stops the owner thread. With a
/// callback set, the callback receives those requests' final completions
/// before this returns; queued completions not yet reaped are dropped. NULL
/// is a no-op. Must not be called from the ring's own callback, nor while
/// another thread still uses the ring.
#[no_mangle]
pub extern "C" fn urb_ring_free(ring: *mut urb_ring) {
    ffi_boundary! {
        if !ring.is_null() {
            // SAFETY: made by Box::into_raw in urb_ring_new; the caller gives it up.
            drop(unsafe { Box::from_raw(ring) });
        }
    }
}

/// Submits one request tagged with `token` (any value; it comes back in the
/// completion). Returns 0 once the ring has taken it — the result arrives
/// later as a completion, exactly once — or `-errno` if it was refused (then
/// no completion follows): `-EINVAL` (bad request), `-ENOSYS` (kernel lacks
/// the operation), `-EACCES` (outside the ring's allow-list), `-ECHILD` (in a
/// child after `fork`: a ring belongs to the process that created it; the
/// child makes its own), `-ESHUTDOWN` (the ring is being freed), `-EPERM` (a
/// `URB_RING_SINGLE_THREAD` ring, from a thread other than its own), or the
/// error a failed ring reports (see `urb_ring_stats`).
///
/// A request whose result is at hand — a NOP, a read at an explicit offset
/// of cached file data (as `urb_submit_nowait` tries it) — is performed on
/// the calling thread during the call, and its completion is queued before
/// the call returns: no hand-over to the owner thread and no wake-up back,
/// so one request submitted and waited for costs about what the blocking
/// face costs. Not while a callback is set (callbacks always run on the
/// owner thread), and not on `URB_RING_FALLBACK` rings. Everything else is
/// handed to the owner thread, which costs no system call while it is
/// awake (on a `URB_RING_SINGLE_THREAD` ring: queued for the thread's next
/// wait or reap, see the flag). Independent requests on one descriptor may complete in any order
/// (as on io_uring); link them to order them. `op` is copied; the memory its
/// pointers name must stay valid until the completion has been delivered.
#[no_mangle]
pub extern "C" fn urb_ring_submit(ring: *const urb_ring, op: *const urb_op, token: u64) -> i32 {
    // SAFETY: try_ref/try_mut refuse NULL; a non-NULL pointer is the caller's promise.
    ffi_boundary! { with_ring(ring, |r| r.submit(unsafe { try_ref(op) }?, token, None).map(|_| 0)) }
}

/// Tries `op` on the calling thread first, and hands it to the ring only if
/// it would have to wait. Returns 1 when it finished on the spot: `*res`
/// holds its result and no completion follows. Returns 0 when the ring took
/// it: exactly one completion tagged `token` follows, as after
/// `urb_ring_submit`. Returns `-errno` (the errors of `urb_ring_submit`) when
/// it was refused; then `*res` is untouched and no completion follows.
///
/// This is the call green-thread runtimes make for every request: a receive
/// with data waiting, a send with room, a NOP, an accept with a connection
/// queued or a read of cached file data costs one system call on this
/// thread and no hand-over to the ring's owner thread. What is tried, and
/// why the result is always the one the waiting request would give, is
/// described at `urb_submit_nowait`; a read that returns part of the range
/// without waiting hands the rest to the ring, and its completion then
/// carries the whole count. Nothing tried here is left in flight on this
/// thread, so the thread may exit at any time. `op` is copied; the memory
/// its pointers name must stay valid until the result is known (at once
/// for 1, at the completion for 0). `res` must not be NULL (`-EINVAL`).
#[no_mangle]
pub extern "C" fn urb_ring_submit_try(
    ring: *const urb_ring,
    op: *const urb_op,
    token: u64,
    res: *mut i32,
) -> i32 {
    ffi_boundary! {
        with_ring(ring, |r| {
            // SAFETY: NULL or the caller's valid pointers (try_* check NULL).
            let (op, res) = unsafe { (try_ref(op)?, try_mut(res)?) };
            r.submit_try(op, token).map(|now| match now {
                Some(v) => {
                    *res = v;
                    1
                }
                None => 0,
            })
        })
    }
}

/// Like `urb_ring_submit`, bounded by `timeout_ns`: when the time runs out
/// first the request is cancelled and completes with `-ETIME`.
#[no_mangle]
pub extern "C" fn urb_ring_submit_timeout(
    ring: *const urb_ring,
    op: *const urb_op,
    token: u64,
    timeout_ns: u64,
) -> i32 {
    // SAFETY: try_ref/try_mut refuse NULL; a non-NULL pointer is the caller's promise.
    ffi_boundary! { with_ring(ring, |r| r.submit(unsafe { try_ref(op) }?, token, Some(timeout_ns)).map(|_| 0)) }
}

/// Submits `ops[0..n]` as one linked chain, request i tagged `tokens[i]`
/// (same rules as `urb_submit_chain_blocking`; every request completes, those
/// after a failure with `-ECANCELED`). All or nothing: if any request is
/// refused, none is submitted. `n` is at most `URB_CHAIN_MAX` and the ring's
/// `entries`.
#[no_mangle]
pub extern "C" fn urb_ring_submit_chain(
    ring: *const urb_ring,
    ops: *const urb_op,
    n: usize,
    tokens: *const u64,
) -> i32 {
    ffi_boundary! {
        with_ring(ring, |r| {
            if ops.is_null() || tokens.is_null() || n == 0 || n > crate::op::URB_CHAIN_MAX as usize {
                return Err(-libc::EINVAL);
            }
            // SAFETY: non-NULL, the caller promises n elements each.
            let (ops, tokens) = unsafe { (std::slice::from_raw_parts(ops, n), std::slice::from_raw_parts(tokens, n)) };
            r.submit_chain(ops, tokens).map(|_| 0)
        })
    }
}

/// Longest batch `urb_ring_submit_batch` takes.
pub const URB_BATCH_MAX: u32 = 65536;

/// Submits `ops[0..n]` as independent requests, request i tagged
/// `tokens[i]`: the same as n calls of `urb_ring_submit`, for one lock and at
/// most one wake-up of the owner thread; the requests whose result is at
/// hand (see `urb_ring_submit`) go to the calling thread's ring in one
/// submission (per 64) and their completions are queued before the call
/// returns. All or nothing: if any request is refused by validation, none is
/// submitted and its error is returned. `n` is 1 to `URB_BATCH_MAX`.
#[no_mangle]
pub extern "C" fn urb_ring_submit_batch(
    ring: *const urb_ring,
    ops: *const urb_op,
    n: usize,
    tokens: *const u64,
) -> i32 {
    ffi_boundary! {
        with_ring(ring, |r| {
            if ops.is_null() || tokens.is_null() || n == 0 || n > URB_BATCH_MAX as usize {
                return Err(-libc::EINVAL);
            }
            // SAFETY: non-NULL, the caller promises n elements each.
            let (ops, tokens) = unsafe { (std::slice::from_raw_parts(ops, n), std::slice::from_raw_parts(tokens, n)) };
            r.submit_batch(ops, tokens).map(|_| 0)
        })
    }
}

/// Multishot accept on listening socket `fd`: one completion per accepted
/// connection (`res` = the new socket, owned by the caller), each with
/// `URB_CQE_F_MORE` while the request stays armed. The last completion lacks
/// `URB_CQE_F_MORE` (after `urb_ring_cancel`: `-ECANCELED`). `flags`:
/// `SOCK_NONBLOCK`, `SOCK_CLOEXEC`.
#[no_mangle]
pub extern "C" fn urb_ring_accept_multishot(
    ring: *const urb_ring,
    fd: i32,
    flags: i32,
    token: u64,
) -> i32 {
    ffi_boundary! { with_ring(ring, |r| r.submit_multishot(Multishot::Accept { fd, flags }, token).map(|_| 0)) }
}

/// Multishot receive on socket `fd` into the ring's provided buffers (the
/// ring needs `buf_count` in its config, else `-EINVAL`). Each completion
/// with data has `URB_CQE_F_BUFFER`: the buffer id is
/// `flags >> URB_CQE_BUFFER_SHIFT`, the data is `res` bytes at
/// `urb_ring_buffer(...)`, and the buffer must be given back with
/// `urb_ring_buffer_release`. `res == 0` (end of stream) or an error ends the
/// request (no `URB_CQE_F_MORE`); so does running out of buffers
/// (`-ENOBUFS`): resubmit after releasing some. `flags`: `MSG_*`.
#[no_mangle]
pub extern "C" fn urb_ring_recv_multishot(
    ring: *const urb_ring,
    fd: i32,
    flags: i32,
    token: u64,
) -> i32 {
    ffi_boundary! { with_ring(ring, |r| r.submit_multishot(Multishot::Recv { fd, flags }, token).map(|_| 0)) }
}

/// Multishot poll: a completion (`res` = ready events) every time `fd`
/// becomes ready for one of `events`, with `URB_CQE_F_MORE` while armed.
#[no_mangle]
pub extern "C" fn urb_ring_poll_multishot(
    ring: *const urb_ring,
    fd: i32,
    events: u32,
    token: u64,
) -> i32 {
    ffi_boundary! { with_ring(ring, |r| r.submit_multishot(Multishot::Poll { fd, events }, token).map(|_| 0)) }
}

/// Asks the kernel to cancel every in-flight request tagged `token`. Returns
/// 0 once the request to cancel is queued. Each targeted request still
/// completes exactly once: `-ECANCELED`, or its real result if it finished
/// first. Cancelling a token with nothing in flight does nothing.
#[no_mangle]
pub extern "C" fn urb_ring_cancel(ring: *const urb_ring, token: u64) -> i32 {
    ffi_boundary! { with_ring(ring, |r| r.cancel(token).map(|_| 0)) }
}

/// Moves up to `max` waiting completions into `out` without blocking; returns
/// how many. When this empties the queue, `urb_ring_fd` stops being readable.
#[no_mangle]
pub extern "C" fn urb_ring_reap(ring: *const urb_ring, out: *mut urb_completion, max: u32) -> i32 {
    ffi_boundary! {
        with_ring(ring, |r| {
            let out = completions_out(out, max)?;
            r.reap(out).map(|n| n as i32)
        })
    }
}

/// Blocks until at least `min` completions wait (`min` is capped at `max`) or
/// `timeout_ns` passes (`URB_WAIT_FOREVER`: no limit; 0: do not block), then
/// moves up to `max` into `out`; returns how many (possibly fewer than `min`
/// after the timeout). `-EDEADLK` if called with `min > 0` from the ring's own
/// callback. On a `URB_RING_SINGLE_THREAD` ring (`-EPERM` from another
/// thread) it submits what the thread queued and, on io_uring, waits in the
/// kernel itself; it returns at once, with what is queued, when no request
/// is outstanding (no other thread could submit what it would wait for).
/// `urb_ring_reap` there also submits, and takes what finished without
/// waiting.
#[no_mangle]
pub extern "C" fn urb_ring_wait(
    ring: *const urb_ring,
    out: *mut urb_completion,
    max: u32,
    min: u32,
    timeout_ns: u64,
) -> i32 {
    ffi_boundary! {
        with_ring(ring, |r| {
            let out = completions_out(out, max)?;
            let timeout = (timeout_ns != URB_WAIT_FOREVER).then_some(timeout_ns);
            r.wait(out, min as usize, timeout).map(|n| n as i32)
        })
    }
}

fn completions_out<'a>(
    out: *mut urb_completion,
    max: u32,
) -> Result<&'a mut [urb_completion], i32> {
    if out.is_null() || max == 0 || max > i32::MAX as u32 {
        return Err(-libc::EINVAL);
    }
    // SAFETY: the caller promises room for max completions.
    Ok(unsafe { std::slice::from_raw_parts_mut(out, max as usize) })
}

/// A descriptor (an eventfd) that is readable exactly while completions wait
/// to be reaped, for `poll`/`epoll`, GHC's `threadWaitRead` or Go's netpoller.
/// Do not read it or close it: `urb_ring_reap` resets it, `urb_ring_free`
/// closes it. Unused (never readable) while a callback is set.
/// `-EOPNOTSUPP` on a `URB_RING_SINGLE_THREAD` ring, whose completions
/// arrive only inside its thread's own calls.
#[no_mangle]
pub extern "C" fn urb_ring_fd(ring: *const urb_ring) -> i32 {
    ffi_boundary! { with_ring(ring, |r| r.fd()) }
}

/// Sends every later completion to `fn(ctx, token, res, flags)` on the ring's
/// owner thread instead of the reap queue (completions already queued stay
/// there). NULL `fn` goes back to the queue. See `urb_completion_fn` for what
/// the callback may do. Designed for GHC's `hs_try_putmvar` behind a small C
/// shim: it wakes a Haskell thread without entering Haskell.
#[no_mangle]
pub extern "C" fn urb_ring_set_callback(
    ring: *const urb_ring,
    f: urb_completion_fn,
    ctx: *mut c_void,
) -> i32 {
    ffi_boundary! { with_ring(ring, |r| r.set_callback(f, ctx).map(|_| 0)) }
}

/// Copies the ring's counters into `*out`. Returns 0, or — the counters
/// still copied — the `-errno` the ring failed with: its owner thread met
/// an error it cannot recover from (a failed `io_uring_enter`, or a bug
/// caught as a panic: `-ENOTRECOVERABLE`). A failed ring never hangs: the
/// requests it held complete with that error (or their real result, if the
/// kernel still delivered it), waits return what is queued, and every later
/// submission is refused with the error. Free it and make a new one.
#[no_mangle]
pub extern "C" fn urb_ring_stats(ring: *const urb_ring, out: *mut urb_stats) -> i32 {
    ffi_boundary! {
        with_ring(ring, |r| {
            // SAFETY: try_ref/try_mut refuse NULL; a non-NULL pointer is the caller's promise.
            *unsafe { try_mut(out) }? = r.stats();
            Ok(r.failure())
        })
    }
}

/// Test hook (not part of the C ABI): makes the ring's owner thread fail.
#[doc(hidden)]
pub fn inject_owner_fault(ring: *const urb_ring, fault: crate::ring::OwnerFault) {
    // SAFETY: the tests pass a live ring.
    if let Ok(r) = unsafe { try_ref(ring) } {
        r.ring.inject_fault(fault);
    }
}

/// Stores the address of provided buffer `bid` in `*data` and returns the
/// buffer's size. The memory belongs to the ring (valid until `urb_ring_free`);
/// read the received bytes, then call `urb_ring_buffer_release`. `-EINVAL` for
/// a ring without provided buffers or an id out of range.
#[no_mangle]
pub extern "C" fn urb_ring_buffer(ring: *const urb_ring, bid: u32, data: *mut *mut c_void) -> i32 {
    ffi_boundary! {
        with_ring(ring, |r| {
            // SAFETY: try_ref/try_mut refuse NULL; a non-NULL pointer is the caller's promise.
            let out = unsafe { try_mut(data) }?;
            let b = r.buffers().ok_or(-libc::EINVAL)?;
            *out = b.ptr(bid).ok_or(-libc::EINVAL)?.cast();
            Ok(b.size() as i32)
        })
    }
}

/// Gives provided buffer `bid` back to the ring for later receives.
#[no_mangle]
pub extern "C" fn urb_ring_buffer_release(ring: *const urb_ring, bid: u32) -> i32 {
    ffi_boundary! { with_ring(ring, |r| r.buffers().ok_or(-libc::EINVAL)?.release(bid).map(|_| 0)) }
}

/// Registers `n` buffers with the ring, for `URB_OP_READ_FIXED` and
/// `URB_OP_WRITE_FIXED` (`urb_op.buf_index` is the index into `iovs`; the
/// request's `buf`/`len` must lie inside that buffer). On io_uring the
/// kernel pins the pages once (`IORING_REGISTER_BUFFERS`) instead of per
/// request; on the fallback engine the ring keeps the table and checks the
/// same ranges.
///
/// Lifetime: the memory stays the caller's. It must stay valid (mapped, not
/// reused for anything the ring may overwrite) until
/// `urb_ring_unregister_buffers` returns 0 or `urb_ring_free` returns. The
/// `iovs` array itself is read during the call only.
///
/// Returns 0 or, as `io_uring_register(2)` gives them, on both engines:
/// `-EBUSY` (buffers are already registered: unregister first), `-EINVAL`
/// (`n` is 0 or above 16384), `-EFAULT` (`iovs` NULL; an entry with a NULL
/// base and a non-zero length, a zero length, more than 1 GiB, or memory
/// that is not mapped; io_uring also refuses memory mapped from a regular
/// file, which the fallback engine does not detect), `-ENOMEM` (the
/// locked-memory limit). An entry `{NULL, 0}` is an empty slot (requests
/// naming it get `-EFAULT`). The library's own: `-EACCES` on a ring made
/// with an allow-list (the kernel refuses registration on a restricted
/// ring), `-EDEADLK` from the ring's own callback (on io_uring the owner
/// thread makes the call, and cannot wait for itself; refused on both
/// engines alike), `-ESHUTDOWN`,
/// `-ECHILD` or the ring's failure as for `urb_ring_submit`. Buffers are
/// for async rings only: the blocking face refuses `URB_OP_READ_FIXED`/
/// `URB_OP_WRITE_FIXED` with `-EOPNOTSUPP`.
#[no_mangle]
pub extern "C" fn urb_ring_register_buffers(
    ring: *const urb_ring,
    iovs: *const libc::iovec,
    n: u32,
) -> i32 {
    ffi_boundary! {
        with_ring(ring, |r| {
            if iovs.is_null() && n != 0 {
                return Err(-libc::EFAULT);
            }
            let iovs = if n == 0 {
                &[][..]
            } else {
                // SAFETY: non-NULL; the caller promises `n` readable iovecs.
                unsafe { std::slice::from_raw_parts(iovs, n as usize) }
            };
            r.register_buffers(iovs).map(|_| 0)
        })
    }
}

/// Unregisters the ring's buffers; the caller may then reuse their memory.
/// Returns 0, `-ENXIO` (none registered), or `-EBUSY` while any
/// `URB_OP_READ_FIXED`/`URB_OP_WRITE_FIXED` request of the ring is in
/// flight (from `urb_ring_submit*` until its completion is queued: wait for
/// their completions, or cancel them, first). io_uring itself would let
/// the call succeed and keep the pages pinned until those requests end,
/// still writing into memory the caller was told it got back; the library
/// refuses instead, on both engines. Other errors as for
/// `urb_ring_register_buffers`.
#[no_mangle]
pub extern "C" fn urb_ring_unregister_buffers(ring: *const urb_ring) -> i32 {
    ffi_boundary! { with_ring(ring, |r| r.unregister_buffers().map(|_| 0)) }
}

/// Registers `n` descriptors with the ring: a request with
/// `URB_FLAG_FIXED_FILE` in `urb_op.flags` then names `fds[fd]` by its
/// index (io_uring skips looking the descriptor up per request). The ring
/// holds its own reference to each file: closing a descriptor after it was
/// registered leaves the registered file usable until it is unregistered,
/// as in the kernel (on the fallback engine the ring keeps a duplicate
/// descriptor). `-1` is an empty slot (requests naming it get `-EBADF`).
/// `fds` is read during the call only.
///
/// Returns 0 or, as `io_uring_register(2)` gives them, on both engines:
/// `-EBUSY` (files are already registered), `-EINVAL` (`n` is 0),
/// `-EMFILE` (`n` above 1048576 or `RLIMIT_NOFILE`), `-EFAULT` (`fds`
/// NULL), `-EBADF` (an entry that is not an open descriptor, or is an
/// io_uring instance); the library's own errors as for
/// `urb_ring_register_buffers`.
#[no_mangle]
pub extern "C" fn urb_ring_register_files(ring: *const urb_ring, fds: *const i32, n: u32) -> i32 {
    ffi_boundary! {
        with_ring(ring, |r| {
            if fds.is_null() && n != 0 {
                return Err(-libc::EFAULT);
            }
            let fds = if n == 0 {
                &[][..]
            } else {
                // SAFETY: non-NULL; the caller promises `n` readable ints.
                unsafe { std::slice::from_raw_parts(fds, n as usize) }
            };
            r.register_files(fds).map(|_| 0)
        })
    }
}

/// Unregisters the ring's files (the ring's references to them are
/// dropped). Returns 0, `-ENXIO` (none registered), or `-EBUSY` while any
/// request with `URB_FLAG_FIXED_FILE` is in flight (the same rule as for
/// buffers, so that the fallback engine's duplicates outlive the requests
/// using them). Other errors as for `urb_ring_register_buffers`.
#[no_mangle]
pub extern "C" fn urb_ring_unregister_files(ring: *const urb_ring) -> i32 {
    ffi_boundary! { with_ring(ring, |r| r.unregister_files().map(|_| 0)) }
}

/// `URB_OP_READ_FIXED` (async rings only): `buf`/`len` inside registered
/// buffer `buf_index`.
#[no_mangle]
pub extern "C" fn urb_prep_read_fixed(
    fd: i32,
    buf: *mut c_void,
    len: u32,
    offset: u64,
    buf_index: u16,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = crate::prep::read_fixed(fd, buf, len, offset, buf_index); 0 })) }
}

/// `URB_OP_WRITE_FIXED` (async rings only): `buf`/`len` inside registered
/// buffer `buf_index`.
#[no_mangle]
pub extern "C" fn urb_prep_write_fixed(
    fd: i32,
    buf: *const c_void,
    len: u32,
    offset: u64,
    buf_index: u16,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = crate::prep::write_fixed(fd, buf, len, offset, buf_index); 0 })) }
}

/// `URB_OP_SEND_ZC` (async rings only): one completion, once the buffer may
/// be reused.
#[no_mangle]
pub extern "C" fn urb_prep_send_zc(
    fd: i32,
    buf: *const c_void,
    len: u32,
    flags: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = crate::prep::send_zc(fd, buf, len, flags); 0 })) }
}

/// `URB_OP_SENDMSG_ZC` (async rings only): `msg` is a `const struct msghdr *`
/// (typed `void` here so the header needs no `<sys/socket.h>`); it and what
/// it names stay valid until the one completion, which says the buffers may
/// be reused.
#[no_mangle]
pub extern "C" fn urb_prep_sendmsg_zc(
    fd: i32,
    msg: *const c_void,
    flags: i32,
    out: *mut urb_op,
) -> i32 {
    // SAFETY: try_mut refuses NULL; a non-NULL `out` is the caller's promise.
    ffi_boundary! { flatten(unsafe { try_mut(out) }.map(|o| { *o = crate::prep::sendmsg_zc(fd, msg.cast(), flags); 0 })) }
}
