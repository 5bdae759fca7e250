//! `ValidOp` -> kernel SQE: each operation's `OpSpec::encode` (in `ops`),
//! and what every SQE shares (sleeps' timespecs, link timeouts).

use crate::op::ValidOp;
use io_uring::{opcode, squeue::Entry, types};

/// Kernel-side memory a request needs until it has been submitted (the
/// kernel copies a timespec when it takes the SQE).
#[derive(Default)]
pub struct SqeArgs {
    pub timespec: types::Timespec,
}

pub fn timespec(ns: u64) -> types::Timespec {
    types::Timespec::new()
        .sec(ns / 1_000_000_000)
        .nsec((ns % 1_000_000_000) as u32)
}

/// Builds the SQE for `op` (its `OpSpec::encode`). `args` must outlive the
/// submission of the entry.
pub fn encode(op: &ValidOp, args: &mut SqeArgs) -> Entry {
    let e = (op.code.spec().encode)(op, args);
    // `fd` already holds the index into the ring's registered files.
    if op.fixed_file() {
        e.flags(io_uring::squeue::Flags::FIXED_FILE)
    } else {
        e
    }
}

/// The `IORING_OP_LINK_TIMEOUT` that bounds the request linked before it.
pub fn link_timeout(ts: &types::Timespec) -> Entry {
    opcode::LinkTimeout::new(ts).build()
}

/// The result of a request bounded by an `IORING_OP_LINK_TIMEOUT`, given
/// both CQEs: `-ETIME` when the timer fired and cancelled the request.
pub fn timed_result(op_res: i32, timer_res: i32) -> i32 {
    let cancelled = op_res == -libc::ECANCELED || op_res == -libc::EINTR;
    if timer_res == -libc::ETIME && cancelled {
        -libc::ETIME
    } else {
        op_res
    }
}
