//! fsync, openat, close, statx, unlinkat, renameat, mkdirat, symlinkat,
//! linkat: calls on
//! files and paths that may block however they are issued, and never wait
//! for readiness.

use super::{
    no_fields, on_fd, BlockingRule, ChainRule, Extra, FdUse, Finish, OpSpec, Readiness, RingRoute,
    SqeFields, Tried,
};
use crate::op::{urb_op, ValidOp, URB_FSYNC_DATASYNC};
use crate::sys::time::Deadline;
use crate::sys::{io, retry};
use crate::uring::encode::SqeArgs;
use io_uring::{opcode, squeue::Entry, types};

/// What every operation here shares (and file_space.rs's, and net.rs's calls
/// that return at once, on another ring route); the arguments are the
/// fields that differ.
#[allow(clippy::too_many_arguments)]
pub(super) const fn spec(
    name: &'static str,
    kernel_opcode: u8,
    since: &'static str,
    fd: FdUse,
    validate: unsafe fn(&urb_op) -> Result<u64, i32>,
    encode: fn(&ValidOp, &mut SqeArgs) -> Entry,
    decode: unsafe fn(&SqeFields) -> Result<urb_op, i32>,
    perform: unsafe fn(&ValidOp, Deadline) -> i32,
) -> OpSpec {
    OpSpec {
        name,
        kernel_opcode,
        since,
        fd,
        vectored: false,
        validate,
        encode,
        decode,
        perform,
        readiness: Readiness::Never,
        ring_route: RingRoute::Pool,
        tried: Tried::Never,
        chain: ChainRule::ErrorOnly,
        finish: Finish::AsIs,
        may_raise_sigpipe: false,
        blocking: BlockingRule::Once,
        extra: Extra::Unused,
    }
}

/// `fsync(fd)`, or `fdatasync(fd)` with `URB_FSYNC_DATASYNC` (the kernel's
/// `IORING_FSYNC_DATASYNC` has the same value).
pub const FSYNC: OpSpec = spec(
    "URB_OP_FSYNC",
    opcode::Fsync::CODE,
    "5.1",
    FdUse::Required,
    |op| match op.op_flags & !URB_FSYNC_DATASYNC {
        0 => Ok(0),
        _ => Err(-libc::EINVAL),
    },
    |op, _| {
        let flags = if op.raw.op_flags & URB_FSYNC_DATASYNC != 0 {
            types::FsyncFlags::DATASYNC
        } else {
            types::FsyncFlags::empty()
        };
        opcode::Fsync::new(types::Fd(op.raw.fd))
            .flags(flags)
            .build()
    },
    |f| {
        Ok(urb_op {
            op_flags: f.op_flags,
            ..on_fd(f)
        })
    },
    |op, _| {
        let (fd, datasync) = (op.raw.fd, op.raw.op_flags & URB_FSYNC_DATASYNC != 0);
        // SAFETY: plain calls on a descriptor.
        retry(|| unsafe {
            if datasync {
                libc::fdatasync(fd) as isize
            } else {
                libc::fsync(fd) as isize
            }
        })
    },
);

/// `openat(fd, buf, op_flags, mode)`.
pub const OPENAT: OpSpec = spec(
    "URB_OP_OPENAT",
    opcode::OpenAt::CODE,
    "5.6",
    FdUse::Directory,
    // SAFETY: validate's promise covers the path.
    |op| unsafe { path(op) }.map(|_| 0),
    |op, _| {
        let r = &op.raw;
        opcode::OpenAt::new(types::Fd(r.fd), r.buf.cast())
            .flags(r.op_flags as i32)
            .mode(r.mode)
            .build()
    },
    |f| {
        Ok(urb_op {
            buf: f.addr,
            op_flags: f.op_flags,
            mode: f.len,
            ..on_fd(f)
        })
    },
    |op, _| {
        let r = &op.raw;
        // SAFETY: validation checked the path; the caller keeps it alive.
        retry(|| unsafe {
            libc::openat(
                r.fd,
                r.buf as *const libc::c_char,
                r.op_flags as i32,
                r.mode,
            ) as isize
        })
    },
);

/// `close(fd)`.
pub const CLOSE: OpSpec = spec(
    "URB_OP_CLOSE",
    opcode::Close::CODE,
    "5.6",
    FdUse::Required,
    no_fields,
    |op, _| opcode::Close::new(types::Fd(op.raw.fd)).build(),
    |f| Ok(on_fd(f)),
    |op, _| io::close(op.raw.fd),
);

