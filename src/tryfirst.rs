//! The "try first": a request performed on the calling thread only if it
//! finishes without waiting, below both faces. The blocking face tries
//! accept this way before it waits, `urb_submit_nowait` is these tries
//! alone, and the async ring finishes on the caller what these tries
//! finish (`urb_ring_submit_try`; NOPs and cached reads on `urb_ring_submit`
//! and `urb_ring_submit_batch`) and hands it the rest.

use crate::engine::{self, Engine};
use crate::fallback::attempt::{self, Attempt};
use crate::op::{self, urb_op, ValidOp};
use crate::ops::Tried;
use crate::sqe::io_uring_sqe;
use crate::sys::descriptor::{self, buffered, positional_file};
use crate::sys::io;
use crate::uring::encode::{encode, SqeArgs};
use crate::uring::single;
use crate::uring::thread_ring::with_ring;

/// Performs `op` on the calling thread only if it finishes without waiting:
/// `Some(result)`, or `None` when it would have to wait (nothing was done,
/// no byte moved) or is not of a kind tried this way.
///
/// This is the "try first" of green-thread runtimes (GHC's and Go's own I/O
/// managers try the syscall before parking): a request that can finish at
/// once costs one `io_uring_enter` on the caller's ring instead of two
/// cross-thread wake-ups through an async ring. Because the request is
/// complete when the call returns, nothing is left on a ring whose thread
/// may exit afterwards.
///
/// Tried: NOP, recv/send without `MSG_WAITALL` (with `MSG_DONTWAIT`, which
/// io_uring answers with `-EAGAIN` instead of arming a poll), accept where
/// it can be asked not to wait (see [`accept_nowait`]), and reads at an
/// explicit offset (see [`read_nowait`]). Writes are not: a write split into
/// a part done here and a rest done later could be overtaken by the
/// caller's next write to the same stream.
pub fn submit_nowait(op: &urb_op) -> Option<i32> {
    // SAFETY: the caller's request; the header makes its pointers the caller's promise.
    let mut v = match unsafe { op::validate(op) } {
        Ok(v) => v,
        Err(e) => return Some(e),
    };
    if let Err(e) = engine::supported(v.code) {
        return Some(e);
    }
    let dontwait = libc::MSG_DONTWAIT as u32;
    match v.code.spec().tried {
        Tried::Always => Some(engine::perform(&v, None)),
        Tried::Stream if v.raw.op_flags & libc::MSG_WAITALL as u32 == 0 => {
            // A caller's own MSG_DONTWAIT asks for -EAGAIN as the answer.
            let callers_own = v.raw.op_flags & dontwait != 0;
            v.raw.op_flags |= dontwait;
            let res = match engine::engine() {
                // The plain system call: what io_uring would do with
                // MSG_DONTWAIT, for one kernel entry without a ring's
                // bookkeeping (measured: 0.9 us against 2.1 us a try).
                Engine::IoUring => stream_nowait(&v),
                _ => engine::perform(&v, None),
            };
            match res {
                e if e == -libc::EAGAIN && !callers_own => None,
                res => Some(res),
            }
        }
        Tried::Accept => accept_nowait(&v),
        Tried::PositionalRead if v.raw.offset != op::URB_OFFSET_CURRENT => read_nowait(&mut v),
        Tried::Stream | Tried::PositionalRead | Tried::Never => None,
    }
}

/// A read of cached file data, or of a pipe or socket with data waiting,
/// finishes here with `RWF_NOWAIT`, which io_uring answers with `-EAGAIN`
/// instead of waiting. The result is the waiting read's, because:
/// - a short count from a regular file or block device (part of the range
///   cached) is not taken: the whole read goes to the ring, which reads the
///   range again (only positional reads are tried, so the descriptor's
///   state is unchanged; the buffer's bytes are rewritten);
/// - a short count from anything else is what the waiting read returns too
///   (a pipe or socket read returns what is there);
/// - `O_DIRECT` descriptors are not tried: their `RWF_NOWAIT` reads still
///   wait for the device.
///
/// Costs one `fcntl` and one `preadv2` (the plain system call, on both
/// engines: one kernel entry, no ring bookkeeping); a `fstat` only after a
/// short count.
fn read_nowait(v: &mut ValidOp) -> Option<i32> {
    let nowait = libc::RWF_NOWAIT as u32;
    if v.raw.op_flags & nowait != 0 {
        // The caller's own RWF_NOWAIT asks for -EAGAIN as the answer.
        return Some(engine::perform(v, None));
    }
    if !buffered(v.raw.fd) {
        return None;
    }
    taken_read(v, read_nowait_call(v))
}

/// A non-waiting read's result, if it is the waiting read's too; `None`
/// when the read must go to the ring (it would wait, or it got only part of
/// a file's range).
pub(crate) fn taken_read(v: &ValidOp, res: i32) -> Option<i32> {
    match res {
        r if r == -libc::EAGAIN || r == -libc::EOPNOTSUPP => None,
        r if r > 0 && (r as u64) < v.expected_len && positional_file(v.raw.fd) => None,
        r => Some(r),
    }
}

