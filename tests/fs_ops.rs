//! unlinkat, renameat, mkdirat, symlinkat and linkat on whichever engine this process runs
//! (`URB_BACKEND`): each case is done twice on identical fresh trees, once
//! by the system call itself and once by the library (the blocking face's
//! convenience calls, `urb_prep_*` requests on an async ring), and the two
//! must agree on the result and on the tree left behind. Then chains, and
//! the `-ENOSYS` refusal of a kernel without them (forced with
//! `URB_PROBE_HIDE` in a child process).

mod common;

use common::*;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::info::*;
use uringbridge::ffi::prep::*;
use uringbridge::ffi::ring::*;
use uringbridge::op::*;
use uringbridge::ring::delivery::urb_completion;

/// A fresh temporary tree: `f` and `g` (files), `d` (an empty directory),
/// `full` (a directory holding `x`), `sl` (a symbolic link to `f`).
/// Removed on drop.
struct Tree {
    path: PathBuf,
    fd: i32,
}

impl Tree {
    fn new() -> Tree {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "urb-fsops-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("f"), b"f").unwrap();
        std::fs::write(path.join("g"), b"g").unwrap();
        std::fs::create_dir(path.join("d")).unwrap();
        std::fs::create_dir(path.join("full")).unwrap();
        std::fs::write(path.join("full/x"), b"x").unwrap();
        std::os::unix::fs::symlink("f", path.join("sl")).unwrap();
        let c = CString::new(path.as_os_str().as_bytes()).unwrap();
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
        assert!(fd >= 0);
        Tree { path, fd }
    }

    /// Every entry below the tree, with its kind and contents (a file's
    /// link count, a symbolic link's target), sorted.
    fn listing(&self) -> Vec<String> {
        fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
            use std::os::unix::fs::MetadataExt;
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                let meta = std::fs::symlink_metadata(&p).unwrap();
                if meta.is_symlink() {
                    out.push(format!("{rel} -> {:?}", std::fs::read_link(&p).unwrap()));
                } else if meta.is_dir() {
                    out.push(format!("{rel}/"));
                    walk(base, &p, out);
                } else {
                    let bytes = std::fs::read(&p).unwrap();
                    out.push(format!("{rel}={bytes:?} links={}", meta.nlink()));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.path, &self.path, &mut out);
        out.sort();
        out
    }

    /// `name` inside the tree as an absolute path.
    fn absolute(&self, name: &str) -> CString {
        CString::new(self.path.join(name).as_os_str().as_bytes()).unwrap()
    }

