//! `ValidOp` -> kernel SQE: each operation's `OpSpec::encode` (in `ops`),
//! and what every SQE shares (sleeps' timespecs, link timeouts).

use crate::op::{Opcode, ValidOp};
use crate::ops::spec;
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
///
/// Each operation's encoder is called directly, one arm per opcode, never
/// through the table's function pointer: a direct call is inlined, so the
/// SQE is written where the caller wants it (the SQ, or its staging). The
/// pointer's indirect call built each SQE in a temporary that was then
/// copied, and that copy, made right after the encoder's narrow stores,
/// stalled on every wide load (store forwarding fails): in 32-NOP batches
/// it was about a third of the library's time per request (perf).
#[inline(always)]
pub fn encode(op: &ValidOp, args: &mut SqeArgs) -> Entry {
    macro_rules! direct {
        ($($code:ident)*) => {
            match op.code {
                $(Opcode::$code => (const { spec(Opcode::$code).encode })(op, args),)*
            }
        };
    }
    let e = direct!(
        Nop Read Write Readv Writev Fsync Openat Close Statx Recv Send Accept
        Connect Shutdown Poll Timeout Unlinkat Renameat Mkdirat
        Sendmsg Recvmsg Socket Bind Listen
        Symlinkat Linkat Fallocate Ftruncate Fadvise Madvise SyncFileRange Splice Tee
        Getxattr Setxattr
        ReadFixed WriteFixed SendZc SendmsgZc
    );
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
