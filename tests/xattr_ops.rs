//! getxattr and setxattr on whichever engine this process runs
//! (`URB_BACKEND`): each case is done twice on identical fresh files under
//! `CARGO_TARGET_TMPDIR` (on disk: tmpfs may refuse `user.*` attributes),
//! once by the system call and once by the library (convenience calls,
//! `urb_submit_blocking`, an async ring); results, the bytes read and the
//! attributes left must agree. Where the system call itself says the file
//! system has no `user.*` attributes the test says so loudly and stops.

mod common;

use common::*;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::info::*;
use uringbridge::ffi::prep::*;
use uringbridge::ffi::ring::*;
use uringbridge::op::*;
use uringbridge::ring::delivery::urb_completion;

#[derive(Clone, Copy, Debug)]
enum Case {
    /// File name in the fixture, attribute, value, flags.
    Set(&'static str, &'static str, Value, i32),
    /// File name, attribute, buffer size, flags.
    Get(&'static str, &'static str, u32, u32),
}

#[derive(Clone, Copy, Debug)]
enum Value {
    Short,
    Empty,
    /// Beyond the kernel's 64 KiB limit.
    Huge,
}

const CREATE: i32 = libc::XATTR_CREATE;
const REPLACE: i32 = libc::XATTR_REPLACE;

const CASES: &[Case] = &[
    Case::Set("f", "user.a", Value::Short, 0),
    Case::Set("f", "user.a", Value::Empty, 0),
    Case::Set("f", "user.pre", Value::Short, 0),
    Case::Set("f", "user.pre", Value::Short, CREATE),
    Case::Set("f", "user.new", Value::Short, REPLACE),
    Case::Set("f", "user.pre", Value::Short, REPLACE),
    Case::Set("f", "user.a", Value::Short, 4),
    Case::Set("f", "user.a", Value::Huge, 0),
    Case::Set("f", "bogus.a", Value::Short, 0),
    Case::Set("f", "", Value::Short, 0),
    Case::Set("missing", "user.a", Value::Short, 0),
    Case::Set("link", "user.b", Value::Short, 0),
    Case::Get("f", "user.pre", 64, 0),
    Case::Get("f", "user.pre", 0, 0),
    Case::Get("f", "user.pre", 1, 0),
    Case::Get("f", "user.none", 64, 0),
    Case::Get("link", "user.pre", 64, 0),
    Case::Get("missing", "user.pre", 64, 0),
    Case::Get("f", "", 64, 0),
    Case::Get("f", "user.pre", 64, 1),
];

struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    /// `f` holding `user.pre = "preset"`, `link` -> `f`; `None` where the
    /// file system refuses user attributes (the system call's ENOTSUP).
    fn new() -> Option<Fixture> {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "urb-xattr-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("f"), b"f").unwrap();
        std::os::unix::fs::symlink("f", dir.join("link")).unwrap();
        let fx = Fixture { dir };
        let (p, n) = (fx.path("f"), CString::new("user.pre").unwrap());
        let r = unsafe { libc::setxattr(p.as_ptr(), n.as_ptr(), b"preset".as_ptr().cast(), 6, 0) };
        if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EOPNOTSUPP) {
            return None;
        }
        assert_eq!(r, 0);
        Some(fx)
    }

    fn path(&self, name: &str) -> CString {
        CString::new(self.dir.join(name).as_os_str().as_bytes()).unwrap()
    }

    /// Every attribute of `f`, with its value, sorted.
    fn attributes(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let p = self.path("f");
        let mut names = vec![0u8; 4096];
        let n = unsafe { libc::listxattr(p.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
        assert!(n >= 0);
        let mut out: Vec<(Vec<u8>, Vec<u8>)> = names[..n as usize]
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|name| {
                let c = CString::new(name).unwrap();
                let mut v = vec![0u8; 70_000];
                let len = unsafe {
                    libc::getxattr(p.as_ptr(), c.as_ptr(), v.as_mut_ptr().cast(), v.len())
                };
                assert!(len >= 0);
                v.truncate(len as usize);
                (name.to_vec(), v)
            })
            .collect();
        out.sort();
        out
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn value(v: Value) -> Vec<u8> {
    match v {
        Value::Short => b"value".to_vec(),
        Value::Empty => Vec::new(),
        Value::Huge => vec![7u8; 70_000],
    }
}

/// The case's result and the bytes a get read.
fn by_system_call(fx: &Fixture, case: Case) -> (i32, Vec<u8>) {
    let errno_or = |r: isize| {
        if r < 0 {
            -std::io::Error::last_os_error().raw_os_error().unwrap()
        } else {
            r as i32
        }
    };
    match case {
        Case::Set(file, attr, v, flags) => {
            let (p, n, v) = (fx.path(file), CString::new(attr).unwrap(), value(v));
            let r = unsafe {
                libc::setxattr(p.as_ptr(), n.as_ptr(), v.as_ptr().cast(), v.len(), flags)
            };
            (errno_or(r as isize), Vec::new())
        }
        Case::Get(file, attr, size, flags) => {
            let (p, n) = (fx.path(file), CString::new(attr).unwrap());
            let mut buf = vec![0u8; size as usize];
            if flags != 0 {
                // getxattr(2) has no flags; io_uring's refuses any.
                return (-libc::EINVAL, buf);
            }
            let r = unsafe {
                libc::getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
            };
            (errno_or(r), buf)
        }
    }
}

fn prepared(fx: &Fixture, case: Case, keep: &mut Vec<Vec<u8>>, paths: &mut Vec<CString>) -> urb_op {
    let mut op = urb_op::zeroed();
    match case {
        Case::Set(file, attr, v, flags) => {
            paths.extend([fx.path(file), CString::new(attr).unwrap()]);
            keep.push(value(v));
            let (p, n, v) = (
                &paths[paths.len() - 2],
                &paths[paths.len() - 1],
                &keep[keep.len() - 1],
            );
            assert_eq!(
                urb_prep_setxattr(
                    p.as_ptr(),
                    n.as_ptr(),
                    v.as_ptr().cast(),
                    v.len() as u32,
                    flags,
                    &mut op
                ),
                0
            );
        }
        Case::Get(file, attr, size, flags) => {
            paths.extend([fx.path(file), CString::new(attr).unwrap()]);
            keep.push(vec![0u8; size as usize]);
            let (p, n) = (&paths[paths.len() - 2], &paths[paths.len() - 1]);
            let buf = keep.last_mut().unwrap();
            assert_eq!(
                urb_prep_getxattr(
                    p.as_ptr(),
                    n.as_ptr(),
                    buf.as_mut_ptr().cast(),
                    size,
                    &mut op
                ),
                0
            );
            op.op_flags = flags;
        }
    }
    op
}

fn agree(face: &str, mut submit: impl FnMut(&urb_op) -> i32) {
    engine();
    let mut seen = std::collections::BTreeSet::new();
    for &case in CASES {
        let (Some(expected_fx), Some(face_fx)) = (Fixture::new(), Fixture::new()) else {
            eprintln!(
                "SKIPPED: {} has no user.* extended attributes (setxattr(2) says ENOTSUP)",
                env!("CARGO_TARGET_TMPDIR")
            );
            return;
        };
        let (expected, expected_bytes) = by_system_call(&expected_fx, case);
        let (mut keep, mut paths) = (Vec::new(), Vec::new());
        let op = prepared(&face_fx, case, &mut keep, &mut paths);
        let got = submit(&op);
        assert_eq!(got, expected, "{face}: {case:?}");
        if let Case::Get(..) = case {
            assert_eq!(keep[0], expected_bytes, "{face}: bytes read by {case:?}");
        }
        assert_eq!(
            face_fx.attributes(),
            expected_fx.attributes(),
            "{face}: after {case:?}"
        );
        seen.insert(-expected.min(0));
    }
    for e in [
        0,
        libc::EEXIST,
        libc::ENODATA,
        libc::ERANGE,
        libc::EINVAL,
        libc::E2BIG,
        libc::ENOENT,
        libc::EOPNOTSUPP,
    ] {
        assert!(seen.contains(&e), "no case gives errno {e}");
    }
}

#[test]
fn convenience_calls_agree_with_the_system_calls() {
    agree("urb_getxattr/urb_setxattr", |op| {
        let name = op.reserved2[0] as usize as *const libc::c_char;
        match op.opcode {
            URB_OP_SETXATTR => {
                urb_setxattr(op.buf.cast(), name, op.buf2, op.len, op.op_flags as i32)
            }
            _ if op.op_flags != 0 => urb_submit_blocking(op),
            _ => urb_getxattr(op.buf.cast(), name, op.buf2, op.len),
        }
    });
}

#[test]
fn blocking_requests_agree_with_the_system_calls() {
    agree("urb_submit_blocking", |op| urb_submit_blocking(op));
}

#[test]
fn async_ring_requests_agree_with_the_system_calls() {
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut ring), 0);
    let mut token = 0;
    agree("urb_ring_submit", |op| {
        token += 1;
        let submitted = urb_ring_submit(ring, op, token);
        if submitted < 0 {
            return submitted;
        }
        let mut c = [urb_completion::default()];
        assert_eq!(urb_ring_wait(ring, c.as_mut_ptr(), 1, 1, 10_000_000_000), 1);
        assert_eq!(c[0].token, token);
        c[0].res
    });
    urb_ring_free(ring);
}

const HIDE: &str = "URB_OP_GETXATTR,URB_OP_SETXATTR";

#[test]
fn hidden_from_the_probe_child() {
    let hidden = [URB_OP_GETXATTR, URB_OP_SETXATTR];
    let Some(on_io_uring) = probe_hide::hidden_in_this_child(HIDE, &hidden, URB_OP_OPENAT) else {
        return;
    };
    let Some(fx) = Fixture::new() else {
        eprintln!("SKIPPED: no user.* extended attributes here");
        return;
    };
    let (p, n) = (fx.path("f"), CString::new("user.pre").unwrap());
    let mut buf = [0u8; 16];
    let got = urb_getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), 16);
    let set = urb_setxattr(p.as_ptr(), n.as_ptr(), b"x".as_ptr().cast(), 1, 0);
    if on_io_uring {
        assert_eq!((got, set), (-libc::ENOSYS, -libc::ENOSYS));
    } else {
        assert_eq!((got, set), (6, 0));
    }
}

#[test]
fn kernels_without_them_refuse_with_enosys() {
    engine();
    assert!(urb_op_supported(URB_OP_GETXATTR) && urb_op_supported(URB_OP_SETXATTR));
    probe_hide::run_child_with_hidden("hidden_from_the_probe_child", HIDE);
}
