//! splice, tee: transfers between two descriptors, one of them a pipe (both
//! for tee), with the output descriptor in `reserved1` and splice's output
//! offset in `reserved2[0]` (`Extra`).
//!
//! io_uring always runs them in a kernel worker, where they wait as the
//! system call does. The fallback engine's blocking face makes the system
//! call itself; its async ring waits for the input to be readable and then
//! the output writable, one at a time on its epoll set (`wait_target`), and
//! then splices without waiting, so the owner thread never blocks and a
//! cancel or timeout still reaches a waiting request. A splice between a
//! pipe and a regular file runs on the worker pool, where the file's I/O
//! may take its time, but never waits there for the pipe: each try on the
//! pool does not wait for it (`SPLICE_F_NONBLOCK`), and between tries the
//! request waits for the pipe on the epoll set (`pipe_beside_file`).
//! Waiting for two descriptors at once
//! would need a second registration per request in the owner's parking;
//! waiting for the one that is not ready, and trying again each time it
//! becomes ready, is enough because each try is cheap and never waits.

use super::{
    on_fd, BlockingRule, ChainRule, Extra, FdUse, Finish, OpSpec, Readiness, RingRoute, SqeFields,
    Tried, EVENTS_IN_THEN_OUT,
};
use crate::fallback::attempt::Attempt;
use crate::fallback::sigpipe::SigpipeGuard;
use crate::op::{urb_op, ValidOp};
use crate::sys::descriptor::{is_pipe, is_pollable, is_socket, nonblocking};
use crate::sys::poll::poll_now;
use crate::sys::splice as sys;
use crate::sys::time::Deadline;
use crate::uring::encode::SqeArgs;
use io_uring::{opcode, squeue::Entry, types};

/// `SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT`: the
/// kernel's `SPLICE_F_ALL`; any other bit is `-EINVAL`.
const SPLICE_F_ALL: u32 = 0x0f;

const fn spec(
    name: &'static str,
    kernel_opcode: u8,
    since: &'static str,
    extra: Extra,
    validate: unsafe fn(&urb_op) -> Result<u64, i32>,
    encode: fn(&ValidOp, &mut SqeArgs) -> Entry,
    decode: unsafe fn(&SqeFields) -> Result<urb_op, i32>,
) -> OpSpec {
    OpSpec {
        name,
        kernel_opcode,
        since,
        fd: FdUse::Required,
        vectored: false,
        validate,
        encode,
        decode,
        perform,
        readiness: Readiness::Waits {
            events: EVENTS_IN_THEN_OUT,
            // The caller's SPLICE_F_NONBLOCK asks for -EAGAIN at once.
            unless: libc::SPLICE_F_NONBLOCK,
            // The kernel honours a pipe's O_NONBLOCK in splice itself.
            dont_wait: 0,
            // A regular file on one side never is the one waited for.
            sockets_only: true,
            perform_waits: false,
            progress_is_bytes: false,
            attempt,
        },
        ring_route: RingRoute::ReadinessIfBothPollable,
        tried: Tried::Never,
        // The kernel fails the links after a splice or tee that moved less
        // than `len` (io_uring/splice.c), as after a short read.
        chain: ChainRule::ShortBreaks,
        finish: Finish::AsIs,
        // Into a pipe without readers: EPIPE and SIGPIPE, as write(2).
        may_raise_sigpipe: true,
        blocking: BlockingRule::Once,
        extra,
    }
}

/// What splice and tee both check: the flags (splice(2)'s `EINVAL`), the
/// output descriptor (never 0: see `URB_OP_SPLICE`) and the length (the
/// library's `INT32_MAX`, as for reads). The length a complete transfer
/// returns.
fn check(op: &urb_op) -> Result<u64, i32> {
    if op.op_flags & !SPLICE_F_ALL != 0 || op.len > i32::MAX as u32 {
        return Err(-libc::EINVAL);
    }
    if op.reserved1 as i32 <= 0 {
        return Err(-libc::EBADF);
    }
    Ok(op.len as u64)
}

/// `splice(fd, offset, reserved1, reserved2[0], len, op_flags)`.
pub const SPLICE: OpSpec = spec(
    "URB_OP_SPLICE",
    opcode::Splice::CODE,
    "5.7",
    Extra::OutputFdAndOffset,
    check,
    |op, _| {
        let r = &op.raw;
        opcode::Splice::new(
            types::Fd(r.fd),
            r.offset as i64,
            types::Fd(r.reserved1 as i32),
            r.reserved2[0] as i64,
            r.len,
        )
        .flags(r.op_flags)
        .build()
    },
    |f| {
        Ok(urb_op {
            fd: f.splice_fd_in,
            offset: f.addr as u64,
            len: f.len,
            op_flags: f.op_flags,
            reserved1: f.fd as u32,
            reserved2: [f.off, 0],
            ..urb_op::zeroed()
        })
    },
);

/// `tee(fd, reserved1, len, op_flags)`.
pub const TEE: OpSpec = spec(
    "URB_OP_TEE",
    opcode::Tee::CODE,
    "5.8",
    Extra::OutputFd,
    |op| {
        // io_uring's tee refuses offsets with EINVAL (tee(2) has none).
        if op.offset != 0 {
            return Err(-libc::EINVAL);
        }
        check(op)
    },
    |op, _| {
        let r = &op.raw;
        opcode::Tee::new(types::Fd(r.fd), types::Fd(r.reserved1 as i32), r.len)
            .flags(r.op_flags)
            .build()
    },
    |f| {
        if f.off != 0 || !f.addr.is_null() {
            return Err(-libc::EINVAL);
        }
        Ok(urb_op {
            fd: f.splice_fd_in,
            len: f.len,
            op_flags: f.op_flags,
            reserved1: f.fd as u32,
            ..on_fd(f)
        })
    },
);

