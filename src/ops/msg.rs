//! sendmsg, recvmsg: socket transfers described by a `struct msghdr`
//! (address, iovecs, ancillary data). They behave as send and recv do
//! (`net.rs`): the same waits, tries, timeouts and `MSG_NOSIGNAL`; what
//! differs is that the buffer is the caller's msghdr, which recvmsg also
//! writes back to (`msg_namelen`, `msg_controllen`, `msg_flags`).

use super::{BlockingRule, ChainRule, Extra, FdUse, Finish, OpSpec, Readiness, RingRoute, Tried};
use crate::fallback::attempt::Attempt;
use crate::op::{urb_op, Opcode, ValidOp};
use crate::ops::on_fd;
use crate::sys::{retry, socket};
use io_uring::{opcode, types};

/// The `op_flags` sendmsg(2) documents (`MSG_NOSIGNAL` is added anyway).
/// Anything else is refused: the system call ignores unknown bits, and
/// the kernel-internal ones (`MSG_CMSG_COMPAT`, `MSG_SPLICE_PAGES`, ...)
/// must not be reachable through a ring.
const SENDMSG_FLAGS: u32 = (libc::MSG_CONFIRM
    | libc::MSG_DONTROUTE
    | libc::MSG_DONTWAIT
    | libc::MSG_EOR
    | libc::MSG_MORE
    | libc::MSG_NOSIGNAL
    | libc::MSG_OOB
    | libc::MSG_FASTOPEN) as u32;

/// The `op_flags` recvmsg(2) documents.
const RECVMSG_FLAGS: u32 = (libc::MSG_CMSG_CLOEXEC
    | libc::MSG_DONTWAIT
    | libc::MSG_ERRQUEUE
    | libc::MSG_OOB
    | libc::MSG_PEEK
    | libc::MSG_TRUNC
    | libc::MSG_WAITALL) as u32;

/// The kernel's `UIO_MAXIOV`: a msghdr with more iovecs is `-EMSGSIZE`.
const IOV_MAX: usize = 1024;

/// The caller's msghdr.
///
/// # Safety
/// `op.buf` is a non-NULL, readable `struct msghdr` (validation checked
/// NULL; the rest is the caller's promise).
unsafe fn header(op: &urb_op) -> &libc::msghdr {
    &*(op.buf as *const libc::msghdr)
}

/// The checks sendmsg(2)/recvmsg(2) make before they move anything, in
/// their order, so both engines refuse alike: flags, a NULL msghdr
/// (`-EFAULT`, what copying it in gives), more than 1024 iovecs
/// (`-EMSGSIZE`), a NULL iovec array or base with a length (`-EFAULT`).
/// A total beyond `INT32_MAX` is the library's limit (`-EINVAL`), as for
/// readv. The address and ancillary data are the kernel's to judge. The
/// total is what a complete transfer returns.
///
/// # Safety
/// A non-NULL `op.buf` is a readable msghdr whose non-NULL `msg_iov`
/// points to `msg_iovlen` readable iovecs.
unsafe fn check(op: &urb_op, allowed: u32) -> Result<u64, i32> {
    if op.op_flags & !allowed != 0 {
        return Err(-libc::EINVAL);
    }
    if op.buf.is_null() {
        return Err(-libc::EFAULT);
    }
    let hdr = header(op);
    if hdr.msg_iovlen > IOV_MAX {
        return Err(-libc::EMSGSIZE);
    }
    if hdr.msg_iov.is_null() {
        return match hdr.msg_iovlen {
            0 => Ok(0),
            _ => Err(-libc::EFAULT),
        };
    }
    let iovs = std::slice::from_raw_parts(hdr.msg_iov, hdr.msg_iovlen);
    let total = iovs
        .iter()
        .fold(0u64, |t, iov| t.saturating_add(iov.iov_len as u64));
    if total > i32::MAX as u64 {
        return Err(-libc::EINVAL);
    }
    if iovs
        .iter()
        .any(|iov| iov.iov_base.is_null() && iov.iov_len != 0)
    {
        return Err(-libc::EFAULT);
    }
    Ok(total)
}