/// What `urb_ring_submit` finishes on the caller: a request whose result
/// is at hand — a NOP, or a read that [`read_nowait`] would try (cached
/// file data). Sockets are left to the ring there: an event loop submits a
/// receive when it expects to wait, and `urb_ring_submit_try` is the call
/// that tries them. `Some(result)` for a request finished here, `None` for
/// one to hand over. (Batches: `ring::at_hand`, one submission for many.)
pub fn try_at_hand(v: &ValidOp) -> Option<i32> {
    if engine::engine() != Engine::IoUring {
        return None;
    }
    match v.code.spec().tried {
        Tried::Always => single::run(v, None),
        Tried::PositionalRead if v.raw.op_flags & libc::RWF_NOWAIT as u32 == 0 => (v.raw.offset
            != op::URB_OFFSET_CURRENT)
            .then(|| read_nowait(&mut v.clone()))
            .flatten(),
        Tried::PositionalRead | Tried::Stream | Tried::Accept | Tried::Never => None,
    }
}

/// `recv`/`send` (or their msghdr forms) with `MSG_DONTWAIT` set by the
/// caller of this: the operation's own system call (send with
/// `MSG_NOSIGNAL`, as the library always sends), as `-errno`.
fn stream_nowait(v: &ValidOp) -> i32 {
    // SAFETY: validation checked the buffer or msghdr; the caller owns them.
    unsafe { (v.code.spec().perform)(v, None) }
}

/// `preadv2(..., RWF_NOWAIT)` of a read or readv, as `-errno`. On a pipe or
/// socket the offset is ignored, as on io_uring (`preadv2` refuses an offset
/// there with `ESPIPE`: read at the current position instead).
fn read_nowait_call(v: &ValidOp) -> i32 {
    let r = &v.raw;
    let one = [libc::iovec {
        iov_base: r.buf,
        iov_len: r.len as usize,
    }];
    let iovs = match v.code.spec().vectored {
        // SAFETY: validation checked the iovec array; the caller owns it.
        true => unsafe { op::iovecs(r) },
        false => &one,
    };
    let flags = (r.op_flags | libc::RWF_NOWAIT as u32) as i32;
    // SAFETY: validation checked the buffer or iovec array; the caller owns them.
    unsafe { io::rw(r.fd, iovs, r.offset, flags, false) }
}

/// accept has no per-call `MSG_DONTWAIT`, but a listener in `O_NONBLOCK`
/// mode cannot wait: there `accept4` itself is the try, on the calling
/// thread and on both engines (one system call, as GHC's and Go's runtimes
/// accept; no ring entered or made: a ring's `IORING_ACCEPT_DONTWAIT`
/// request cost about twice as much a connection), and its result or errno
/// is the answer. A blocking listener (or a descriptor whose flags cannot be
/// read) is tried on io_uring with `IORING_ACCEPT_DONTWAIT` (Linux 6.10+;
/// older kernels: not tried), and not at all on the fallback engine (its
/// `accept4` would wait). One `fcntl` a try learns the mode.
pub fn accept_nowait(v: &ValidOp) -> Option<i32> {
    accept_nowait_in_mode(v, descriptor::nonblocking(v.raw.fd))
}

/// [`accept_nowait`] where the caller has read the listener's
/// `O_NONBLOCK` already (`descriptor::nonblocking`).
pub fn accept_nowait_in_mode(v: &ValidOp, nonblocking: Option<bool>) -> Option<i32> {
    let r = &v.raw;
    let res = match nonblocking {
        Some(true) => {
            match attempt::accept_nonblocking(r.fd, r.buf.cast(), r.buf2.cast(), r.op_flags as i32)
            {
                Attempt::Done(res) => res,
                Attempt::Again => return None,
            }
        }
        _ if engine::engine() == Engine::IoUring => {
            if !*ACCEPT_DONTWAIT.get_or_init(probe_accept_dontwait) {
                return None;
            }
            let mut args = SqeArgs::default();
            let entry = io_uring_sqe::with_ioprio(encode(v, &mut args), ACCEPT_DONTWAIT_BIT);
            v.finish(with_ring(1, |ring| ring.run_one(entry))?)
        }
        _ => return None,
    };
    (res != -libc::EAGAIN).then_some(res)
}

/// `IORING_ACCEPT_DONTWAIT` from the kernel's uapi header (the io-uring crate keeps it private).
const ACCEPT_DONTWAIT_BIT: u16 = 1 << 1;
static ACCEPT_DONTWAIT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Kernels without the flag refuse it in the request's preparation
/// (`-EINVAL`); kernels with it get as far as the descriptor (`-EBADF`).
fn probe_accept_dontwait() -> bool {
    let entry = io_uring::opcode::Accept::new(
        io_uring::types::Fd(-1),
        std::ptr::null_mut(),
        std::ptr::null_mut(),
    )
    .build();
    let entry = io_uring_sqe::with_ioprio(entry, ACCEPT_DONTWAIT_BIT);
    with_ring(1, |ring| ring.run_one(entry)) == Some(-libc::EBADF)
}
