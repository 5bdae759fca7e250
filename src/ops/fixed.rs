//! read_fixed, write_fixed, send_zc: the operations only an async ring
//! carries. The first two name a buffer the ring registered
//! (`ring::registry`); on the fallback engine the ring checks the range and
//! they are plain preads/pwrites. A zero-copy send completes twice in the
//! kernel (the owner turns that into one completion, `ring::registry`'s
//! `zero_copy_cqe`); on the fallback engine it is a plain send.

use super::{net, rw, ChainRule, OpSpec, Readiness, SqeFields, Tried};
use crate::fallback::attempt::{self, Attempt};
use crate::op::{urb_op, Opcode, ValidOp};
use crate::sys::time::Deadline;
use crate::uring::encode::SqeArgs;
use io_uring::{opcode, squeue::Entry, types};

/// Only `pread`/`pwrite` with the buffer the request names: the ring's
/// registry checked it lies in the registered buffer before it runs.
pub const READ_FIXED: OpSpec = OpSpec {
    name: "URB_OP_READ_FIXED",
    kernel_opcode: opcode::ReadFixed::CODE,
    since: "5.1",
    encode: encode_read_fixed,
    decode: not_on_this_face,
    tried: Tried::Never,
    ..rw::READ
};

pub const WRITE_FIXED: OpSpec = OpSpec {
    name: "URB_OP_WRITE_FIXED",
    kernel_opcode: opcode::WriteFixed::CODE,
    since: "5.1",
    encode: encode_write_fixed,
    decode: not_on_this_face,
    ..rw::WRITE
};

/// A plain send on the fallback (its `perform` and `attempt`): the data is
/// copied, so the buffer is free when the completion arrives, as the
/// library's one completion promises on io_uring too. Never tried on the
/// caller: a plain send there would copy what the caller asked not to.
pub const SEND_ZC: OpSpec = OpSpec {
    name: "URB_OP_SEND_ZC",
    kernel_opcode: opcode::SendZc::CODE,
    since: "6.0",
    encode: encode_send_zc,
    decode: not_on_this_face,
    perform: perform_send_zc,
    readiness: match net::SEND.readiness {
        Readiness::Waits {
            events,
            unless,
            dont_wait,
            sockets_only,
            perform_waits,
            progress_is_bytes,
            attempt: _,
        } => Readiness::Waits {
            events,
            unless,
            dont_wait,
            sockets_only,
            perform_waits,
            progress_is_bytes,
            attempt: attempt_send_zc,
        },
        Readiness::Never => Readiness::Never,
    },
    tried: Tried::Never,
    ..net::SEND
};

/// `sendmsg(fd, buf, op_flags | MSG_NOSIGNAL)` without copying: `buf` is a
/// `struct msghdr *`. As `SEND_ZC` otherwise; on the fallback a plain
/// sendmsg(2), which reads the message header and its iovecs as the kernel
/// does (so their errors are the kernel's). A short count does not break a
/// chain (only an error does), as for io_uring's sendmsg.
pub const SENDMSG_ZC: OpSpec = OpSpec {
    name: "URB_OP_SENDMSG_ZC",
    kernel_opcode: opcode::SendMsgZc::CODE,
    since: "6.1",
    validate: message_header,
    encode: encode_sendmsg_zc,
    perform: perform_sendmsg_zc,
    readiness: match SEND_ZC.readiness {
        Readiness::Waits {
            events,
            unless,
            dont_wait,
            sockets_only,
            perform_waits,
            progress_is_bytes: _,
            attempt: _,
        } => Readiness::Waits {
            events,
            unless,
            dont_wait,
            sockets_only,
            perform_waits,
            progress_is_bytes: false,
            attempt: attempt_sendmsg_zc,
        },
        Readiness::Never => Readiness::Never,
    },
    chain: ChainRule::ErrorOnly,
    ..SEND_ZC
};

/// `buf` is the message header (never read here: the system call reads
/// it). Nothing else is checked: `len` is ignored.
///
/// # Safety
/// None: it reads no memory (`unsafe` only to fit `OpSpec::validate`).
unsafe fn message_header(op: &urb_op) -> Result<u64, i32> {
    if op.buf.is_null() {
        return Err(-libc::EFAULT);
    }
    Ok(0)
}

fn encode_sendmsg_zc(op: &ValidOp, _: &mut SqeArgs) -> Entry {
    let r = &op.raw;
    opcode::SendMsgZc::new(types::Fd(r.fd), r.buf as *const libc::msghdr)
        .flags(r.op_flags | libc::MSG_NOSIGNAL as u32)
        .build()
}

