//! fallocate, ftruncate, fadvise, madvise and sync_file_range on whichever
//! engine this process runs (`URB_BACKEND`): each case is done twice on
//! identical fresh fixtures (a file on disk, under `CARGO_TARGET_TMPDIR`,
//! where every fallocate mode is real), once by the system call and once by
//! the library (convenience calls, `urb_submit_blocking`, an async ring);
//! the results and what is left behind (the file's length, bytes and
//! allocated blocks; the memory's bytes) must agree. Then their chain
//! rules, and the `-ENOSYS` refusal of a kernel without them (forced with
//! `URB_PROBE_HIDE` in a child process).

mod common;

use common::*;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::info::*;
use uringbridge::ffi::prep::*;
use uringbridge::ffi::ring::*;
use uringbridge::op::*;
use uringbridge::ring::delivery::urb_completion;

const FILE_LEN: usize = 64 * 1024;
const PAGE: usize = 4096;

/// Which descriptor a case acts on.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// The fixture file, read-write.
    ReadWrite,
    /// The fixture file, read-only.
    ReadOnly,
    /// The read end of an empty pipe.
    Pipe,
    /// A directory.
    Directory,
    /// A number opened and closed first.
    Closed,
}

/// Where a madvise case points.
#[derive(Clone, Copy, Debug)]
enum Memory {
    /// The start of a private anonymous mapping of 4 pages, written first.
    Mapped,
    /// One byte into it.
    Unaligned,
    /// A page just unmapped.
    Unmapped,
}

#[derive(Clone, Copy, Debug)]
enum Case {
    Fallocate(Target, i32, u64, u64),
    Ftruncate(Target, u64),
    Fadvise(Target, u64, u32, i32),
    SyncFileRange(Target, u64, u32, u32),
    Madvise(Memory, u32, i32),
}

const KEEP: i32 = libc::FALLOC_FL_KEEP_SIZE;
const PUNCH: i32 = libc::FALLOC_FL_PUNCH_HOLE;
const SFR_ALL: u32 = libc::SYNC_FILE_RANGE_WAIT_BEFORE
    | libc::SYNC_FILE_RANGE_WRITE
    | libc::SYNC_FILE_RANGE_WAIT_AFTER;
const NEGATIVE: u64 = u64::MAX - 1;