/// The flags the kernel gets: a send never raises `SIGPIPE`; an error
/// queue receive never waits (io_uring would arm a poll an empty error
/// queue never satisfies).
fn kernel_flags(op: &ValidOp) -> i32 {
    let flags = op.raw.op_flags as i32;
    match op.code == Opcode::Sendmsg {
        true => flags | libc::MSG_NOSIGNAL,
        false if flags & libc::MSG_ERRQUEUE != 0 => flags | libc::MSG_DONTWAIT,
        false => flags,
    }
}

/// One sendmsg(2)/recvmsg(2) call on `hdr`, EINTR retried.
///
/// # Safety
/// `hdr` and the memory it names are valid until the call returns.
unsafe fn call(fd: i32, hdr: *mut libc::msghdr, flags: i32, send: bool) -> i32 {
    retry(|| match send {
        true => libc::sendmsg(fd, hdr, flags),
        false => libc::recvmsg(fd, hdr, flags),
    })
}

/// The rest of a transfer after `done` bytes: the caller's msghdr with
/// the iovecs that remain, without the address and the ancillary data
/// (which went with the first part, or, for a receive, were delivered
/// with it). Keep it in place while a request points at its header.
pub struct Rest {
    hdr: libc::msghdr,
    iovs: Vec<libc::iovec>,
}

impl Rest {
    /// # Safety
    /// `op` passed validation; its msghdr and iovecs are still valid.
    pub unsafe fn after(op: &ValidOp, done: u32) -> Rest {
        let caller = header(&op.raw);
        let mut skip = done as usize;
        let mut iovs = Vec::new();
        if !caller.msg_iov.is_null() {
            for iov in std::slice::from_raw_parts(caller.msg_iov, caller.msg_iovlen) {
                if skip >= iov.iov_len {
                    skip -= iov.iov_len;
                    continue;
                }
                iovs.push(libc::iovec {
                    iov_base: iov.iov_base.cast::<u8>().wrapping_add(skip).cast(),
                    iov_len: iov.iov_len - skip,
                });
                skip = 0;
            }
        }
        // SAFETY: msghdr is plain data; zero is "no address, no control".
        let mut hdr: libc::msghdr = std::mem::zeroed();
        hdr.msg_iovlen = iovs.len();
        Rest { hdr, iovs }
    }

    /// `op` narrowed to the rest; valid while `self` stays where it is.
    pub fn op(&mut self, op: &ValidOp, done: u32) -> ValidOp {
        self.hdr.msg_iov = self.iovs.as_mut_ptr();
        let mut rest = *op;
        rest.raw.buf = (&mut self.hdr as *mut libc::msghdr).cast();
        rest.expected_len = op.expected_len.saturating_sub(done as u64);
        rest
    }

    fn header(&mut self) -> *mut libc::msghdr {
        self.hdr.msg_iov = self.iovs.as_mut_ptr();
        &mut self.hdr
    }
}