    /// `name` inside the tree as a path relative to the working directory.
    fn relative_to_cwd(&self, name: &str) -> CString {
        let cwd = std::env::current_dir().unwrap();
        let ups = "../".repeat(cwd.components().count() - 1);
        let rel = format!("{ups}{}", &self.path.join(name).display().to_string()[1..]);
        CString::new(rel).unwrap()
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        unsafe { libc::close(self.fd) };
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Which directory descriptor a case's path is relative to.
#[derive(Clone, Copy, Debug)]
enum Base {
    /// The tree's own descriptor and a relative path.
    Tree,
    /// `AT_FDCWD` and a path relative to the working directory.
    Cwd,
    /// `AT_FDCWD` and an absolute path.
    Absolute,
    /// A descriptor that is not a directory (the file `g`), relative path.
    NotADir,
}

fn at(tree: &Tree, base: Base, name: &str) -> (i32, CString) {
    match base {
        Base::Tree => (tree.fd, CString::new(name).unwrap()),
        Base::Cwd => (libc::AT_FDCWD, tree.relative_to_cwd(name)),
        Base::Absolute => (libc::AT_FDCWD, tree.absolute(name)),
        Base::NotADir => {
            let g = tree.absolute("g");
            let fd = unsafe { libc::open(g.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
            assert!(fd >= 0);
            // Leaked on purpose for the case's lifetime; closed by `close_extra`.
            (fd, CString::new(name).unwrap())
        }
    }
}

fn close_extra(tree: &Tree, fds: &[i32]) {
    for &fd in fds {
        if fd != tree.fd && fd != libc::AT_FDCWD {
            unsafe { libc::close(fd) };
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Case {
    Unlink(Base, &'static str, i32),
    Rename(Base, &'static str, Base, &'static str, u32),
    Mkdir(Base, &'static str, u32),
    /// Target text, then where the link goes.
    Symlink(&'static str, Base, &'static str),
    Link(Base, &'static str, Base, &'static str, i32),
}

const NOREPLACE: u32 = libc::RENAME_NOREPLACE;
const EXCHANGE: u32 = libc::RENAME_EXCHANGE;
const RMDIR: i32 = libc::AT_REMOVEDIR;
const FOLLOW: i32 = libc::AT_SYMLINK_FOLLOW;
const EMPTY_PATH: i32 = libc::AT_EMPTY_PATH;

/// Successes and each error the header names, and every kind of base.
const CASES: &[Case] = &[
    Case::Unlink(Base::Tree, "f", 0),
    Case::Unlink(Base::Tree, "missing", 0),
    Case::Unlink(Base::Tree, "d", 0),
    Case::Unlink(Base::Tree, "f", RMDIR),
    Case::Unlink(Base::Tree, "d", RMDIR),
    Case::Unlink(Base::Tree, "full", RMDIR),
    Case::Unlink(Base::Tree, "f/x", 0),
    Case::Unlink(Base::Cwd, "f", 0),
    Case::Unlink(Base::Absolute, "d", RMDIR),
    Case::Unlink(Base::NotADir, "x", 0),
    Case::Unlink(Base::Absolute, "missing", RMDIR),
    Case::Rename(Base::Tree, "f", Base::Tree, "h", 0),
    Case::Rename(Base::Tree, "f", Base::Tree, "g", 0),
    Case::Rename(Base::Tree, "missing", Base::Tree, "h", 0),
    Case::Rename(Base::Tree, "f", Base::Tree, "g", NOREPLACE),
    Case::Rename(Base::Tree, "f", Base::Tree, "d", 0),
    Case::Rename(Base::Tree, "d", Base::Tree, "f", 0),
    Case::Rename(Base::Tree, "d", Base::Tree, "full", 0),
    Case::Rename(Base::Tree, "d", Base::Tree, "d2", 0),
    Case::Rename(Base::Tree, "f", Base::Tree, "d", EXCHANGE),
    Case::Rename(Base::Tree, "f", Base::Tree, "h", EXCHANGE),
    Case::Rename(Base::Tree, "f", Base::Tree, "g", EXCHANGE | NOREPLACE),
    Case::Rename(Base::Tree, "f", Base::Tree, "h", 0x80),
    Case::Rename(Base::Tree, "f", Base::Cwd, "d/f", 0),
    Case::Rename(Base::Absolute, "full/x", Base::Tree, "y", 0),
    Case::Rename(Base::Cwd, "g", Base::Absolute, "h", NOREPLACE),
    Case::Rename(Base::Tree, "f", Base::NotADir, "h", 0),
    Case::Mkdir(Base::Tree, "n", 0o755),
    Case::Mkdir(Base::Tree, "f", 0o755),
    Case::Mkdir(Base::Tree, "d", 0o755),
    Case::Mkdir(Base::Tree, "missing/n", 0o755),
    Case::Mkdir(Base::Tree, "f/n", 0o755),
    Case::Mkdir(Base::Cwd, "n", 0o700),
    Case::Mkdir(Base::Absolute, "full/n", 0o750),
    Case::Mkdir(Base::NotADir, "n", 0o755),
    Case::Symlink("f", Base::Tree, "s"),
    Case::Symlink("missing", Base::Tree, "s"),
    Case::Symlink("/an/absolute/target", Base::Tree, "s"),
    Case::Symlink("f", Base::Tree, "g"),
    Case::Symlink("f", Base::Tree, "d"),
    Case::Symlink("f", Base::Tree, "missing/s"),
    Case::Symlink("f", Base::Tree, "f/s"),
    Case::Symlink("", Base::Tree, "s"),
    Case::Symlink("f", Base::Cwd, "s"),
    Case::Symlink("f", Base::Absolute, "full/s"),
    Case::Symlink("f", Base::NotADir, "s"),
    Case::Link(Base::Tree, "f", Base::Tree, "h", 0),
    Case::Link(Base::Tree, "f", Base::Tree, "g", 0),
    Case::Link(Base::Tree, "missing", Base::Tree, "h", 0),
    Case::Link(Base::Tree, "d", Base::Tree, "h", 0),
    Case::Link(Base::Tree, "f", Base::Tree, "missing/h", 0),
    Case::Link(Base::Tree, "sl", Base::Tree, "h", 0),
    Case::Link(Base::Tree, "sl", Base::Tree, "h", FOLLOW),
    Case::Link(Base::Tree, "f", Base::Tree, "h", libc::AT_SYMLINK_NOFOLLOW),
    Case::Link(Base::Tree, "f", Base::Tree, "h", -1),
    Case::Link(Base::NotADir, "", Base::Tree, "h", EMPTY_PATH),
    Case::Link(Base::Tree, "", Base::Tree, "h", 0),
    Case::Link(Base::Cwd, "f", Base::Absolute, "d/f", 0),
    Case::Link(Base::Absolute, "full/x", Base::Cwd, "y", FOLLOW),
    Case::Link(Base::Tree, "f", Base::NotADir, "h", 0),
];

/// The case done by the system call itself: `-errno` or its result.
fn by_system_call(tree: &Tree, case: Case) -> i32 {
    let res = match case {
        Case::Unlink(b, p, flags) => {
            let (fd, p) = at(tree, b, p);
            let r = unsafe { libc::unlinkat(fd, p.as_ptr(), flags) };
            close_extra(tree, &[fd]);
            r
        }
        Case::Rename(ob, op, nb, np, flags) => {
            let ((ofd, op), (nfd, np)) = (at(tree, ob, op), at(tree, nb, np));
            let r = unsafe {
                libc::syscall(
                    libc::SYS_renameat2,
                    ofd,
                    op.as_ptr(),
                    nfd,
                    np.as_ptr(),
                    flags,
                )
            } as i32;
            close_extra(tree, &[ofd, nfd]);
            r
        }
        Case::Mkdir(b, p, mode) => {
            let (fd, p) = at(tree, b, p);
            let r = unsafe { libc::mkdirat(fd, p.as_ptr(), mode) };
            close_extra(tree, &[fd]);
            r
        }
        Case::Symlink(target, b, p) => {
            let (fd, p) = at(tree, b, p);
            let target = CString::new(target).unwrap();
            let r = unsafe { libc::symlinkat(target.as_ptr(), fd, p.as_ptr()) };
            close_extra(tree, &[fd]);
            r
        }
        Case::Link(ob, op, nb, np, flags) => {
            let ((ofd, op), (nfd, np)) = (at(tree, ob, op), at(tree, nb, np));
            let r = unsafe { libc::linkat(ofd, op.as_ptr(), nfd, np.as_ptr(), flags) };
            close_extra(tree, &[ofd, nfd]);
            r
        }
    };
    if res < 0 {
        -std::io::Error::last_os_error().raw_os_error().unwrap()
    } else {
        res
    }
}

/// The case through the blocking face's convenience calls.
fn by_convenience_call(tree: &Tree, case: Case) -> i32 {
    match case {
        Case::Unlink(b, p, flags) => {
            let (fd, p) = at(tree, b, p);
            let r = urb_unlinkat(fd, p.as_ptr(), flags);
            close_extra(tree, &[fd]);
            r
        }
        Case::Rename(ob, op, nb, np, flags) => {
            let ((ofd, op), (nfd, np)) = (at(tree, ob, op), at(tree, nb, np));
            let r = urb_renameat(ofd, op.as_ptr(), nfd, np.as_ptr(), flags);
            close_extra(tree, &[ofd, nfd]);
            r
        }
        Case::Mkdir(b, p, mode) => {
            let (fd, p) = at(tree, b, p);
            let r = urb_mkdirat(fd, p.as_ptr(), mode);
            close_extra(tree, &[fd]);
            r
        }
        Case::Symlink(target, b, p) => {
            let (fd, p) = at(tree, b, p);
            let target = CString::new(target).unwrap();
            let r = urb_symlinkat(target.as_ptr(), fd, p.as_ptr());
            close_extra(tree, &[fd]);
            r
        }
        Case::Link(ob, op, nb, np, flags) => {
            let ((ofd, op), (nfd, np)) = (at(tree, ob, op), at(tree, nb, np));
            let r = urb_linkat(ofd, op.as_ptr(), nfd, np.as_ptr(), flags);
            close_extra(tree, &[ofd, nfd]);
            r
        }
    }
}

/// The case built with `urb_prep_*` and handed to `submit` (which returns
/// the result); the paths live until `submit` has the result.
fn by_prepared_request(tree: &Tree, case: Case, submit: &mut dyn FnMut(&urb_op) -> i32) -> i32 {
    let mut op = urb_op::zeroed();
    match case {
        Case::Unlink(b, p, flags) => {
            let (fd, p) = at(tree, b, p);
            assert_eq!(urb_prep_unlinkat(fd, p.as_ptr(), flags, &mut op), 0);
            let r = submit(&op);
            close_extra(tree, &[fd]);
            r
        }
        Case::Rename(ob, op_, nb, np, flags) => {
            let ((ofd, op_), (nfd, np)) = (at(tree, ob, op_), at(tree, nb, np));
            assert_eq!(
                urb_prep_renameat(ofd, op_.as_ptr(), nfd, np.as_ptr(), flags, &mut op),
                0
            );
            let r = submit(&op);
            close_extra(tree, &[ofd, nfd]);
            r
        }
        Case::Mkdir(b, p, mode) => {
            let (fd, p) = at(tree, b, p);
            assert_eq!(urb_prep_mkdirat(fd, p.as_ptr(), mode, &mut op), 0);
            let r = submit(&op);
            close_extra(tree, &[fd]);
            r
        }
        Case::Symlink(target, b, p) => {
            let (fd, p) = at(tree, b, p);
            let target = CString::new(target).unwrap();
            assert_eq!(
                urb_prep_symlinkat(target.as_ptr(), fd, p.as_ptr(), &mut op),
                0
            );
            let r = submit(&op);
            close_extra(tree, &[fd]);
            r
        }
        Case::Link(ob, op_, nb, np, flags) => {
            let ((ofd, op_), (nfd, np)) = (at(tree, ob, op_), at(tree, nb, np));
            assert_eq!(
                urb_prep_linkat(ofd, op_.as_ptr(), nfd, np.as_ptr(), flags, &mut op),
                0
            );
            let r = submit(&op);
            close_extra(tree, &[ofd, nfd]);
            r
        }
    }
}

/// Every case, by the system call and by `face`, on identical trees.
fn agree_with_the_system_calls(face: &str, mut by_face: impl FnMut(&Tree, Case) -> i32) {
    engine();
    let mut errors_seen = std::collections::BTreeSet::new();
    for &case in CASES {
        let (expected_tree, face_tree) = (Tree::new(), Tree::new());
        let expected = by_system_call(&expected_tree, case);
        let got = by_face(&face_tree, case);
        assert_eq!(got, expected, "{face}: {case:?}");
        assert_eq!(
            face_tree.listing(),
            expected_tree.listing(),
            "{face}: tree after {case:?}"
        );
        errors_seen.insert(-expected);
    }
    // The cases reach every error the header names for these calls.
    for e in [
        libc::ENOENT,
        libc::EEXIST,
        libc::ENOTDIR,
        libc::EISDIR,
        libc::ENOTEMPTY,
        libc::EINVAL,
        libc::EPERM,
        0,
    ] {
        assert!(errors_seen.contains(&e), "no case gives errno {e}");
    }
}

#[test]
fn convenience_calls_agree_with_the_system_calls() {
    agree_with_the_system_calls("urb_*at", by_convenience_call);
}

#[test]
fn blocking_requests_agree_with_the_system_calls() {
    agree_with_the_system_calls("urb_submit_blocking", |tree, case| {
        by_prepared_request(tree, case, &mut |op| urb_submit_blocking(op))
    });
}

struct TestRing(*mut urb_ring);
impl Drop for TestRing {
    fn drop(&mut self) {
        urb_ring_free(self.0);
    }
}

fn new_ring() -> TestRing {
    let mut r = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut r), 0);
    TestRing(r)
}

fn wait_one(ring: &TestRing) -> urb_completion {
    let mut c = [urb_completion::default()];
    let n = urb_ring_wait(ring.0, c.as_mut_ptr(), 1, 1, 10_000_000_000);
    assert_eq!(n, 1, "no completion within 10 s");
    c[0]
}

#[test]
fn async_ring_requests_agree_with_the_system_calls() {
    let ring = new_ring();
    let mut token = 0u64;
    agree_with_the_system_calls("urb_ring_submit", |tree, case| {
        by_prepared_request(tree, case, &mut |op| {
            token += 1;
            // A request validation refuses is refused by the submit call.
            let submitted = urb_ring_submit(ring.0, op, token);
            if submitted < 0 {
                return submitted;
            }
            assert_eq!(submitted, 0);
            let c = wait_one(&ring);
            assert_eq!(c.token, token);
            c.res
        })
    });
}

/// A path operation may end a chain (it runs after the others succeeded,
/// and is cancelled after a failure); anywhere else it is refused with
/// `-EINVAL` before anything runs, on the blocking face and on an async
/// ring (io_uring since 6.0 would not cancel what follows its failure).
#[test]
fn path_operations_end_chains() {
    engine();
    let tree = Tree::new();
    let before = tree.listing();
    // Far beyond any descriptor table in use: never reused by the rings below.
    let closed = 999_999;
    let mut byte = [0u8; 1];
    let (c, c2) = (c"c", c"c2");
    let read_closed = uringbridge::prep::read(closed, byte.as_mut_ptr().cast(), 1, 0);
    let mut path_ops = [urb_op::zeroed(); 5];
    assert_eq!(
        urb_prep_mkdirat(tree.fd, c.as_ptr(), 0o755, &mut path_ops[0]),
        0
    );
    assert_eq!(
        urb_prep_renameat(
            tree.fd,
            c"f".as_ptr(),
            tree.fd,
            c2.as_ptr(),
            0,
            &mut path_ops[1]
        ),
        0
    );
    assert_eq!(
        urb_prep_unlinkat(tree.fd, c"d".as_ptr(), libc::AT_REMOVEDIR, &mut path_ops[2]),
        0
    );
    assert_eq!(
        urb_prep_symlinkat(c"f".as_ptr(), tree.fd, c"s".as_ptr(), &mut path_ops[3]),
        0
    );
    assert_eq!(
        urb_prep_linkat(
            tree.fd,
            c"f".as_ptr(),
            tree.fd,
            c"h".as_ptr(),
            0,
            &mut path_ops[4]
        ),
        0
    );
    let ring = new_ring();
    let tokens = [10u64, 11];
    let mut results = [1i32; 2];
    for path_op in path_ops {
        // Last, after a failure: cancelled, the tree untouched.
        let chain = [read_closed, path_op];
        assert_eq!(
            urb_submit_chain_blocking(chain.as_ptr(), 2, results.as_mut_ptr()),
            -libc::EBADF
        );
        assert_eq!(results, [-libc::EBADF, -libc::ECANCELED], "{path_op:?}");
        assert_eq!(
            urb_ring_submit_chain(ring.0, chain.as_ptr(), 2, tokens.as_ptr()),
            0
        );
        let mut got: Vec<(u64, i32)> = (0..2)
            .map(|_| wait_one(&ring))
            .map(|c| (c.token, c.res))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [(10, -libc::EBADF), (11, -libc::ECANCELED)],
            "{path_op:?}"
        );
        assert_eq!(tree.listing(), before, "a cancelled {path_op:?} ran");

        // First: refused, nothing runs.
        let chain = [path_op, uringbridge::prep::nop()];
        assert_eq!(
            urb_submit_chain_blocking(chain.as_ptr(), 2, results.as_mut_ptr()),
            -libc::EINVAL
        );
        assert_eq!(results, [-libc::EINVAL, -libc::ECANCELED], "{path_op:?}");
        assert_eq!(
            urb_ring_submit_chain(ring.0, chain.as_ptr(), 2, tokens.as_ptr()),
            -libc::EINVAL
        );
        assert_eq!(tree.listing(), before, "a refused {path_op:?} ran");
    }
    let mut none = [urb_completion::default()];
    assert_eq!(
        urb_ring_wait(ring.0, none.as_mut_ptr(), 1, 0, 0),
        0,
        "a refused chain completed"
    );

    // Last, after a success: it runs, on both faces.
    let chain = [uringbridge::prep::nop(), path_ops[0]];
    assert_eq!(
        urb_submit_chain_blocking(chain.as_ptr(), 2, results.as_mut_ptr()),
        0
    );
    assert_eq!(results, [0, 0]);
    assert!(tree.path.join("c").is_dir());
    assert_eq!(
        unsafe { libc::unlinkat(tree.fd, c.as_ptr(), libc::AT_REMOVEDIR) },
        0
    );
    assert_eq!(
        urb_ring_submit_chain(ring.0, chain.as_ptr(), 2, tokens.as_ptr()),
        0
    );
    let mut got: Vec<(u64, i32)> = (0..2)
        .map(|_| wait_one(&ring))
        .map(|c| (c.token, c.res))
        .collect();
    got.sort();
    assert_eq!(got, [(10, 0), (11, 0)]);
    assert!(tree.path.join("c").is_dir());
}

#[test]
fn probe_knows_them() {
    engine();
    for code in [
        URB_OP_UNLINKAT,
        URB_OP_RENAMEAT,
        URB_OP_MKDIRAT,
        URB_OP_SYMLINKAT,
        URB_OP_LINKAT,
    ] {
        assert!(urb_op_supported(code), "opcode {code}");
    }
}

const HIDE: &str = "URB_OP_UNLINKAT,URB_OP_RENAMEAT,URB_OP_MKDIRAT,URB_OP_SYMLINKAT,URB_OP_LINKAT";

/// Run by `kernels_without_them_refuse_with_enosys` in a child process whose
/// probe hides the three operations; does nothing in a normal run.
#[test]
fn hidden_from_the_probe_child() {
    let hidden = [
        URB_OP_UNLINKAT,
        URB_OP_RENAMEAT,
        URB_OP_MKDIRAT,
        URB_OP_SYMLINKAT,
        URB_OP_LINKAT,
    ];
    let Some(on_io_uring) = probe_hide::hidden_in_this_child(HIDE, &hidden, URB_OP_OPENAT) else {
        return;
    };
    let tree = Tree::new();
    let before = tree.listing();
    let (n, f, d) = (c"n", c"f", c"d");
    let expect = |res: i32, what: &str| {
        if on_io_uring {
            assert_eq!(res, -libc::ENOSYS, "{what} on a kernel without it");
        } else {
            // The fallback engine needs no kernel opcode: the probe does not bind it.
            assert_eq!(res, 0, "{what} on the fallback engine");
        }
    };
    expect(urb_mkdirat(tree.fd, n.as_ptr(), 0o755), "mkdirat");
    expect(
        urb_renameat(tree.fd, f.as_ptr(), tree.fd, c"h".as_ptr(), 0),
        "renameat",
    );
    expect(
        urb_unlinkat(tree.fd, d.as_ptr(), libc::AT_REMOVEDIR),
        "unlinkat",
    );
    expect(
        urb_symlinkat(c"g".as_ptr(), tree.fd, c"s".as_ptr()),
        "symlinkat",
    );
    expect(
        urb_linkat(tree.fd, c"g".as_ptr(), tree.fd, c"hl".as_ptr(), 0),
        "linkat",
    );
    if on_io_uring {
        assert_eq!(tree.listing(), before, "a refused request changed the tree");
    }

    let ring = new_ring();
    let mut op = urb_op::zeroed();
    assert_eq!(urb_prep_mkdirat(tree.fd, c"m".as_ptr(), 0o755, &mut op), 0);
    let res = urb_ring_submit(ring.0, &op, 1);
    if on_io_uring {
        assert_eq!(
            res,
            -libc::ENOSYS,
            "ring submit on a kernel without mkdirat"
        );
    } else {
        assert_eq!(res, 0);
        assert_eq!(wait_one(&ring).res, 0);
    }
}

#[test]
fn kernels_without_them_refuse_with_enosys() {
    probe_hide::run_child_with_hidden("hidden_from_the_probe_child", HIDE);
}