const CASES: &[Case] = &[
    Case::Fallocate(Target::ReadWrite, 0, 0, 4096),
    Case::Fallocate(Target::ReadWrite, 0, 60_000, 100_000),
    Case::Fallocate(Target::ReadWrite, 0, 1 << 62, 4096),
    Case::Fallocate(Target::ReadWrite, KEEP, 65_536, 1 << 20),
    Case::Fallocate(Target::ReadWrite, PUNCH | KEEP, 4096, 8192),
    Case::Fallocate(Target::ReadWrite, PUNCH, 4096, 8192),
    Case::Fallocate(Target::ReadWrite, libc::FALLOC_FL_ZERO_RANGE, 100, 5000),
    Case::Fallocate(
        Target::ReadWrite,
        libc::FALLOC_FL_COLLAPSE_RANGE,
        4096,
        4096,
    ),
    Case::Fallocate(Target::ReadWrite, libc::FALLOC_FL_COLLAPSE_RANGE, 100, 4096),
    Case::Fallocate(Target::ReadWrite, 0, 0, 0),
    Case::Fallocate(Target::ReadWrite, 0, NEGATIVE, 10),
    Case::Fallocate(Target::ReadWrite, 0, 0, NEGATIVE),
    Case::Fallocate(Target::ReadWrite, 0x4000_0000, 0, 10),
    Case::Fallocate(Target::ReadOnly, 0, 0, 10),
    Case::Fallocate(Target::Pipe, 0, 0, 10),
    Case::Fallocate(Target::Closed, 0, 0, 10),
    Case::Ftruncate(Target::ReadWrite, 0),
    Case::Ftruncate(Target::ReadWrite, 100),
    Case::Ftruncate(Target::ReadWrite, 1 << 20),
    Case::Ftruncate(Target::ReadWrite, NEGATIVE),
    Case::Ftruncate(Target::ReadOnly, 10),
    Case::Ftruncate(Target::Pipe, 10),
    Case::Ftruncate(Target::Directory, 10),
    Case::Ftruncate(Target::Closed, 10),
    Case::Fadvise(Target::ReadWrite, 0, 0, libc::POSIX_FADV_NORMAL),
    Case::Fadvise(Target::ReadWrite, 0, 4096, libc::POSIX_FADV_SEQUENTIAL),
    Case::Fadvise(Target::ReadOnly, 8192, 0, libc::POSIX_FADV_WILLNEED),
    Case::Fadvise(Target::ReadWrite, 0, 0, libc::POSIX_FADV_DONTNEED),
    Case::Fadvise(Target::ReadWrite, 0, 100, libc::POSIX_FADV_NOREUSE),
    Case::Fadvise(Target::ReadWrite, 0, 0, libc::POSIX_FADV_RANDOM),
    Case::Fadvise(Target::ReadWrite, 0, 0, 99),
    Case::Fadvise(Target::Pipe, 0, 0, libc::POSIX_FADV_NORMAL),
    Case::Fadvise(Target::Closed, 0, 0, libc::POSIX_FADV_NORMAL),
    Case::SyncFileRange(Target::ReadWrite, 0, 0, 0),
    Case::SyncFileRange(Target::ReadWrite, 0, 4096, libc::SYNC_FILE_RANGE_WRITE),
    Case::SyncFileRange(Target::ReadWrite, 4096, 0, SFR_ALL),
    Case::SyncFileRange(Target::ReadWrite, 0, 0, 8),
    Case::SyncFileRange(Target::ReadWrite, NEGATIVE, 0, 0),
    Case::SyncFileRange(Target::ReadOnly, 0, 0, SFR_ALL),
    Case::SyncFileRange(Target::Pipe, 0, 0, 0),
    Case::SyncFileRange(Target::Closed, 0, 0, 0),
    Case::Madvise(Memory::Mapped, PAGE as u32, libc::MADV_NORMAL),
    Case::Madvise(Memory::Mapped, 2 * PAGE as u32, libc::MADV_DONTNEED),
    Case::Madvise(Memory::Mapped, 4 * PAGE as u32, libc::MADV_WILLNEED),
    Case::Madvise(Memory::Mapped, 0, libc::MADV_DONTNEED),
    Case::Madvise(Memory::Unaligned, PAGE as u32, libc::MADV_NORMAL),
    Case::Madvise(Memory::Mapped, PAGE as u32, 9999),
    Case::Madvise(Memory::Unmapped, PAGE as u32, libc::MADV_WILLNEED),
];

/// One case's fresh world: a file of `FILE_LEN` patterned bytes, its
/// descriptors, a pipe, a directory and a mapping.
struct Fixture {
    path: PathBuf,
    rw: i32,
    ro: i32,
    pipe: (i32, i32),
    dir: i32,
    closed: i32,
    map: *mut u8,
}

