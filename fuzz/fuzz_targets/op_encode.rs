//! `urb_op` validation and SQE encoding from arbitrary bytes, checked three
//! ways: what validation accepts obeys the header's rules, the SQE it is
//! encoded into carries the request's fields where the kernel reads them,
//! and the fallback engine's SQE decoder (`to_op`, what
//! `urb_submit_blocking_sqe` uses there) reads the same request back.
//! Nothing is submitted: pointers are only compared, never followed, except
//! the iovec array of readv/writev, which validation reads and which
//! therefore always points at a real array here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uringbridge::op::*;
use uringbridge::sqe::io_uring_sqe;
use uringbridge::uring::encode::{encode, SqeArgs};
use uringbridge_fuzz::Bytes;

const IOV_MAX: usize = 1024;

fn sqe_bytes(entry: io_uring::squeue::Entry) -> [u8; 64] {
    // SAFETY: `Entry` is the kernel's 64-byte SQE behind a `repr(C)` wrapper.
    unsafe { std::mem::transmute::<io_uring::squeue::Entry, [u8; 64]>(entry) }
}

fn field<const N: usize>(sqe: &[u8; 64], at: usize) -> [u8; N] {
    sqe[at..at + N].try_into().unwrap()
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let mut op = urb_op::zeroed();
    op.opcode = input.u8();
    op.flags = if input.u8() < 16 { input.u8() } else { 0 };
    op.reserved0 = if input.u8() < 16 { input.u16() } else { 0 };
    op.fd = input.u32() as i32;
    op.offset = input.u64();
    op.buf = input.u64() as usize as *mut libc::c_void;
    op.len = input.u32();
    op.op_flags = input.u32();
    op.buf2 = input.u64() as usize as *mut libc::c_void;
    op.mode = input.u32();
    op.reserved1 = if input.u8() < 16 { input.u32() } else { 0 };
    op.reserved2 = if input.u8() < 16 {
        [input.u64(), input.u64()]
    } else {
        [0, 0]
    };

    // Validation reads readv/writev's iovec array: give it one, entries
    // from the input (their bases are compared, never followed).
    let iovs: Vec<libc::iovec> = (0..IOV_MAX)
        .map(|_| libc::iovec {
            iov_base: (input.u64() & 0xff) as usize as *mut _,
            iov_len: input.u32() as usize,
        })
        .collect();
    if matches!(op.opcode, URB_OP_READV | URB_OP_WRITEV) && !op.buf.is_null() {
        op.buf = iovs.as_ptr() as *mut _;
    }
    // Validation reads the first byte of a path (openat, statx, unlinkat,
    // renameat, mkdirat; absolute or not): give it a real one, absolute,
    // relative or empty.
    let paths: [&std::ffi::CStr; 3] = [c"/tmp/urb-fuzz-none", c"urb-fuzz-none", c""];
    let path = paths[input.u8() as usize % paths.len()];
    let takes_path = matches!(
        op.opcode,
        URB_OP_OPENAT
            | URB_OP_STATX
            | URB_OP_UNLINKAT
            | URB_OP_RENAMEAT
            | URB_OP_MKDIRAT
            | URB_OP_LINKAT
    );
    if takes_path && !op.buf.is_null() {
        op.buf = path.as_ptr() as *mut _;
    }
    // renameat's and linkat's new path (buf2), and symlinkat's link path
    // (buf2, beside a target in buf that is never read), are read the same way.
    let new_path = paths[input.u8() as usize % paths.len()];
    let second_path = matches!(
        op.opcode,
        URB_OP_RENAMEAT | URB_OP_LINKAT | URB_OP_SYMLINKAT
    );
    if second_path && !op.buf2.is_null() {
        op.buf2 = new_path.as_ptr() as *mut _;
    }

    // sendmsg/recvmsg's validation reads the msghdr and its iovecs: give it
    // a real one over `iovs` (or a NULL array), up to 1100 entries (more
    // than 1024 is refused before the array is read); its address and
    // control pointers are the kernel's to follow, never validation's.
    // SAFETY: msghdr is plain data.
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    hdr.msg_iovlen = (input.u16() % 1100) as usize;
    if input.u8() >= 16 {
        hdr.msg_iov = iovs.as_ptr() as *mut _;
    }
    hdr.msg_name = input.u64() as usize as *mut _;
    hdr.msg_control = input.u64() as usize as *mut _;
    if matches!(op.opcode, URB_OP_SENDMSG | URB_OP_RECVMSG) && !op.buf.is_null() {
        op.buf = (&mut hdr as *mut libc::msghdr).cast();
    }

    // SAFETY: a readv/writev buf was pointed at `iovs` above, a path
    // operation's buf (and buf2) at a real path, a message's at `hdr` (or
    // they are NULL).
    let valid = match unsafe { validate(&op) } {
        Ok(v) => v,
        Err(e) => {
            assert!(e < 0 && e > -4096, "validation error {e} is not an errno");
            return;
        }
    };

    // What validation accepted obeys the documented rules.
    assert!(op.opcode < URB_OP_COUNT, "unknown opcode accepted: {op:?}");
    let code = valid.code;
    // reserved1 is splice's and tee's output descriptor (never 0 or
    // negative), reserved2[0] fallocate's length and splice's output offset.
    let two_fds = matches!(code, Opcode::Splice | Opcode::Tee);
    let second_value = matches!(
        code,
        Opcode::Splice | Opcode::Fallocate | Opcode::Getxattr | Opcode::Setxattr
    );
    assert!(
        op.flags == 0
            && op.reserved0 == 0
            && (two_fds || op.reserved1 == 0)
            && (second_value || op.reserved2[0] == 0)
            && op.reserved2[1] == 0,
        "reserved field accepted: {op:?}"
    );
    if two_fds {
        assert!(
            op.reserved1 as i32 > 0,
            "output descriptor <= 0 accepted: {op:?}"
        );
    }
    // socket's fd is the domain, the kernel's to judge.
    let uses_fd = !matches!(
        code,
        Opcode::Nop
            | Opcode::Timeout
            | Opcode::Socket
            | Opcode::Madvise
            | Opcode::Getxattr
            | Opcode::Setxattr
    );
    // A directory descriptor is AT_FDCWD, or anything beside an absolute
    // path (the kernel ignores it then).
    let absolute = path.to_bytes().first() == Some(&b'/');
    let new_absolute = new_path.to_bytes().first() == Some(&b'/');
    let dirfd = (matches!(
        code,
        Opcode::Openat
            | Opcode::Statx
            | Opcode::Unlinkat
            | Opcode::Renameat
            | Opcode::Mkdirat
            | Opcode::Linkat
    ) && (op.fd == libc::AT_FDCWD || absolute))
        || (code == Opcode::Symlinkat && (op.fd == libc::AT_FDCWD || new_absolute));
    assert!(
        !uses_fd || op.fd >= 0 || dirfd,
        "negative fd accepted: {op:?}"
    );
    match code {
        Opcode::Read | Opcode::Write | Opcode::Recv | Opcode::Send => {
            assert!(op.len <= i32::MAX as u32, "{op:?}");
            assert_eq!(valid.expected_len, op.len as u64);
        }
        Opcode::Readv | Opcode::Writev => {
            let n = op.len as usize;
            assert!(n <= IOV_MAX, "{op:?}");
            let total: u64 = if op.buf.is_null() {
                0
            } else {
                iovs[..n].iter().map(|v| v.iov_len as u64).sum()
            };
            assert_eq!(valid.expected_len, total, "{op:?}");
            assert!(total <= i32::MAX as u64, "{op:?}");
        }
        Opcode::Timeout => assert!(op.offset <= i64::MAX as u64),
        Opcode::Sendmsg | Opcode::Recvmsg => {
            assert!(!op.buf.is_null(), "NULL msghdr accepted: {op:?}");
            let documented = if code == Opcode::Sendmsg {
                libc::MSG_CONFIRM
                    | libc::MSG_DONTROUTE
                    | libc::MSG_DONTWAIT
                    | libc::MSG_EOR
                    | libc::MSG_MORE
                    | libc::MSG_NOSIGNAL
                    | libc::MSG_OOB
                    | libc::MSG_FASTOPEN
            } else {
                libc::MSG_CMSG_CLOEXEC
                    | libc::MSG_DONTWAIT
                    | libc::MSG_ERRQUEUE
                    | libc::MSG_OOB
                    | libc::MSG_PEEK
                    | libc::MSG_TRUNC
                    | libc::MSG_WAITALL
            } as u32;
            assert_eq!(
                op.op_flags & !documented,
                0,
                "undocumented flag accepted: {op:?}"
            );
            let n = hdr.msg_iovlen;
            assert!(n <= IOV_MAX, "{op:?}");
            assert!(
                n == 0 || !hdr.msg_iov.is_null(),
                "NULL msg_iov accepted: {op:?}"
            );
            let total: u64 = if hdr.msg_iov.is_null() {
                0
            } else {
                iovs[..n].iter().map(|v| v.iov_len as u64).sum()
            };
            assert_eq!(valid.expected_len, total, "{op:?}");
            assert!(total <= i32::MAX as u64, "{op:?}");
        }
        Opcode::Bind => assert!(!op.buf.is_null() && op.len != 0, "{op:?}"),
        Opcode::Openat | Opcode::Statx | Opcode::Unlinkat | Opcode::Mkdirat => {
            assert!(!op.buf.is_null(), "NULL path accepted: {op:?}");
            if code == Opcode::Unlinkat {
                assert_eq!(
                    op.op_flags & !(libc::AT_REMOVEDIR as u32),
                    0,
                    "unlinkat flag other than AT_REMOVEDIR accepted: {op:?}"
                );
            }
        }
        Opcode::Renameat | Opcode::Linkat => {
            assert!(
                !op.buf.is_null() && !op.buf2.is_null(),
                "NULL path accepted: {op:?}"
            );
            let new_dirfd = op.len as i32;
            assert!(
                new_dirfd >= 0 || new_dirfd == libc::AT_FDCWD || new_absolute,
                "negative new directory accepted: {op:?}"
            );
            if code == Opcode::Linkat {
                let known = (libc::AT_SYMLINK_FOLLOW | libc::AT_EMPTY_PATH) as u32;
                assert_eq!(op.op_flags & !known, 0, "linkat flag accepted: {op:?}");
            }
        }
        Opcode::Symlinkat => {
            assert!(
                !op.buf.is_null() && !op.buf2.is_null(),
                "NULL path accepted: {op:?}"
            );
        }
        Opcode::Splice | Opcode::Tee => {
            assert!(op.len <= i32::MAX as u32, "{op:?}");
            assert_eq!(op.op_flags & !0x0f, 0, "SPLICE_F_* beyond the four: {op:?}");
            assert_eq!(valid.expected_len, op.len as u64);
            if code == Opcode::Tee {
                assert_eq!(op.offset, 0, "tee with an offset: {op:?}");
            }
        }
        _ => {}
    }
    // A chain is broken by a failure, and by a short transfer where one counts.
    assert!(valid.breaks_chain(-libc::EIO));

    // The SQE carries the request where the kernel reads it.
    let mut args = SqeArgs::default();
    let sqe = sqe_bytes(encode(&valid, &mut args));
    assert_eq!(sqe[0], code.kernel_opcode(), "{op:?}");
    assert_eq!(sqe[1], 0, "SQE flags set by the encoder: {op:?}");
    assert_eq!(
        field::<8>(&sqe, 32),
        [0; 8],
        "user_data is the engine's to set: {op:?}"
    );
    if uses_fd && !two_fds {
        assert_eq!(i32::from_ne_bytes(field(&sqe, 4)), op.fd, "fd: {op:?}");
    }
    // The path operations, where the kernel's io_uring.h puts each field:
    // addr at 16, len at 24, the per-op flags at 28, off/addr2 at 8.
    let sqe_addr = u64::from_ne_bytes(field(&sqe, 16));
    let sqe_len = u32::from_ne_bytes(field(&sqe, 24));
    let sqe_flags = u32::from_ne_bytes(field(&sqe, 28));
    let sqe_off = u64::from_ne_bytes(field(&sqe, 8));
    match code {
        Opcode::Unlinkat => {
            assert_eq!(
                (sqe_addr, sqe_len, sqe_flags, sqe_off),
                (op.buf as u64, 0, op.op_flags, 0),
                "unlinkat SQE: {op:?}"
            );
        }
        Opcode::Renameat => {
            assert_eq!(
                (sqe_addr, sqe_len, sqe_flags, sqe_off),
                (op.buf as u64, op.len, op.op_flags, op.buf2 as u64),
                "renameat SQE: {op:?}"
            );
        }
        Opcode::Mkdirat => {
            assert_eq!(
                (sqe_addr, sqe_len, sqe_flags, sqe_off),
                (op.buf as u64, op.mode, 0, 0),
                "mkdirat SQE: {op:?}"
            );
        }
        Opcode::Sendmsg => assert_eq!(
            (sqe_addr, sqe_flags, sqe_off),
            (op.buf as u64, op.op_flags | libc::MSG_NOSIGNAL as u32, 0),
            "sendmsg SQE: {op:?}"
        ),
        Opcode::Recvmsg => {
            let errqueue = op.op_flags & libc::MSG_ERRQUEUE as u32 != 0;
            let dontwait = libc::MSG_DONTWAIT as u32 * errqueue as u32;
            assert_eq!(
                (sqe_addr, sqe_flags, sqe_off),
                (op.buf as u64, op.op_flags | dontwait, 0),
                "recvmsg SQE: {op:?}"
            );
        }
        // The kernel reads socket's type from `off` as an int.
        Opcode::Socket => assert_eq!(
            (
                i32::from_ne_bytes(field(&sqe, 4)),
                sqe_off as u32,
                sqe_len,
                sqe_flags
            ),
            (op.fd, op.op_flags, op.len, 0),
            "socket SQE: {op:?}"
        ),
        Opcode::Bind => assert_eq!(
            (sqe_addr, sqe_off, sqe_len, sqe_flags),
            (op.buf as u64, op.len as u64, 0, 0),
            "bind SQE: {op:?}"
        ),
        Opcode::Listen => assert_eq!(
            (sqe_addr, sqe_off, sqe_len, sqe_flags),
            (0, 0, op.len, 0),
            "listen SQE: {op:?}"
        ),
        Opcode::Symlinkat => {
            assert_eq!(
                (sqe_addr, sqe_len, sqe_flags, sqe_off),
                (op.buf as u64, 0, 0, op.buf2 as u64),
                "symlinkat SQE: {op:?}"
            );
        }
        Opcode::Linkat => {
            assert_eq!(
                (sqe_addr, sqe_len, sqe_flags, sqe_off),
                (op.buf as u64, op.len, op.op_flags, op.buf2 as u64),
                "linkat SQE: {op:?}"
            );
        }
        Opcode::Fallocate => {
            // io_uring's fallocate: length in addr, mode in len.
            assert_eq!(
                (sqe_addr, sqe_len, sqe_off),
                (op.reserved2[0], op.mode, op.offset),
                "fallocate SQE: {op:?}"
            );
        }
        Opcode::Ftruncate => {
            assert_eq!(
                (sqe_addr, sqe_len, sqe_off),
                (0, 0, op.offset),
                "ftruncate SQE: {op:?}"
            );
        }
        Opcode::Fadvise | Opcode::SyncFileRange => {
            assert_eq!(
                (sqe_addr, sqe_len, sqe_flags, sqe_off),
                (0, op.len, op.op_flags, op.offset),
                "fadvise/sync_file_range SQE: {op:?}"
            );
        }
        Opcode::Madvise => {
            assert_eq!(
                (sqe_addr, sqe_len, sqe_flags),
                (op.buf as u64, op.len, op.op_flags),
                "madvise SQE: {op:?}"
            );
        }
        Opcode::Getxattr | Opcode::Setxattr => {
            // io_uring's xattr SQE: name in addr, value in off, path in addr3.
            let addr3 = u64::from_ne_bytes(field(&sqe, 48));
            assert_eq!(
                (sqe_addr, sqe_off, addr3, sqe_len, sqe_flags),
                (
                    op.reserved2[0],
                    op.buf2 as u64,
                    op.buf as u64,
                    op.len,
                    op.op_flags
                ),
                "xattr SQE: {op:?}"
            );
        }
        Opcode::Splice | Opcode::Tee => {
            // The kernel's fd is the output, splice_fd_in (at 44) the input,
            // splice_off_in (at 16) the input's offset, off the output's.
            let fd_in = i32::from_ne_bytes(field(&sqe, 44));
            assert_eq!(
                (
                    i32::from_ne_bytes(field(&sqe, 4)),
                    fd_in,
                    sqe_len,
                    sqe_flags
                ),
                (op.reserved1 as i32, op.fd, op.len, op.op_flags),
                "splice/tee SQE: {op:?}"
            );
            if code == Opcode::Splice {
                assert_eq!((sqe_addr, sqe_off), (op.offset, op.reserved2[0]), "{op:?}");
            } else {
                assert_eq!((sqe_addr, sqe_off), (0, 0), "{op:?}");
            }
        }
        _ => {}
    }

    // The fallback's decoder reads the same request back.
    // SAFETY: the SQE type is 64 plain bytes.
    let raw = unsafe { std::mem::transmute::<[u8; 64], io_uring_sqe>(sqe) };
    // SAFETY: the SQE was encoded from a validated request: its pointers are
    // the ones validation accepted (a timeout's timespec lives in `args`).
    let back = match unsafe { raw.to_op() } {
        Ok(b) => b,
        Err(e) => panic!("the fallback cannot read back an SQE the encoder made ({e}): {op:?}"),
    };
    assert_eq!(back.code, code, "{op:?}");
    assert_eq!(back.expected_len, valid.expected_len, "{op:?}");
    let (a, b) = (&valid.raw, &back.raw);
    let same = |what: &str, x: u64, y: u64| {
        assert_eq!(
            x, y,
            "{what} changed on the way through the SQE: {op:?} -> {b:?}"
        )
    };
    if uses_fd {
        same("fd", a.fd as u64, b.fd as u64);
    }
    let (buf, buf2) = (a.buf as u64, a.buf2 as u64);
    match code {
        Opcode::Nop | Opcode::Close => {}
        Opcode::Read | Opcode::Write | Opcode::Readv | Opcode::Writev => {
            same("buf", buf, b.buf as u64);
            same("len", a.len.into(), b.len.into());
            same("offset", a.offset, b.offset);
            // RWF_HIPRI is dropped on purpose by the encoder (the header: it
            // changes nothing on io_uring, where a ring without IOPOLL
            // would refuse it); every other RWF_* flag goes through.
            let hipri = libc::RWF_HIPRI as u32;
            same("op_flags", (a.op_flags & !hipri).into(), b.op_flags.into());
        }
        Opcode::Fsync | Opcode::Shutdown | Opcode::Poll => {
            same("op_flags", a.op_flags.into(), b.op_flags.into())
        }
        Opcode::Openat => {
            same("buf", buf, b.buf as u64);
            same("op_flags", a.op_flags.into(), b.op_flags.into());
            same("mode", a.mode.into(), b.mode.into());
        }
        Opcode::Statx => {
            same("buf", buf, b.buf as u64);
            same("buf2", buf2, b.buf2 as u64);
            same("op_flags", a.op_flags.into(), b.op_flags.into());
            same("mode", a.mode.into(), b.mode.into());
        }
        Opcode::Recv => {
            same("buf", buf, b.buf as u64);
            same("len", a.len.into(), b.len.into());
            // MSG_ERRQUEUE never waits: the encoder adds MSG_DONTWAIT to it
            // on purpose (an empty error queue would never end a ring poll).
            let errqueue = a.op_flags & libc::MSG_ERRQUEUE as u32 != 0;
            let dontwait = if errqueue {
                libc::MSG_DONTWAIT as u32
            } else {
                0
            };
            same(
                "op_flags",
                (a.op_flags | dontwait).into(),
                b.op_flags.into(),
            );
        }
        Opcode::Send => {
            same("buf", buf, b.buf as u64);
            same("len", a.len.into(), b.len.into());
            // The encoder adds MSG_NOSIGNAL (both engines send with it).
            same(
                "op_flags",
                (a.op_flags | libc::MSG_NOSIGNAL as u32).into(),
                b.op_flags.into(),
            );
        }
        Opcode::Accept => {
            same("buf", buf, b.buf as u64);
            same("buf2", buf2, b.buf2 as u64);
            same("op_flags", a.op_flags.into(), b.op_flags.into());
        }
        Opcode::Connect => {
            same("buf", buf, b.buf as u64);
            same("len", a.len.into(), b.len.into());
        }
        Opcode::Timeout => same("offset (ns)", a.offset, b.offset),
        Opcode::Unlinkat => {
            same("buf", buf, b.buf as u64);
            same("op_flags", a.op_flags.into(), b.op_flags.into());
        }
        Opcode::Renameat => {
            same("buf", buf, b.buf as u64);
            same("len (new directory)", a.len.into(), b.len.into());
            same("buf2", buf2, b.buf2 as u64);
            same("op_flags", a.op_flags.into(), b.op_flags.into());
        }
        Opcode::Mkdirat => {
            same("buf", buf, b.buf as u64);
            same("mode", a.mode.into(), b.mode.into());
        }
        Opcode::Sendmsg => {
            same("buf", buf, b.buf as u64);
            // The encoder adds MSG_NOSIGNAL (both engines send with it).
            same(
                "op_flags",
                (a.op_flags | libc::MSG_NOSIGNAL as u32).into(),
                b.op_flags.into(),
            );
        }
        Opcode::Recvmsg => {
            same("buf", buf, b.buf as u64);
            // As recv: MSG_ERRQUEUE gets MSG_DONTWAIT.
            let errqueue = a.op_flags & libc::MSG_ERRQUEUE as u32 != 0;
            let dontwait = libc::MSG_DONTWAIT as u32 * errqueue as u32;
            same(
                "op_flags",
                (a.op_flags | dontwait).into(),
                b.op_flags.into(),
            );
        }
        Opcode::Socket => {
            same("fd (domain)", a.fd as u64, b.fd as u64);
            same("op_flags (type)", a.op_flags.into(), b.op_flags.into());
            same("len (protocol)", a.len.into(), b.len.into());
        }
        Opcode::Bind => {
            same("buf", buf, b.buf as u64);
            same("len", a.len.into(), b.len.into());
        }
        Opcode::Listen => same("len (backlog)", a.len.into(), b.len.into()),
        Opcode::Symlinkat => {
            same("buf", buf, b.buf as u64);
            same("buf2", buf2, b.buf2 as u64);
        }
        Opcode::Linkat => {
            same("buf", buf, b.buf as u64);
            same("len (new directory)", a.len.into(), b.len.into());
            same("buf2", buf2, b.buf2 as u64);
            same("op_flags", a.op_flags.into(), b.op_flags.into());
        }
        Opcode::Fallocate => {
            same("offset", a.offset, b.offset);
            same("mode", a.mode.into(), b.mode.into());
            same("reserved2[0] (length)", a.reserved2[0], b.reserved2[0]);
        }
        Opcode::Ftruncate => same("offset (length)", a.offset, b.offset),
        Opcode::Fadvise | Opcode::SyncFileRange => {
            same("offset", a.offset, b.offset);
            same("len", a.len.into(), b.len.into());
            same("op_flags", a.op_flags.into(), b.op_flags.into());
        }
        Opcode::Madvise => {
            same("buf", buf, b.buf as u64);
            same("len", a.len.into(), b.len.into());
            same("op_flags", a.op_flags.into(), b.op_flags.into());
        }
        Opcode::Getxattr | Opcode::Setxattr => {
            same("buf (path)", buf, b.buf as u64);
            same("buf2 (value)", buf2, b.buf2 as u64);
            same("reserved2[0] (name)", a.reserved2[0], b.reserved2[0]);
            same("len", a.len.into(), b.len.into());
            same("op_flags", a.op_flags.into(), b.op_flags.into());
        }
        Opcode::Splice | Opcode::Tee => {
            same("reserved1 (output)", a.reserved1.into(), b.reserved1.into());
            same("offset", a.offset, b.offset);
            same(
                "reserved2[0] (output offset)",
                a.reserved2[0],
                b.reserved2[0],
            );
            same("len", a.len.into(), b.len.into());
            same("op_flags", a.op_flags.into(), b.op_flags.into());
        }
    }
});