/// `statx(fd, buf, op_flags, mode, buf2)`.
pub const STATX: OpSpec = spec(
    "URB_OP_STATX",
    opcode::Statx::CODE,
    "5.6",
    FdUse::Directory,
    |op| {
        if op.buf2.is_null() {
            return Err(-libc::EFAULT);
        }
        // SAFETY: validate's promise covers the path.
        unsafe { path(op) }.map(|_| 0)
    },
    |op, _| {
        let r = &op.raw;
        opcode::Statx::new(types::Fd(r.fd), r.buf.cast(), r.buf2.cast())
            .flags(r.op_flags as i32)
            .mask(r.mode)
            .build()
    },
    |f| {
        Ok(urb_op {
            buf: f.addr,
            mode: f.len,
            buf2: f.off as usize as *mut _,
            op_flags: f.op_flags,
            ..on_fd(f)
        })
    },
    |op, _| {
        let r = &op.raw;
        // SAFETY: validation checked the path and the buffer; the caller keeps them alive.
        retry(|| unsafe {
            libc::statx(
                r.fd,
                r.buf as *const libc::c_char,
                r.op_flags as i32,
                r.mode,
                r.buf2 as *mut libc::statx,
            ) as isize
        })
    },
);

/// `unlinkat(fd, buf, op_flags)`.
pub const UNLINKAT: OpSpec = OpSpec {
    chain: ChainRule::LastOnly,
    ..spec(
        "URB_OP_UNLINKAT",
        opcode::UnlinkAt::CODE,
        "5.11",
        FdUse::Directory,
        |op| {
            // SAFETY: validate's promise covers the path.
            unsafe { path(op) }?;
            // unlinkat(2) refuses every other bit with EINVAL; checked here so
            // the fallback and the kernel agree whatever libc passes on.
            match op.op_flags & !(libc::AT_REMOVEDIR as u32) {
                0 => Ok(0),
                _ => Err(-libc::EINVAL),
            }
        },
        |op, _| {
            let r = &op.raw;
            opcode::UnlinkAt::new(types::Fd(r.fd), r.buf.cast())
                .flags(r.op_flags as i32)
                .build()
        },
        |f| {
            Ok(urb_op {
                buf: f.addr,
                op_flags: f.op_flags,
                ..on_fd(f)
            })
        },
        |op, _| {
            let r = &op.raw;
            // SAFETY: validation checked the path; the caller keeps it alive.
            retry(|| unsafe {
                libc::unlinkat(r.fd, r.buf as *const libc::c_char, r.op_flags as i32) as isize
            })
        },
    )
};

/// The SQE of renameat and linkat: old path, new directory (`len`), new
/// path and flags.
fn decode_two_paths(f: &SqeFields) -> Result<urb_op, i32> {
    Ok(urb_op {
        buf: f.addr,
        len: f.len,
        buf2: f.off as usize as *mut _,
        op_flags: f.op_flags,
        ..on_fd(f)
    })
}

/// `renameat2(fd, buf, len, buf2, op_flags)`: `len` carries the new
/// directory descriptor, as the kernel's SQE does.
pub const RENAMEAT: OpSpec = OpSpec {
    chain: ChainRule::LastOnly,
    ..spec(
        "URB_OP_RENAMEAT",
        opcode::RenameAt::CODE,
        "5.11",
        FdUse::Directory,
        |op| {
            // SAFETY: validate's promise covers both paths.
            unsafe {
                path(op)?;
                path_at(op.len as i32, op.buf2)
            }
            .map(|_| 0)
        },
        |op, _| {
            let r = &op.raw;
            opcode::RenameAt::new(
                types::Fd(r.fd),
                r.buf.cast(),
                types::Fd(r.len as i32),
                r.buf2.cast(),
            )
            .flags(r.op_flags)
            .build()
        },
        decode_two_paths,
        |op, _| {
            let r = &op.raw;
            // The flags go to the kernel as they are: renameat2(2) judges them
            // (EINVAL, or EEXIST for RENAME_NOREPLACE), as io_uring's does.
            // SAFETY: validation checked the paths; the caller keeps them alive.
            retry(|| unsafe {
                libc::syscall(
                    libc::SYS_renameat2,
                    r.fd,
                    r.buf as *const libc::c_char,
                    r.len as i32,
                    r.buf2 as *const libc::c_char,
                    r.op_flags,
                ) as isize
            })
        },
    )
};

/// `mkdirat(fd, buf, mode)`.
pub const MKDIRAT: OpSpec = OpSpec {
    chain: ChainRule::LastOnly,
    ..spec(
        "URB_OP_MKDIRAT",
        opcode::MkDirAt::CODE,
        "5.15",
        FdUse::Directory,
        // SAFETY: validate's promise covers the path.
        |op| unsafe { path(op) }.map(|_| 0),
        |op, _| {
            let r = &op.raw;
            opcode::MkDirAt::new(types::Fd(r.fd), r.buf.cast())
                .mode(r.mode)
                .build()
        },
        |f| {
            Ok(urb_op {
                buf: f.addr,
                mode: f.len,
                ..on_fd(f)
            })
        },
        |op, _| {
            let r = &op.raw;
            // SAFETY: validation checked the path; the caller keeps it alive.
            retry(|| unsafe {
                libc::mkdirat(r.fd, r.buf as *const libc::c_char, r.mode as libc::mode_t) as isize
            })
        },
    )
};

