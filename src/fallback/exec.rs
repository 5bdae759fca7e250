//! One `ValidOp` performed with plain system calls, giving the result an
//! io_uring CQE would carry for it. What each operation does is its
//! `OpSpec` (`ops`); this is how the fallback drives it.

use super::attempt::Attempt;
use crate::op::ValidOp;
use crate::ops::{self, Readiness};
use crate::sys::descriptor::is_pollable;
use crate::sys::poll::poll_fd;
use crate::sys::time::Deadline;

/// Performs `op` as one request, the fallback's twin of one io_uring SQE.
///
/// Without a deadline it is the system call itself, so a descriptor's
/// `O_NONBLOCK`, `SO_RCVTIMEO`, `MSG_WAITALL` and the kernel's full-length
/// blocking writes all behave as the call's manual says.
///
/// With a deadline (the stand-in for `IORING_OP_LINK_TIMEOUT`) a request on
/// a pipe or socket is tried without waiting first, and only what would
/// have to wait waits for readiness, giving up with `-ETIME` at `deadline`:
/// a call that fails or finishes at once (a read on a pipe's write end, a
/// recv on a listening socket, `MSG_OOB` with no urgent data, a zero-length
/// read) does so at once. Operations on regular files do not wait for
/// readiness and run to completion, as they would under io_uring.
pub fn execute(op: &ValidOp, deadline: Deadline) -> i32 {
    let spec = op.code.spec();
    // SAFETY: `op` passed validation; its memory is the caller's promise until it completes.
    let perform = || unsafe { (spec.perform)(op, deadline) };
    let Readiness::Waits {
        unless,
        sockets_only,
        perform_waits,
        attempt,
        ..
    } = spec.readiness
    else {
        return perform();
    };
    // The caller's MSG_DONTWAIT/RWF_NOWAIT (and MSG_ERRQUEUE) ask for
    // -EAGAIN at once, as on io_uring.
    if deadline.is_none() || op.raw.op_flags & unless != 0 {
        return perform();
    }
    if perform_waits || !(sockets_only || is_pollable(op.raw.fd)) {
        return perform();
    }
    let mut progress = 0u32;
    loop {
        match attempt(op, &mut progress) {
            Attempt::Done(res) => return res,
            Attempt::Again => {
                let (fd, events) = ops::wait_target(op);
                let ready = poll_fd(fd, events as i16, deadline);
                if ready < 0 {
                    // What a partly done MSG_WAITALL transfer moved is reported.
                    return ops::moved(op, progress).unwrap_or(ready);
                }
            }
        }
    }
}
