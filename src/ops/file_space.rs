//! fallocate, ftruncate, fadvise, madvise, sync_file_range: calls about an
//! open file's space, length, caching and write-back (and madvise, its
//! twin for memory). They may block however they are issued and never
//! wait for readiness; their flags and advice go to the kernel, which
//! judges them the same way from io_uring and from the system call.

use super::file::spec;
use super::{on_fd, ChainRule, Extra, FdUse, OpSpec, SqeFields};
use crate::op::urb_op;
use crate::sys::retry;
use io_uring::{opcode, types};

/// `fallocate(fd, mode, offset, reserved2[0])`.
pub const FALLOCATE: OpSpec = OpSpec {
    // io_uring (io_uring/sync.c) does not mark a failed fallocate as
    // failed for its links: what follows would run.
    chain: ChainRule::LastOnly,
    extra: Extra::Length,
    ..spec(
        "URB_OP_FALLOCATE",
        opcode::Fallocate::CODE,
        "5.6",
        FdUse::Required,
        |_| Ok(0),
        |op, _| {
            let r = &op.raw;
            opcode::Fallocate::new(types::Fd(r.fd), r.reserved2[0])
                .offset(r.offset)
                .mode(r.mode as i32)
                .build()
        },
        |f| {
            Ok(urb_op {
                offset: f.off,
                reserved2: [f.addr as u64, 0],
                mode: f.len,
                ..on_fd(f)
            })
        },
        |op, _| {
            let r = &op.raw;
            // SAFETY: a plain call on a descriptor.
            retry(|| unsafe {
                libc::fallocate(r.fd, r.mode as i32, r.offset as i64, r.reserved2[0] as i64)
                    as isize
            })
        },
    )
};

/// `ftruncate(fd, offset)`.
pub const FTRUNCATE: OpSpec = OpSpec {
    // io_uring/truncate.c does not fail the links after a failed one.
    chain: ChainRule::LastOnly,
    ..spec(
        "URB_OP_FTRUNCATE",
        opcode::Ftruncate::CODE,
        "6.9",
        FdUse::Required,
        |_| Ok(0),
        |op, _| opcode::Ftruncate::new(types::Fd(op.raw.fd), op.raw.offset).build(),
        |f| {
            Ok(urb_op {
                offset: f.off,
                ..on_fd(f)
            })
        },
        |op, _| {
            let r = &op.raw;
            // SAFETY: a plain call on a descriptor.
            retry(|| unsafe { libc::ftruncate(r.fd, r.offset as i64) as isize })
        },
    )
};

/// The SQE of a range on a descriptor (fadvise, sync_file_range): offset,
/// length and flags where `urb_op` has them.
fn decode_range(f: &SqeFields) -> Result<urb_op, i32> {
    Ok(urb_op {
        offset: f.off,
        len: f.len,
        op_flags: f.op_flags,
        ..on_fd(f)
    })
}

/// `posix_fadvise(fd, offset, len, op_flags)`.
pub const FADVISE: OpSpec = spec(
    "URB_OP_FADVISE",
    opcode::Fadvise::CODE,
    "5.6",
    FdUse::Required,
    |_| Ok(0),
    |op, _| {
        let r = &op.raw;
        opcode::Fadvise::new(types::Fd(r.fd), r.len as i64, r.op_flags as i32)
            .offset(r.offset)
            .build()
    },
    decode_range,
    |op, _| {
        let r = &op.raw;
        // posix_fadvise returns its error instead of setting errno.
        // SAFETY: a plain call on a descriptor.
        match unsafe { libc::posix_fadvise(r.fd, r.offset as i64, r.len as i64, r.op_flags as i32) }
        {
            0 => 0,
            e => -e,
        }
    },
);

/// `madvise(buf, len, op_flags)`.
pub const MADVISE: OpSpec = OpSpec {
    // io_uring/advise.c does not fail the links after a failed madvise.
    chain: ChainRule::LastOnly,
    ..spec(
        "URB_OP_MADVISE",
        opcode::Madvise::CODE,
        "5.6",
        FdUse::None,
        |_| Ok(0),
        |op, _| {
            let r = &op.raw;
            opcode::Madvise::new(r.buf.cast_const(), r.len as i64, r.op_flags as i32).build()
        },
        |f| {
            Ok(urb_op {
                buf: f.addr,
                len: f.len,
                op_flags: f.op_flags,
                fd: -1,
                ..urb_op::zeroed()
            })
        },
        |op, _| {
            let r = &op.raw;
            // SAFETY: advice about the caller's own mapping, which the
            // kernel checks (an unmapped range is its -ENOMEM).
            retry(|| unsafe { libc::madvise(r.buf, r.len as usize, r.op_flags as i32) as isize })
        },
    )
};

/// `sync_file_range(fd, offset, len, op_flags)`.
pub const SYNC_FILE_RANGE: OpSpec = OpSpec {
    // io_uring/sync.c does not fail the links after a failed one.
    chain: ChainRule::LastOnly,
    ..spec(
        "URB_OP_SYNC_FILE_RANGE",
        opcode::SyncFileRange::CODE,
        "5.2",
        FdUse::Required,
        |_| Ok(0),
        |op, _| {
            let r = &op.raw;
            opcode::SyncFileRange::new(types::Fd(r.fd), r.len)
                .offset(r.offset)
                .flags(r.op_flags)
                .build()
        },
        decode_range,
        |op, _| {
            let r = &op.raw;
            // SAFETY: a plain call on a descriptor.
            retry(|| unsafe {
                libc::sync_file_range(r.fd, r.offset as i64, r.len as i64, r.op_flags) as isize
            })
        },
    )
};