/// The system call with the request's flags plus `more_flags`. Into a pipe
/// without readers splice(2) and tee(2) raise `SIGPIPE` on the calling
/// thread: it is blocked around the call and a pending one taken, so the
/// caller sees `-EPIPE` only, on every path (the blocking face's own guard
/// looks at `fd`, the input: a splice from a regular file into such a pipe
/// killed the caller, untimed or timed; differential case
/// `splice_no_reader`).
fn call(op: &ValidOp, more_flags: u32) -> i32 {
    SigpipeGuard::block().finish(call_unguarded(op, more_flags))
}

fn call_unguarded(op: &ValidOp, more_flags: u32) -> i32 {
    let r = &op.raw;
    let (fd_in, fd_out, flags) = (r.fd, r.reserved1 as i32, r.op_flags | more_flags);
    if r.len == 0 {
        return sys::both_open(fd_in, fd_out);
    }
    match op.code.spec().extra {
        // SAFETY: descriptors and offsets only.
        Extra::OutputFdAndOffset => unsafe {
            sys::splice(fd_in, r.offset, fd_out, r.reserved2[0], r.len, flags)
        },
        Extra::OutputFd | Extra::Unused | Extra::Length | Extra::Name => {
            sys::tee(fd_in, fd_out, r.len, flags)
        }
    }
}

/// The blocking system call (the fallback's blocking face, and a worker's).
///
/// # Safety
/// None beyond validation: descriptors and offsets only.
unsafe fn perform(op: &ValidOp, _: Deadline) -> i32 {
    call(op, 0)
}

/// One try that never waits: the call with `SPLICE_F_NONBLOCK`, which
/// makes its pipe side answer `-EAGAIN` instead of waiting (and a socket
/// output is written without waiting by the kernel's splice itself). A
/// socket input is the exception: its splice waits for data whatever the
/// flag says (`tcp_splice_read`), so into a pipe it is only called once
/// poll(2) says data is there. Anything that fails at once (a descriptor
/// open the wrong way, two non-pipes) fails on the first try. The caller's
/// `SPLICE_F_NONBLOCK`, or a descriptor in `O_NONBLOCK` mode, makes the
/// kernel's `-EAGAIN` final, as io_uring and splice(2) give it.
fn attempt(op: &ValidOp, _: &mut u32) -> Attempt {
    let (fd_in, fd_out) = (op.raw.fd, op.raw.reserved1 as i32);
    let caller_nonblocking = op.raw.op_flags & libc::SPLICE_F_NONBLOCK != 0
        || heeded_nonblocking(fd_in)
        || heeded_nonblocking(fd_out);
    if !caller_nonblocking
        && is_socket(fd_in)
        && is_pipe(fd_out)
        && poll_now(fd_in, libc::POLLIN as u32) == 0
    {
        return Attempt::Again;
    }
    match call(op, libc::SPLICE_F_NONBLOCK) {
        e if e == -libc::EAGAIN && !caller_nonblocking => Attempt::Again,
        n => Attempt::Done(n),
    }
}

/// `O_NONBLOCK` as splice(2) heeds it: on a pipe or socket; a regular
/// file's is ignored (the kernel looks only at the pipe side's, and at a
/// socket's in its own splice).
fn heeded_nonblocking(fd: i32) -> bool {
    nonblocking(fd) == Some(true) && is_pollable(fd)
}

/// The pipe of a splice between a pipe and a descriptor that cannot be
/// polled (a regular file, a block device), as the fallback ring waits for
/// it: `fd` until ready for `events` (an input pipe readable, an output
/// pipe writable). `again_is_final`: the caller's `SPLICE_F_NONBLOCK` or the
/// pipe's `O_NONBLOCK` makes splice(2)'s `-EAGAIN` the result.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PipeSide {
    pub fd: i32,
    pub events: u32,
    pub again_is_final: bool,
}

/// The pipe side of `op` when it is a splice or tee between a pipe and a
/// file (a tee never is one: tee(2) refuses it on the first try). Such a
/// request runs on the fallback ring's pool as [`without_waiting`] makes it,
/// and waits for [`PipeSide`] on the epoll set after each `-EAGAIN`, so a
/// cancel or timeout always reaches it; its first try comes before any
/// waiting, so what splice(2) refuses at once is refused at once.
pub fn pipe_beside_file(op: &ValidOp) -> Option<PipeSide> {
    let (fd_in, fd_out) = (op.raw.fd, op.raw.reserved1 as i32);
    let (fd, events) = if is_pipe(fd_in) && !is_pollable(fd_out) {
        (fd_in, libc::POLLIN as u32)
    } else if is_pipe(fd_out) && !is_pollable(fd_in) {
        (fd_out, libc::POLLOUT as u32)
    } else {
        return None;
    };
    Some(PipeSide {
        fd,
        events,
        again_is_final: op.raw.op_flags & libc::SPLICE_F_NONBLOCK != 0
            || nonblocking(fd) == Some(true),
    })
}

/// `op` with `SPLICE_F_NONBLOCK`: its pipe side answers `-EAGAIN` instead
/// of waiting (the file side's I/O still runs to its end).
pub fn without_waiting(op: &ValidOp) -> ValidOp {
    let mut op = *op;
    op.raw.op_flags |= libc::SPLICE_F_NONBLOCK;
    op
}
