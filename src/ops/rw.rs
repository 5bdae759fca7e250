//! read, write, readv, writev: preadv2/pwritev2 with an offset and `RWF_*`.

use super::{
    check_buffer, check_iovecs, on_fd, BlockingRule, ChainRule, Extra, FdUse, Finish, OpSpec,
    Readiness, RingRoute, SqeFields, Tried,
};
use crate::fallback::attempt::{self, Attempt};
use crate::op::{self, urb_op, ValidOp};
use crate::sys::io;
use crate::sys::time::Deadline;
use crate::uring::encode::SqeArgs;
use io_uring::{opcode, squeue::Entry, types};

const fn spec(
    name: &'static str,
    kernel_opcode: u8,
    since: &'static str,
    write: bool,
    vectored: bool,
) -> OpSpec {
    OpSpec {
        name,
        kernel_opcode,
        since,
        fd: FdUse::Required,
        vectored,
        validate: if vectored { check_iovecs } else { buffer },
        encode: match (write, vectored) {
            (false, false) => encode_read,
            (true, false) => encode_write,
            (false, true) => encode_readv,
            (true, true) => encode_writev,
        },
        decode,
        perform: match (write, vectored) {
            (false, false) => perform_read,
            (true, false) => perform_write,
            (false, true) => perform_readv,
            (true, true) => perform_writev,
        },
        readiness: Readiness::Waits {
            events: if write {
                libc::POLLOUT as u32
            } else {
                libc::POLLIN as u32
            },
            unless: libc::RWF_NOWAIT as u32,
            dont_wait: libc::RWF_NOWAIT as u32,
            sockets_only: false,
            perform_waits: false,
            progress_is_bytes: false,
            attempt: match (write, vectored) {
                (false, false) => attempt_read,
                (true, false) => attempt_write,
                (false, true) => attempt_readv,
                (true, true) => attempt_writev,
            },
        },
        ring_route: RingRoute::ReadinessIfPollable,
        tried: if write {
            Tried::Never
        } else {
            Tried::PositionalRead
        },
        chain: ChainRule::ShortBreaks,
        finish: Finish::AsIs,
        may_raise_sigpipe: write,
        blocking: BlockingRule::ReadWrite,
        extra: Extra::Unused,
    }
}

pub const READ: OpSpec = spec("URB_OP_READ", opcode::Read::CODE, "5.6", false, false);
pub const WRITE: OpSpec = spec("URB_OP_WRITE", opcode::Write::CODE, "5.6", true, false);
pub const READV: OpSpec = spec("URB_OP_READV", opcode::Readv::CODE, "5.1", false, true);
pub const WRITEV: OpSpec = spec("URB_OP_WRITEV", opcode::Writev::CODE, "5.1", true, true);

unsafe fn buffer(op: &urb_op) -> Result<u64, i32> {
    check_buffer(op)
}

/// RWF_HIPRI is a hint preadv2(2) ignores on buffered files; a ring not
/// set up for IOPOLL refuses it with -EINVAL. Dropped: same result.
fn rw_flags(op: &ValidOp) -> i32 {
    (op.raw.op_flags & !(libc::RWF_HIPRI as u32)) as i32
}

fn encode_read(op: &ValidOp, _: &mut SqeArgs) -> Entry {
    let r = &op.raw;
    opcode::Read::new(types::Fd(r.fd), r.buf.cast(), r.len)
        .offset(r.offset)
        .rw_flags(rw_flags(op))
        .build()
}

fn encode_write(op: &ValidOp, _: &mut SqeArgs) -> Entry {
    let r = &op.raw;
    opcode::Write::new(types::Fd(r.fd), r.buf.cast(), r.len)
        .offset(r.offset)
        .rw_flags(rw_flags(op))
        .build()
}

fn encode_readv(op: &ValidOp, _: &mut SqeArgs) -> Entry {
    let r = &op.raw;
    opcode::Readv::new(types::Fd(r.fd), r.buf.cast(), r.len)
        .offset(r.offset)
        .rw_flags(rw_flags(op))
        .build()
}

fn encode_writev(op: &ValidOp, _: &mut SqeArgs) -> Entry {
    let r = &op.raw;
    opcode::Writev::new(types::Fd(r.fd), r.buf.cast(), r.len)
        .offset(r.offset)
        .rw_flags(rw_flags(op))
        .build()
}

unsafe fn decode(f: &SqeFields) -> Result<urb_op, i32> {
    Ok(urb_op {
        buf: f.addr,
        len: f.len,
        offset: f.off,
        op_flags: f.op_flags,
        ..on_fd(f)
    })
}

/// Runs `call` on the request's buffers: its one buffer, or its iovec array.
///
/// # Safety
/// `op` passed validation and its memory is still the caller's promise.
unsafe fn with_iovecs<R>(
    op: &ValidOp,
    vectored: bool,
    call: impl FnOnce(&[libc::iovec]) -> R,
) -> R {
    if vectored {
        call(op::iovecs(&op.raw))
    } else {
        call(&[libc::iovec {
            iov_base: op.raw.buf,
            iov_len: op.raw.len as usize,
        }])
    }
}

unsafe fn perform_rw(op: &ValidOp, write: bool, vectored: bool) -> i32 {
    let r = &op.raw;
    with_iovecs(op, vectored, |iovs| {
        io::rw(r.fd, iovs, r.offset, r.op_flags as i32, write)
    })
}

unsafe fn perform_read(op: &ValidOp, _: Deadline) -> i32 {
    perform_rw(op, false, false)
}
unsafe fn perform_write(op: &ValidOp, _: Deadline) -> i32 {
    perform_rw(op, true, false)
}
unsafe fn perform_readv(op: &ValidOp, _: Deadline) -> i32 {
    perform_rw(op, false, true)
}
unsafe fn perform_writev(op: &ValidOp, _: Deadline) -> i32 {
    perform_rw(op, true, true)
}

fn attempt_rw(op: &ValidOp, write: bool, vectored: bool) -> Attempt {
    let r = &op.raw;
    // SAFETY: validate() checked the buffer or iovec array; the caller keeps it alive.
    unsafe {
        with_iovecs(op, vectored, |iovs| {
            attempt::transfer(r.fd, iovs, r.offset, r.op_flags as i32, write)
        })
    }
}

fn attempt_read(op: &ValidOp, _: &mut u32) -> Attempt {
    attempt_rw(op, false, false)
}
fn attempt_write(op: &ValidOp, _: &mut u32) -> Attempt {
    attempt_rw(op, true, false)
}
fn attempt_readv(op: &ValidOp, _: &mut u32) -> Attempt {
    attempt_rw(op, false, true)
}
fn attempt_writev(op: &ValidOp, _: &mut u32) -> Attempt {
    attempt_rw(op, true, true)
}