impl Fixture {
    fn new() -> Fixture {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "urb-space-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let bytes: Vec<u8> = (0..FILE_LEN).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, bytes).unwrap();
        let c = CString::new(path.as_os_str().as_bytes()).unwrap();
        let open = |flags| {
            let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) };
            assert!(fd >= 0);
            fd
        };
        let (rw, ro) = (open(libc::O_RDWR), open(libc::O_RDONLY));
        let tmp = CString::new(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let dir = unsafe { libc::open(tmp.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
        assert!(dir >= 0);
        // Far beyond any descriptor table in use: never reused meanwhile.
        let closed = 999_998;
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4 * PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(map, libc::MAP_FAILED);
        let map = map.cast::<u8>();
        unsafe { std::ptr::write_bytes(map, b'x', 4 * PAGE) };
        Fixture {
            path,
            rw,
            ro,
            pipe: pipe(),
            dir,
            closed,
            map,
        }
    }

    fn fd(&self, t: Target) -> i32 {
        match t {
            Target::ReadWrite => self.rw,
            Target::ReadOnly => self.ro,
            Target::Pipe => self.pipe.0,
            Target::Directory => self.dir,
            Target::Closed => self.closed,
        }
    }

    fn memory(&self, m: Memory) -> *mut libc::c_void {
        match m {
            Memory::Mapped => self.map.cast(),
            Memory::Unaligned => self.map.wrapping_add(1).cast(),
            // Below vm.mmap_min_addr: nothing maps there. (A page unmapped
            // from the fixture's own mapping could be taken by another
            // test thread's mmap before the call: seen in CI.)
            Memory::Unmapped => PAGE as *mut libc::c_void,
        }
    }

    /// What a case leaves behind: the file's length, bytes and allocated
    /// blocks, and the mapping's first three pages.
    fn state(&self) -> (u64, u64, Vec<u8>, Vec<u8>) {
        let meta = std::fs::metadata(&self.path).unwrap();
        let bytes = std::fs::read(&self.path).unwrap();
        let mem = unsafe { std::slice::from_raw_parts(self.map, 3 * PAGE) }.to_vec();
        (meta.len(), meta.blocks(), bytes, mem)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for fd in [self.rw, self.ro, self.pipe.0, self.pipe.1, self.dir] {
            close(fd);
        }
        unsafe { libc::munmap(self.map.cast(), 4 * PAGE) };
        let _ = std::fs::remove_file(&self.path);
    }
}

fn errno_or(res: i32) -> i32 {
    if res < 0 {
        -std::io::Error::last_os_error().raw_os_error().unwrap()
    } else {
        res
    }
}

fn by_system_call(f: &Fixture, case: Case) -> i32 {
    match case {
        Case::Fallocate(t, mode, off, len) => {
            errno_or(unsafe { libc::fallocate(f.fd(t), mode, off as i64, len as i64) })
        }
        Case::Ftruncate(t, len) => errno_or(unsafe { libc::ftruncate(f.fd(t), len as i64) }),
        Case::Fadvise(t, off, len, advice) => {
            -unsafe { libc::posix_fadvise(f.fd(t), off as i64, len as i64, advice) }
        }
        Case::SyncFileRange(t, off, len, flags) => {
            errno_or(unsafe { libc::sync_file_range(f.fd(t), off as i64, len as i64, flags) })
        }
        Case::Madvise(m, len, advice) => {
            errno_or(unsafe { libc::madvise(f.memory(m), len as usize, advice) })
        }
    }
}

fn by_convenience_call(f: &Fixture, case: Case) -> i32 {
    match case {
        Case::Fallocate(t, mode, off, len) => urb_fallocate(f.fd(t), mode, off, len),
        Case::Ftruncate(t, len) => urb_ftruncate(f.fd(t), len),
        Case::Fadvise(t, off, len, advice) => urb_fadvise(f.fd(t), off, len, advice),
        Case::SyncFileRange(t, off, len, flags) => urb_sync_file_range(f.fd(t), off, len, flags),
        Case::Madvise(m, len, advice) => urb_madvise(f.memory(m), len, advice),
    }
}

fn prepared(f: &Fixture, case: Case) -> urb_op {
    let mut op = urb_op::zeroed();
    let r = match case {
        Case::Fallocate(t, mode, off, len) => urb_prep_fallocate(f.fd(t), mode, off, len, &mut op),
        Case::Ftruncate(t, len) => urb_prep_ftruncate(f.fd(t), len, &mut op),
        Case::Fadvise(t, off, len, advice) => urb_prep_fadvise(f.fd(t), off, len, advice, &mut op),
        Case::SyncFileRange(t, off, len, flags) => {
            urb_prep_sync_file_range(f.fd(t), off, len, flags, &mut op)
        }
        Case::Madvise(m, len, advice) => urb_prep_madvise(f.memory(m), len, advice, &mut op),
    };
    assert_eq!(r, 0);
    op
}

fn agree_with_the_system_calls(face: &str, mut by_face: impl FnMut(&Fixture, Case) -> i32) {
    engine();
    let mut errors_seen = std::collections::BTreeSet::new();
    for &case in CASES {
        let (expected_world, face_world) = (Fixture::new(), Fixture::new());
        let expected = by_system_call(&expected_world, case);
        let got = by_face(&face_world, case);
        assert_eq!(got, expected, "{face}: {case:?}");
        assert!(
            face_world.state() == expected_world.state(),
            "{face}: what {case:?} left differs (length, blocks): {:?} against {:?}",
            (face_world.state().0, face_world.state().1),
            (expected_world.state().0, expected_world.state().1),
        );
        errors_seen.insert(-expected);
    }
    for e in [
        0,
        libc::EINVAL,
        libc::EBADF,
        libc::ESPIPE,
        libc::EOPNOTSUPP,
        libc::ENOMEM,
        libc::EFBIG,
    ] {
        assert!(errors_seen.contains(&e), "no case gives errno {e}");
    }
}

#[test]
fn convenience_calls_agree_with_the_system_calls() {
    agree_with_the_system_calls("urb_*", by_convenience_call);
}

#[test]
fn blocking_requests_agree_with_the_system_calls() {
    agree_with_the_system_calls("urb_submit_blocking", |f, case| {
        urb_submit_blocking(&prepared(f, case))
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
    agree_with_the_system_calls("urb_ring_submit", |f, case| {
        token += 1;
        let submitted = urb_ring_submit(ring.0, &prepared(f, case), token);
        if submitted < 0 {
            return submitted;
        }
        let c = wait_one(&ring);
        assert_eq!(c.token, token);
        c.res
    });
}

/// fadvise's failure cancels what is linked after it; the others' would
/// not on io_uring (its fallocate, ftruncate, madvise and sync_file_range
/// do not fail their links), so they may only end a chain: `-EINVAL`
/// elsewhere, nothing run, on both faces.
#[test]
fn chain_rules() {
    engine();
    let f = Fixture::new();
    let ring = new_ring();
    let tokens = [1u64, 2];
    let mut results = [1i32; 2];
    let last_only = [
        Case::Fallocate(Target::ReadWrite, 0, 0, 4096),
        Case::Ftruncate(Target::ReadWrite, 7),
        Case::SyncFileRange(Target::ReadWrite, 0, 0, 0),
        Case::Madvise(Memory::Mapped, PAGE as u32, libc::MADV_NORMAL),
    ];
    for case in last_only {
        let before = f.state();
        let chain = [prepared(&f, case), uringbridge::prep::nop()];
        assert_eq!(
            urb_submit_chain_blocking(chain.as_ptr(), 2, results.as_mut_ptr()),
            -libc::EINVAL,
            "{case:?}"
        );
        assert_eq!(results, [-libc::EINVAL, -libc::ECANCELED], "{case:?}");
        assert_eq!(
            urb_ring_submit_chain(ring.0, chain.as_ptr(), 2, tokens.as_ptr()),
            -libc::EINVAL,
            "{case:?}"
        );
        assert!(f.state() == before, "a refused {case:?} ran");
        // Last: runs after a success.
        let chain = [uringbridge::prep::nop(), prepared(&f, case)];
        assert_eq!(
            urb_submit_chain_blocking(chain.as_ptr(), 2, results.as_mut_ptr()),
            0,
            "{case:?}"
        );
        assert_eq!(results, [0, 0], "{case:?}");
    }
    assert_eq!(std::fs::metadata(&f.path).unwrap().len(), 7);

    // fadvise may stand anywhere: its failure cancels the rest.
    let bad = prepared(&f, Case::Fadvise(Target::ReadWrite, 0, 0, 99));
    let truncate = prepared(&f, Case::Ftruncate(Target::ReadWrite, 3));
    let chain = [bad, truncate];
    assert_eq!(
        urb_submit_chain_blocking(chain.as_ptr(), 2, results.as_mut_ptr()),
        -libc::EINVAL
    );
    assert_eq!(results, [-libc::EINVAL, -libc::ECANCELED]);
    assert_eq!(
        urb_ring_submit_chain(ring.0, chain.as_ptr(), 2, tokens.as_ptr()),
        0
    );
    let mut got: Vec<(u64, i32)> = (0..2)
        .map(|_| wait_one(&ring))
        .map(|c| (c.token, c.res))
        .collect();
    got.sort();
    assert_eq!(got, [(1, -libc::EINVAL), (2, -libc::ECANCELED)]);
    assert_eq!(
        std::fs::metadata(&f.path).unwrap().len(),
        7,
        "cancelled ran"
    );
    let good = prepared(&f, Case::Fadvise(Target::ReadWrite, 0, 0, 0));
    let chain = [good, truncate];
    assert_eq!(
        urb_submit_chain_blocking(chain.as_ptr(), 2, results.as_mut_ptr()),
        0
    );
    assert_eq!(std::fs::metadata(&f.path).unwrap().len(), 3);
}

const HIDDEN: [u8; 5] = [
    URB_OP_FALLOCATE,
    URB_OP_FTRUNCATE,
    URB_OP_FADVISE,
    URB_OP_MADVISE,
    URB_OP_SYNC_FILE_RANGE,
];
const HIDE: &str =
    "URB_OP_FALLOCATE,URB_OP_FTRUNCATE,URB_OP_FADVISE,URB_OP_MADVISE,URB_OP_SYNC_FILE_RANGE";

#[test]
fn probe_knows_them() {
    engine();
    for code in HIDDEN {
        assert!(urb_op_supported(code), "opcode {code}");
    }
}

/// Run by `kernels_without_them_refuse_with_enosys` in a child process whose
/// probe hides the five operations; does nothing in a normal run.
#[test]
fn hidden_from_the_probe_child() {
    let Some(on_io_uring) = probe_hide::hidden_in_this_child(HIDE, &HIDDEN, URB_OP_FSYNC) else {
        return;
    };
    let f = Fixture::new();
    let before = f.state();
    let cases = [
        Case::Fallocate(Target::ReadWrite, 0, 0, 1 << 20),
        Case::Ftruncate(Target::ReadWrite, 5),
        Case::Fadvise(Target::ReadWrite, 0, 0, libc::POSIX_FADV_NORMAL),
        Case::Madvise(Memory::Mapped, PAGE as u32, libc::MADV_DONTNEED),
        Case::SyncFileRange(Target::ReadWrite, 0, 0, 0),
    ];
    let ring = new_ring();
    for case in cases {
        let res = by_convenience_call(&f, case);
        let submitted = urb_ring_submit(ring.0, &prepared(&f, case), 1);
        if on_io_uring {
            assert_eq!(res, -libc::ENOSYS, "{case:?} on a kernel without it");
            assert_eq!(submitted, -libc::ENOSYS, "ring submit of {case:?}");
        } else {
            // The fallback engine needs no kernel opcode.
            assert_eq!(res, 0, "{case:?} on the fallback engine");
            assert_eq!(submitted, 0);
            assert_eq!(wait_one(&ring).res, 0, "{case:?} on the fallback ring");
        }
    }
    if on_io_uring {
        assert!(f.state() == before, "a refused request changed something");
    }
}

#[test]
fn kernels_without_them_refuse_with_enosys() {
    probe_hide::run_child_with_hidden("hidden_from_the_probe_child", HIDE);
}