/// `symlinkat(buf, fd, buf2)`: the target text `buf`, the new link `buf2`
/// relative to `fd`.
pub const SYMLINKAT: OpSpec = OpSpec {
    chain: ChainRule::LastOnly,
    ..spec(
        "URB_OP_SYMLINKAT",
        opcode::SymlinkAt::CODE,
        "5.15",
        FdUse::Directory,
        |op| {
            // The target is text the kernel copies, never resolved: only NULL
            // is refused here (an empty one is the kernel's -ENOENT).
            if op.buf.is_null() {
                return Err(-libc::EFAULT);
            }
            // SAFETY: validate's promise covers the link's path.
            unsafe { path_at(op.fd, op.buf2) }.map(|_| 0)
        },
        |op, _| {
            let r = &op.raw;
            opcode::SymlinkAt::new(types::Fd(r.fd), r.buf.cast(), r.buf2.cast()).build()
        },
        |f| {
            Ok(urb_op {
                buf: f.addr,
                buf2: f.off as usize as *mut _,
                ..on_fd(f)
            })
        },
        |op, _| {
            let r = &op.raw;
            // SAFETY: validation checked both paths; the caller keeps them alive.
            retry(|| unsafe {
                libc::symlinkat(
                    r.buf as *const libc::c_char,
                    r.fd,
                    r.buf2 as *const libc::c_char,
                ) as isize
            })
        },
    )
};

/// The flags linkat(2) knows; any other bit is its `EINVAL`.
const LINKAT_FLAGS: u32 = (libc::AT_SYMLINK_FOLLOW | libc::AT_EMPTY_PATH) as u32;

/// `linkat(fd, buf, len, buf2, op_flags)`: `len` carries the new directory
/// descriptor, as the kernel's SQE does (and as for renameat).
pub const LINKAT: OpSpec = OpSpec {
    chain: ChainRule::LastOnly,
    ..spec(
        "URB_OP_LINKAT",
        opcode::LinkAt::CODE,
        "5.15",
        FdUse::Directory,
        |op| {
            // linkat(2) judges the flags before the paths.
            if op.op_flags & !LINKAT_FLAGS != 0 {
                return Err(-libc::EINVAL);
            }
            // SAFETY: validate's promise covers both paths.
            unsafe {
                path(op)?;
                path_at(op.len as i32, op.buf2)
            }
            .map(|_| 0)
        },
        |op, _| {
            let r = &op.raw;
            opcode::LinkAt::new(
                types::Fd(r.fd),
                r.buf.cast(),
                types::Fd(r.len as i32),
                r.buf2.cast(),
            )
            .flags(r.op_flags as i32)
            .build()
        },
        decode_two_paths,
        |op, _| {
            let r = &op.raw;
            // SAFETY: validation checked the paths; the caller keeps them alive.
            retry(|| unsafe {
                libc::linkat(
                    r.fd,
                    r.buf as *const libc::c_char,
                    r.len as i32,
                    r.buf2 as *const libc::c_char,
                    r.op_flags as i32,
                ) as isize
            })
        },
    )
};

/// `buf` as a path beside the directory descriptor `fd`: NULL is `-EFAULT`;
/// a negative `fd` other than `AT_FDCWD` is `-EBADF` unless the path is
/// absolute (then the kernel ignores it). For an empty path the kernel
/// would say `-ENOENT` first; the library says `-EBADF` there too, the same
/// on both engines and under tools (valgrind) that check the descriptor
/// before the kernel sees the call.
///
/// # Safety
/// A non-NULL `op.buf` is a NUL-terminated path: its first byte is read.
unsafe fn path(op: &urb_op) -> Result<(), i32> {
    path_at(op.fd, op.buf)
}

/// As [`path`], for any directory descriptor and path (renameat's second).
///
/// # Safety
/// A non-NULL `buf` is a NUL-terminated path: its first byte is read.
unsafe fn path_at(dirfd: i32, buf: *mut libc::c_void) -> Result<(), i32> {
    if buf.is_null() {
        return Err(-libc::EFAULT);
    }
    let absolute = *(buf as *const u8) == b'/';
    if dirfd < 0 && dirfd != libc::AT_FDCWD && !absolute {
        return Err(-libc::EBADF);
    }
    Ok(())
}
