//! getxattr, setxattr: extended attributes by path, with the attribute's
//! name in `reserved2[0]` (`Extra::Name`: `urb_op` has two pointer fields,
//! and these calls need three). The path is relative to the working
//! directory and symbolic links are followed, as getxattr(2) and io_uring
//! do; the kernel judges names, sizes and the file system's support.

use super::file::spec;
use super::{ChainRule, Extra, FdUse, OpSpec, SqeFields};
use crate::op::{urb_op, ValidOp};
use crate::sys::retry;
use io_uring::opcode;

/// `XATTR_CREATE | XATTR_REPLACE`: setxattr(2)'s flags; another bit is
/// its `EINVAL`.
const SETXATTR_FLAGS: u32 = (libc::XATTR_CREATE | libc::XATTR_REPLACE) as u32;

fn name(op: &urb_op) -> *const libc::c_char {
    op.reserved2[0] as usize as *const libc::c_char
}

/// What both check: getxattr takes no flags (io_uring refuses any with
/// EINVAL), setxattr only its two.
fn check(op: &urb_op, allowed: u32) -> Result<u64, i32> {
    if op.op_flags & !allowed != 0 {
        return Err(-libc::EINVAL);
    }
    // The kernel's answer to a NULL path or name (copying it in faults),
    // given here so that no system call is made with a NULL string.
    if op.buf.is_null() || name(op).is_null() {
        return Err(-libc::EFAULT);
    }
    Ok(0)
}

fn decode(f: &SqeFields) -> Result<urb_op, i32> {
    Ok(urb_op {
        buf: f.addr3 as usize as *mut _,
        buf2: f.off as usize as *mut _,
        len: f.len,
        op_flags: f.op_flags,
        reserved2: [f.addr as u64, 0],
        ..urb_op::zeroed()
    })
}

/// `getxattr(buf, reserved2[0], buf2, len)`.
pub const GETXATTR: OpSpec = OpSpec {
    // io_uring/xattr.c does not fail the links after a failed one.
    chain: ChainRule::LastOnly,
    extra: Extra::Name,
    ..spec(
        "URB_OP_GETXATTR",
        opcode::GetXattr::CODE,
        "5.19",
        FdUse::None,
        |op| check(op, 0),
        |op: &ValidOp, _| {
            let r = &op.raw;
            opcode::GetXattr::new(name(r), r.buf2, r.buf.cast_const().cast(), r.len).build()
        },
        decode,
        |op, _| {
            let r = &op.raw;
            // SAFETY: the caller's path, name and buffer of len bytes, valid
            // until completion (validation refused NULL path and name).
            retry(|| unsafe { libc::getxattr(r.buf.cast(), name(r), r.buf2, r.len as usize) })
        },
    )
};

/// `setxattr(buf, reserved2[0], buf2, len, op_flags)`.
pub const SETXATTR: OpSpec = OpSpec {
    chain: ChainRule::LastOnly,
    extra: Extra::Name,
    ..spec(
        "URB_OP_SETXATTR",
        opcode::SetXattr::CODE,
        "5.19",
        FdUse::None,
        |op| check(op, SETXATTR_FLAGS),
        |op: &ValidOp, _| {
            let r = &op.raw;
            opcode::SetXattr::new(
                name(r),
                r.buf2.cast_const(),
                r.buf.cast_const().cast(),
                r.len,
            )
            .flags(r.op_flags as i32)
            .build()
        },
        decode,
        |op, _| {
            let r = &op.raw;
            // SAFETY: as for getxattr; the value is only read.
            retry(|| unsafe {
                libc::setxattr(
                    r.buf.cast(),
                    name(r),
                    r.buf2.cast_const(),
                    r.len as usize,
                    r.op_flags as i32,
                ) as isize
            })
        },
    )
};