/// One try that never blocks (the fallback ring and timed fallback
/// requests): as `attempt::stream`, a `MSG_WAITALL` transfer on a stream
/// resuming where the previous try stopped. A receive's later parts are
/// read through a [`Rest`] (only for a caller without an ancillary data
/// buffer, see below); their `msg_flags` (`MSG_CTRUNC` for ancillary data
/// the kernel had to drop, as recvmsg(2) without a buffer would) are
/// or'ed into the caller's msghdr, whose address stays the first part's.
fn attempt(op: &ValidOp, progress: &mut u32) -> Attempt {
    let r = &op.raw;
    let send = op.code == Opcode::Sendmsg;
    let flags = kernel_flags(op);
    if flags & (libc::MSG_DONTWAIT | libc::MSG_ERRQUEUE) != 0 {
        // SAFETY: validation checked the msghdr; the caller keeps it alive.
        return Attempt::Done(unsafe { call(r.fd, r.buf.cast(), flags, send) });
    }
    let total = op.expected_len;
    let mut done = *progress;
    loop {
        let n = match done {
            // SAFETY: validation checked the msghdr; the caller keeps it alive.
            0 => unsafe { call(r.fd, r.buf.cast(), flags | libc::MSG_DONTWAIT, send) },
            // SAFETY: as above; `rest` lives across the call.
            _ => unsafe {
                let mut rest = Rest::after(op, done);
                let n = call(r.fd, rest.header(), flags | libc::MSG_DONTWAIT, send);
                if !send && n >= 0 {
                    (*r.buf.cast::<libc::msghdr>()).msg_flags |= rest.hdr.msg_flags;
                }
                n
            },
        };
        if n == -libc::EAGAIN {
            *progress = done;
            return Attempt::Again;
        }
        if n < 0 {
            return Attempt::Done(if done > 0 { done as i32 } else { n });
        }
        done += n as u32;
        // As io_uring's recvmsg: a receive with an ancillary data buffer
        // is not resumed after a part (what follows, descriptors
        // included, stays in the socket for the next receive).
        // SAFETY: validation checked the msghdr; the caller keeps it alive.
        let has_control = !send && unsafe { !header(r).msg_control.is_null() };
        let whole = n == 0
            || done as u64 >= total
            || flags & libc::MSG_WAITALL == 0
            || has_control
            || !socket::is_stream(r.fd);
        if whole {
            return Attempt::Done(done as i32);
        }
    }
}

const fn message(
    name: &'static str,
    kernel_opcode: u8,
    send: bool,
    validate: unsafe fn(&urb_op) -> Result<u64, i32>,
    encode: fn(&ValidOp, &mut crate::uring::encode::SqeArgs) -> io_uring::squeue::Entry,
) -> OpSpec {
    OpSpec {
        name,
        kernel_opcode,
        since: "5.3",
        fd: FdUse::Required,
        vectored: false,
        validate,
        encode,
        decode: |f| {
            Ok(urb_op {
                buf: f.addr,
                op_flags: f.op_flags,
                ..on_fd(f)
            })
        },
        perform: |op, _| {
            // SAFETY: validation checked the msghdr; the caller keeps it alive.
            unsafe {
                call(
                    op.raw.fd,
                    op.raw.buf.cast(),
                    kernel_flags(op),
                    op.code == Opcode::Sendmsg,
                )
            }
        },
        readiness: Readiness::Waits {
            events: if send {
                libc::POLLOUT as u32
            } else {
                libc::POLLIN as u32
            },
            unless: (libc::MSG_DONTWAIT | libc::MSG_ERRQUEUE) as u32,
            dont_wait: libc::MSG_DONTWAIT as u32,
            sockets_only: true,
            perform_waits: false,
            progress_is_bytes: true,
            attempt,
        },
        ring_route: RingRoute::Readiness,
        tried: Tried::Stream,
        chain: ChainRule::ShortBreaksWithWaitall,
        finish: Finish::AsIs,
        // MSG_NOSIGNAL: a closed peer is -EPIPE, never SIGPIPE.
        may_raise_sigpipe: false,
        blocking: BlockingRule::Message,
        extra: Extra::Unused,
    }
}

/// `sendmsg(fd, buf, op_flags | MSG_NOSIGNAL)`.
pub const SENDMSG: OpSpec = message(
    "URB_OP_SENDMSG",
    opcode::SendMsg::CODE,
    true,
    |op| {
        // SAFETY: `OpSpec::validate`'s contract: the caller's msghdr.
        unsafe { check(op, SENDMSG_FLAGS) }
    },
    |op, _| {
        opcode::SendMsg::new(types::Fd(op.raw.fd), op.raw.buf.cast())
            .flags(kernel_flags(op) as u32)
            .build()
    },
);

/// `recvmsg(fd, buf, op_flags)`.
pub const RECVMSG: OpSpec = message(
    "URB_OP_RECVMSG",
    opcode::RecvMsg::CODE,
    false,
    |op| {
        // SAFETY: `OpSpec::validate`'s contract: the caller's msghdr.
        unsafe { check(op, RECVMSG_FLAGS) }
    },
    |op, _| {
        opcode::RecvMsg::new(types::Fd(op.raw.fd), op.raw.buf.cast())
            .flags(kernel_flags(op) as u32)
            .build()
    },
);
