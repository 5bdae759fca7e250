//! `ValidOp` -> kernel SQE. One arm per operation; the only place that knows
//! how `urb_op` fields map onto `io_uring_sqe` fields.

use crate::op::{Opcode, ValidOp, URB_FSYNC_DATASYNC};
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

/// Builds the SQE for `op`. `args` must outlive the submission of the entry.
pub fn encode(op: &ValidOp, args: &mut SqeArgs) -> Entry {
    let r = &op.raw;
    let fd = types::Fd(r.fd);
    match op.code {
        Opcode::Nop => opcode::Nop::new().build(),
        Opcode::Read => opcode::Read::new(fd, r.buf.cast(), r.len)
            .offset(r.offset)
            .rw_flags(r.op_flags as i32)
            .build(),
        Opcode::Write => opcode::Write::new(fd, r.buf.cast(), r.len)
            .offset(r.offset)
            .rw_flags(r.op_flags as i32)
            .build(),
        Opcode::Readv => opcode::Readv::new(fd, r.buf.cast(), r.len)
            .offset(r.offset)
            .rw_flags(r.op_flags as i32)
            .build(),
        Opcode::Writev => opcode::Writev::new(fd, r.buf.cast(), r.len)
            .offset(r.offset)
            .rw_flags(r.op_flags as i32)
            .build(),
        Opcode::Fsync => {
            let flags = if r.op_flags & URB_FSYNC_DATASYNC != 0 {
                types::FsyncFlags::DATASYNC
            } else {
                types::FsyncFlags::empty()
            };
            opcode::Fsync::new(fd).flags(flags).build()
        }
        Opcode::Openat => opcode::OpenAt::new(fd, r.buf.cast())
            .flags(r.op_flags as i32)
            .mode(r.mode)
            .build(),
        Opcode::Close => opcode::Close::new(fd).build(),
        Opcode::Statx => opcode::Statx::new(fd, r.buf.cast(), r.buf2.cast())
            .flags(r.op_flags as i32)
            .mask(r.mode)
            .build(),
        Opcode::Recv => opcode::Recv::new(fd, r.buf.cast(), r.len)
            .flags(r.op_flags as i32)
            .build(),
        // MSG_NOSIGNAL on both engines: a closed peer is -EPIPE, never SIGPIPE.
        Opcode::Send => opcode::Send::new(fd, r.buf.cast(), r.len)
            .flags(r.op_flags as i32 | libc::MSG_NOSIGNAL)
            .build(),
        Opcode::Accept => opcode::Accept::new(fd, r.buf.cast(), r.buf2.cast())
            .flags(r.op_flags as i32)
            .build(),
        Opcode::Connect => opcode::Connect::new(fd, r.buf.cast(), r.len).build(),
        Opcode::Shutdown => opcode::Shutdown::new(fd, r.op_flags as i32).build(),
        Opcode::Poll => opcode::PollAdd::new(fd, r.op_flags).build(),
        Opcode::Timeout => {
            args.timespec = timespec(r.offset);
            opcode::Timeout::new(&args.timespec)
                .flags(types::TimeoutFlags::ETIME_SUCCESS)
                .build()
        }
    }
}

/// The `IORING_OP_LINK_TIMEOUT` that bounds the request linked before it.
pub fn link_timeout(ts: &types::Timespec) -> Entry {
    opcode::LinkTimeout::new(ts).build()
}