fn sendmsg(op: &ValidOp, extra: i32) -> i32 {
    let r = &op.raw;
    let flags = r.op_flags as i32 | libc::MSG_NOSIGNAL | extra;
    // SAFETY: the caller's message header and the memory it names, valid
    // until the completion (the header's contract); the kernel checks them.
    crate::sys::retry(|| unsafe { libc::sendmsg(r.fd, r.buf as *const libc::msghdr, flags) })
}

/// # Safety
/// As `OpSpec::perform`.
unsafe fn perform_sendmsg_zc(op: &ValidOp, _: Deadline) -> i32 {
    match zero_copy_capable(op.raw.fd) {
        Ok(()) => sendmsg(op, 0),
        Err(e) => e,
    }
}

fn attempt_sendmsg_zc(op: &ValidOp, _: &mut u32) -> Attempt {
    if let Err(e) = zero_copy_capable(op.raw.fd) {
        return Attempt::Done(e);
    }
    if op.raw.op_flags & libc::MSG_DONTWAIT as u32 != 0 {
        return Attempt::Done(sendmsg(op, 0));
    }
    match sendmsg(op, libc::MSG_DONTWAIT) {
        n if n == -libc::EAGAIN => Attempt::Again,
        n => Attempt::Done(n),
    }
}

/// io_uring sends without copying only on sockets that can
/// (`SOCK_SUPPORT_ZC`: TCP and UDP over IPv4/IPv6); elsewhere it answers
/// `-EOPNOTSUPP` (`-ENOTSOCK` for what is not a socket). The fallback
/// engine gives the same answers before its plain send.
fn zero_copy_capable(fd: i32) -> Result<(), i32> {
    let mut domain: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: plain syscall into a local of the size given.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_DOMAIN,
            (&mut domain as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if r != 0 {
        return Err(-crate::sys::errno());
    }
    match domain {
        libc::AF_INET | libc::AF_INET6 => Ok(()),
        _ => Err(-libc::EOPNOTSUPP),
    }
}

/// # Safety
/// As `OpSpec::perform`.
unsafe fn perform_send_zc(op: &ValidOp, deadline: Deadline) -> i32 {
    match zero_copy_capable(op.raw.fd) {
        Ok(()) => (net::SEND.perform)(op, deadline),
        Err(e) => e,
    }
}

fn attempt_send_zc(op: &ValidOp, progress: &mut u32) -> Attempt {
    if let Err(e) = zero_copy_capable(op.raw.fd) {
        return Attempt::Done(e);
    }
    // The plain send's attempt, which tells a send from a recv by opcode.
    let plain = ValidOp {
        code: Opcode::Send,
        ..*op
    };
    attempt::stream(&plain, progress)
}

/// RWF_HIPRI as for `URB_OP_READ` (dropped: a ring not set up for polled
/// I/O refuses it, preadv2(2) treats it as a hint).
fn rw_flags(op: &ValidOp) -> i32 {
    (op.raw.op_flags & !(libc::RWF_HIPRI as u32)) as i32
}

fn encode_read_fixed(op: &ValidOp, _: &mut SqeArgs) -> Entry {
    let r = &op.raw;
    opcode::ReadFixed::new(types::Fd(r.fd), r.buf.cast(), r.len, r.buf_index)
        .offset(r.offset)
        .rw_flags(rw_flags(op))
        .build()
}

fn encode_write_fixed(op: &ValidOp, _: &mut SqeArgs) -> Entry {
    let r = &op.raw;
    opcode::WriteFixed::new(types::Fd(r.fd), r.buf.cast(), r.len, r.buf_index)
        .offset(r.offset)
        .rw_flags(rw_flags(op))
        .build()
}

fn encode_send_zc(op: &ValidOp, _: &mut SqeArgs) -> Entry {
    let r = &op.raw;
    opcode::SendZc::new(types::Fd(r.fd), r.buf.cast(), r.len)
        .flags(r.op_flags as i32 | libc::MSG_NOSIGNAL)
        .build()
}

/// A raw SQE reaches only the blocking face, which has no registered
/// buffers and delivers one completion per request.
///
/// # Safety
/// None: it reads nothing (`unsafe` only to fit `OpSpec::decode`).
unsafe fn not_on_this_face(_: &SqeFields) -> Result<urb_op, i32> {
    Err(-libc::EOPNOTSUPP)
}
