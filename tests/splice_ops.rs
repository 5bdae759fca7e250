//! splice and tee on whichever engine this process runs (`URB_BACKEND`):
//! each case is done twice on identical fresh fixtures (a file, pipes with
//! bytes in them, a socket pair), once by the system call and once by the
//! library (convenience calls, `urb_submit_blocking`, an async ring); the
//! results and what is left behind (the bytes that came out, those left in
//! the input, the files' bytes and positions) must agree. Then waiting on
//! two descriptors (input first, then output), timeouts, cancellation, the
//! chain rule, the output descriptor that is never 0, `SIGPIPE`, and the
//! `-ENOSYS` refusal of a kernel without them.

mod common;

use common::*;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::info::*;
use uringbridge::ffi::prep::*;
use uringbridge::ffi::ring::*;
use uringbridge::op::*;
use uringbridge::ring::delivery::urb_completion;

const NONE: u64 = URB_OFFSET_CURRENT;
const FILE_LEN: usize = 8192;
const IN_PIPE_BYTES: usize = 3000;
const IN_SOCKET_BYTES: usize = 2000;

#[derive(Clone, Copy, Debug)]
enum In {
    /// A file of `FILE_LEN` patterned bytes, read-write.
    File,
    /// A pipe holding `IN_PIPE_BYTES`.
    Pipe,
    /// A pipe whose writer is gone: end of input.
    PipeAtEnd,
    /// An empty pipe whose writer stays (only non-blocking cases use it).
    EmptyPipe,
    /// A socket whose peer sent `IN_SOCKET_BYTES`.
    Socket,
    /// The write end of a pipe.
    PipeWriteEnd,
    /// A number opened and closed first.
    Closed,
}

#[derive(Clone, Copy, Debug)]
enum Out {
    /// An empty pipe.
    Pipe,
    /// A file of `FILE_LEN` patterned bytes, read-write.
    File,
    /// A file opened with `O_APPEND`.
    AppendFile,
    /// A socket (its peer reads what came).
    Socket,
    /// The read end of a pipe.
    PipeReadEnd,
    /// The input pipe's own write end.
    SamePipe,
    /// A pipe without a reader.
    PipeWithoutReader,
}

#[derive(Clone, Copy, Debug)]
enum Case {
    Splice(In, u64, Out, u64, u32, u32),
    Tee(In, Out, u32, u32),
}

const MORE: u32 = libc::SPLICE_F_MORE;
const MOVE: u32 = libc::SPLICE_F_MOVE;
const NONBLOCK: u32 = libc::SPLICE_F_NONBLOCK;

const CASES: &[Case] = &[
    Case::Splice(In::File, 100, Out::Pipe, NONE, 1000, 0),
    Case::Splice(In::File, NONE, Out::Pipe, NONE, 1000, MOVE),
    Case::Splice(In::File, 8000, Out::Pipe, NONE, 1000, 0),
    Case::Splice(In::File, 9000, Out::Pipe, NONE, 1000, 0),
    Case::Splice(In::File, 0, Out::Pipe, 0, 1000, 0),
    Case::Splice(In::File, 0, Out::File, 0, 1000, 0),
    Case::Splice(In::Pipe, NONE, Out::Socket, NONE, 2500, MORE),
    Case::Splice(In::Pipe, NONE, Out::Socket, NONE, 5000, 0),
    Case::Splice(In::Pipe, NONE, Out::File, 10, 1000, 0),
    Case::Splice(In::Pipe, NONE, Out::File, NONE, 1000, 0),
    Case::Splice(In::Pipe, NONE, Out::AppendFile, NONE, 1000, 0),
    Case::Splice(In::Pipe, 5, Out::File, 0, 1000, 0),
    Case::Splice(In::Pipe, NONE, Out::Pipe, NONE, 1234, NONBLOCK),
    Case::Splice(In::Pipe, NONE, Out::SamePipe, NONE, 10, 0),
    Case::Splice(In::Pipe, NONE, Out::PipeReadEnd, NONE, 10, 0),
    Case::Splice(In::Pipe, NONE, Out::PipeWithoutReader, NONE, 10, 0),
    Case::Splice(In::PipeAtEnd, NONE, Out::File, 0, 10, 0),
    Case::Splice(In::Socket, NONE, Out::Pipe, NONE, 4096, 0),
    Case::Splice(In::Socket, NONE, Out::File, 0, 100, 0),
    Case::Splice(In::File, 0, Out::Pipe, NONE, 10, 0x10),
    Case::Splice(In::PipeWriteEnd, NONE, Out::Pipe, NONE, 10, 0),
    Case::Splice(In::Closed, NONE, Out::Pipe, NONE, 10, 0),
    Case::Splice(In::EmptyPipe, NONE, Out::File, 0, 10, NONBLOCK),
    Case::Splice(In::EmptyPipe, NONE, Out::Socket, NONE, 10, NONBLOCK | MORE),
    Case::Tee(In::EmptyPipe, Out::Pipe, 10, NONBLOCK),
    Case::Tee(In::Pipe, Out::Pipe, 1000, 0),
    Case::Tee(In::Pipe, Out::Pipe, 9000, NONBLOCK),
    Case::Tee(In::PipeAtEnd, Out::Pipe, 10, 0),
    Case::Tee(In::File, Out::Pipe, 10, 0),
    Case::Tee(In::Pipe, Out::File, 10, 0),
    Case::Tee(In::Pipe, Out::SamePipe, 10, 0),
    Case::Tee(In::Pipe, Out::Pipe, 10, 0x80),
    Case::Tee(In::Closed, Out::Pipe, 10, 0),
];

fn pattern(seed: u8, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

fn temp_file(tag: &str, append: bool) -> (PathBuf, i32) {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "urb-splice-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, pattern(tag.len() as u8, FILE_LEN)).unwrap();
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    let flags = libc::O_RDWR | libc::O_CLOEXEC | if append { libc::O_APPEND } else { 0 };
    let fd = unsafe { libc::open(c.as_ptr(), flags) };
    assert!(fd >= 0);
    (path, fd)
}

fn nonblocking(fd: i32) {
    unsafe {
        libc::fcntl(
            fd,
            libc::F_SETFL,
            libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK,
        )
    };
}

/// Everything readable from `fd` now (it is made non-blocking first).
/// `n` bytes from a blocking descriptor.
fn read_exactly(fd: i32, n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    let mut got = 0;
    while got < n {
        let k = unsafe { libc::read(fd, out[got..].as_mut_ptr().cast(), n - got) };
        assert!(k > 0, "read: {}", std::io::Error::last_os_error());
        got += k as usize;
    }
    out
}

fn drain(fd: i32) -> Vec<u8> {
    nonblocking(fd);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
}

/// One case's fresh world. Every descriptor is closed once, on drop.
struct Fixture {
    in_fd: i32,
    out_fd: i32,
    /// Where what went out can be read back (the pipe's read end, the
    /// socket's peer), or the file.
    out_reader: Option<i32>,
    /// The descriptors to close, each once.
    owned: Vec<i32>,
    files: Vec<PathBuf>,
    in_file: Option<i32>,
    out_file: Option<(PathBuf, i32)>,
}

impl Fixture {
    fn new(i: In, o: Out) -> Fixture {
        let mut owned = Vec::new();
        let mut files = Vec::new();
        let mut in_file = None;
        let mut in_pipe_writer = None;
        let in_fd = match i {
            In::File => {
                let (p, fd) = temp_file("in", false);
                files.push(p);
                in_file = Some(fd);
                owned.push(fd);
                fd
            }
            In::Pipe | In::PipeAtEnd | In::EmptyPipe | In::PipeWriteEnd => {
                let (r, w) = pipe();
                owned.extend([r, w]);
                match i {
                    In::Pipe => {
                        write_all(w, &pattern(3, IN_PIPE_BYTES));
                        in_pipe_writer = Some(w);
                        r
                    }
                    In::PipeAtEnd => {
                        owned.retain(|&fd| fd != w);
                        close(w);
                        r
                    }
                    In::EmptyPipe => r,
                    _ => w,
                }
            }
            In::Socket => {
                let (a, b) = socketpair();
                owned.extend([a, b]);
                write_all(b, &pattern(5, IN_SOCKET_BYTES));
                a
            }
            In::Closed => 999_997,
        };
        let mut out_reader = None;
        let mut out_file = None;
        let out_fd = match o {
            Out::Pipe | Out::PipeReadEnd | Out::PipeWithoutReader => {
                let (r, w) = pipe();
                owned.extend([r, w]);
                match o {
                    Out::Pipe => {
                        out_reader = Some(r);
                        w
                    }
                    Out::PipeReadEnd => r,
                    _ => {
                        owned.retain(|&fd| fd != r);
                        close(r);
                        w
                    }
                }
            }
            Out::File | Out::AppendFile => {
                let (p, fd) = temp_file("out", matches!(o, Out::AppendFile));
                owned.push(fd);
                out_file = Some((p, fd));
                fd
            }
            Out::Socket => {
                let (a, b) = socketpair();
                owned.extend([a, b]);
                out_reader = Some(b);
                a
            }
            Out::SamePipe => in_pipe_writer.unwrap_or(999_996),
        };
        Fixture {
            in_fd,
            out_fd,
            out_reader,
            owned,
            files,
            in_file,
            out_file,
        }
    }

    /// What the case left: the bytes that came out, the bytes still in
    /// the input, the output file's bytes and both files' positions.
    fn state(&self) -> Vec<Vec<u8>> {
        let position = |fd: Option<i32>| {
            fd.map(|fd| unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) })
                .unwrap_or(-1)
                .to_ne_bytes()
                .to_vec()
        };
        let came_out = self.out_reader.map(drain).unwrap_or_default();
        let left_in = if self.in_file.is_none() && self.in_fd != 999_997 {
            drain(self.in_fd)
        } else {
            Vec::new()
        };
        let out_bytes = self
            .out_file
            .as_ref()
            .map(|(p, _)| std::fs::read(p).unwrap())
            .unwrap_or_default();
        vec![
            came_out,
            left_in,
            out_bytes,
            position(self.in_file),
            position(self.out_file.as_ref().map(|f| f.1)),
        ]
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for &fd in &self.owned {
            close(fd);
        }
        for p in &self.files {
            let _ = std::fs::remove_file(p);
        }
        if let Some((p, _)) = &self.out_file {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn ends(case: Case) -> (In, Out) {
    match case {
        Case::Splice(i, _, o, _, _, _) | Case::Tee(i, o, _, _) => (i, o),
    }
}

fn by_system_call(f: &Fixture, case: Case) -> i32 {
    let at = |off: u64, slot: &mut i64| {
        if off == NONE {
            std::ptr::null_mut()
        } else {
            *slot = off as i64;
            slot as *mut i64
        }
    };
    let (mut a, mut b) = (0i64, 0i64);
    let res = match case {
        Case::Splice(_, off_in, _, off_out, len, flags) => unsafe {
            libc::splice(
                f.in_fd,
                at(off_in, &mut a),
                f.out_fd,
                at(off_out, &mut b),
                len as usize,
                flags,
            )
        },
        Case::Tee(_, _, len, flags) => unsafe { libc::tee(f.in_fd, f.out_fd, len as usize, flags) },
    };
    if res < 0 {
        -std::io::Error::last_os_error().raw_os_error().unwrap()
    } else {
        res as i32
    }
}

fn by_convenience_call(f: &Fixture, case: Case) -> i32 {
    match case {
        Case::Splice(_, off_in, _, off_out, len, flags) => {
            urb_splice(f.in_fd, off_in, f.out_fd, off_out, len, flags)
        }
        Case::Tee(_, _, len, flags) => urb_tee(f.in_fd, f.out_fd, len, flags),
    }
}

fn prepared(f: &Fixture, case: Case) -> urb_op {
    let mut op = urb_op::zeroed();
    let r = match case {
        Case::Splice(_, off_in, _, off_out, len, flags) => {
            urb_prep_splice(f.in_fd, off_in, f.out_fd, off_out, len, flags, &mut op)
        }
        Case::Tee(_, _, len, flags) => urb_prep_tee(f.in_fd, f.out_fd, len, flags, &mut op),
    };
    assert_eq!(r, 0);
    op
}

fn agree_with_the_system_calls(face: &str, mut by_face: impl FnMut(&Fixture, Case) -> i32) {
    engine();
    // The system call's SIGPIPE would end the test: ignore it, as the
    // library never raises it.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let mut errors_seen = std::collections::BTreeSet::new();
    for &case in CASES {
        let (i, o) = ends(case);
        let (expected_world, face_world) = (Fixture::new(i, o), Fixture::new(i, o));
        let expected = by_system_call(&expected_world, case);
        let got = by_face(&face_world, case);
        assert_eq!(got, expected, "{face}: {case:?}");
        assert!(
            face_world.state() == expected_world.state(),
            "{face}: what {case:?} left differs"
        );
        errors_seen.insert(-expected.min(0));
        if expected > 0 {
            errors_seen.insert(-1);
        }
    }
    for e in [
        -1,
        0,
        libc::EINVAL,
        libc::EBADF,
        libc::ESPIPE,
        libc::EPIPE,
        libc::EAGAIN,
    ] {
        assert!(errors_seen.contains(&e), "no case gives {e}");
    }
}

#[test]
fn convenience_calls_agree_with_the_system_calls() {
    agree_with_the_system_calls("urb_splice/urb_tee", by_convenience_call);
}

#[test]
fn blocking_requests_agree_with_the_system_calls() {
    agree_with_the_system_calls("urb_submit_blocking", |f, case| {
        urb_submit_blocking(&prepared(f, case))
    });
}

#[test]
fn timed_blocking_requests_agree_with_the_system_calls() {
    agree_with_the_system_calls("urb_submit_blocking_timeout", |f, case| {
        urb_submit_blocking_timeout(&prepared(f, case), 5_000_000_000)
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

fn wait_one(ring: &TestRing, within_ns: u64) -> Option<urb_completion> {
    let mut c = [urb_completion::default()];
    let n = urb_ring_wait(ring.0, c.as_mut_ptr(), 1, 1, within_ns);
    (n == 1).then_some(c[0])
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
        let c = wait_one(&ring, 10_000_000_000).expect("no completion within 10 s");
        assert_eq!(c.token, token);
        c.res
    });
}

/// The output descriptor is never 0 (a zeroed `reserved1`): `-EBADF`
/// before anything runs; the input may be 0.
#[test]
fn output_descriptor_zero_is_refused() {
    engine();
    let (r, w) = pipe();
    write_all(w, b"abc");
    let mut op = urb_op::zeroed();
    assert_eq!(urb_prep_splice(r, NONE, w, NONE, 3, 0, &mut op), 0);
    op.reserved1 = 0;
    assert_eq!(urb_submit_blocking(&op), -libc::EBADF);
    assert_eq!(urb_tee(r, 0, 3, 0), -libc::EBADF);
    assert_eq!(urb_splice(r, NONE, 0, NONE, 3, 0), -libc::EBADF);
    assert_eq!(drain(r), b"abc", "a refused request moved bytes");
    close(r);
    close(w);
}

/// A splice from an empty pipe into a full one waits for the input, then
/// for the output, then moves the bytes: on the fallback ring it is parked
/// on one descriptor and then the other.
#[test]
fn ring_splice_waits_for_input_then_output() {
    engine();
    let ring = new_ring();
    let (in_r, in_w) = pipe();
    let (out_r, out_w) = pipe();
    // Fill the output pipe.
    nonblocking(out_w);
    let chunk = [7u8; 4096];
    let mut filled = 0;
    while unsafe { libc::write(out_w, chunk.as_ptr().cast(), chunk.len()) } > 0 {
        filled += chunk.len();
    }
    let flags = unsafe { libc::fcntl(out_w, libc::F_GETFL) };
    unsafe { libc::fcntl(out_w, libc::F_SETFL, flags & !libc::O_NONBLOCK) };
    let op = uringbridge::prep::splice(in_r, NONE, out_w, NONE, 100, 0);
    assert_eq!(urb_ring_submit(ring.0, &op, 1), 0);
    assert!(wait_one(&ring, 100_000_000).is_none(), "done without input");
    write_all(in_w, &[1u8; 100]);
    assert!(
        wait_one(&ring, 100_000_000).is_none(),
        "done without room in the output"
    );
    // Room in the output: the parked request moves the bytes.
    let mut sink = vec![0u8; filled];
    let mut taken = 0;
    while taken < filled {
        let n = unsafe { libc::read(out_r, sink.as_mut_ptr().cast(), filled - taken) };
        assert!(n > 0);
        taken += n as usize;
    }
    let c = wait_one(&ring, 5_000_000_000).expect("splice did not complete");
    assert_eq!((c.token, c.res), (1, 100));
    assert_eq!(drain(out_r), vec![1u8; 100]);
    for fd in [in_r, in_w, out_r, out_w] {
        close(fd);
    }
}

/// A waiting splice ends when the input's writer goes away (0, end of
/// input), on both engines. On the fallback engine it is also bounded by a
/// timeout (`-ETIME`) and cancelled by token (`-ECANCELED`), moving
/// nothing, and a ring freed with one waiting does not hang; on io_uring
/// the kernel's worker cannot be interrupted while it waits (the header
/// says so), so those are checked on the fallback only.
#[test]
fn waiting_splices_end_time_out_and_cancel() {
    let on_io_uring = engine() == "io_uring";
    let (in_r, in_w) = pipe();
    let (out_r, out_w) = pipe();
    let ring = new_ring();
    let op = uringbridge::prep::splice(in_r, NONE, out_w, NONE, 10, 0);
    assert_eq!(urb_ring_submit(ring.0, &op, 1), 0);
    assert!(wait_one(&ring, 50_000_000).is_none(), "done without input");
    close(in_w);
    let c = wait_one(&ring, 5_000_000_000).expect("end of input did not end it");
    assert_eq!((c.token, c.res), (1, 0));

    let (in_r2, in_w2) = pipe();
    if !on_io_uring {
        let op = uringbridge::prep::splice(in_r2, NONE, out_w, NONE, 10, 0);
        let started = Instant::now();
        assert_eq!(urb_submit_blocking_timeout(&op, 100_000_000), -libc::ETIME);
        assert!(started.elapsed() >= Duration::from_millis(90));
        assert_eq!(urb_ring_submit(ring.0, &op, 7), 0);
        assert!(wait_one(&ring, 50_000_000).is_none());
        assert_eq!(urb_ring_cancel(ring.0, 7), 0);
        let c = wait_one(&ring, 5_000_000_000).expect("cancel did not complete it");
        assert_eq!((c.token, c.res), (7, -libc::ECANCELED));
        write_all(in_w2, b"later");
        assert_eq!(drain(out_r), b"", "a cancelled splice moved bytes");
        assert_eq!(drain(in_r2), b"later");

        // (drain made in_r2 non-blocking: a fresh pipe waits.)
        let (in_r3, in_w3) = pipe();
        let ring2 = new_ring();
        let tee = uringbridge::prep::tee(in_r3, out_w, 10, 0);
        assert_eq!(urb_ring_submit(ring2.0, &tee, 8), 0);
        assert!(wait_one(&ring2, 50_000_000).is_none());
        drop(ring2);
        close(in_r3);
        close(in_w3);
    }
    for fd in [in_r, out_r, out_w, in_r2, in_w2] {
        close(fd);
    }
}

/// Ends the whole test process if it is still alive after `limit` (a hang
/// must fail the suite, not stall it); disarmed when dropped.
struct Watchdog(Option<std::sync::mpsc::Sender<()>>);

impl Watchdog {
    fn arm(limit: Duration, what: &'static str) -> Watchdog {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                eprintln!("watchdog: {what} still not done after {limit:?}");
                std::process::exit(101);
            }
        });
        Watchdog(Some(tx))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

/// A pipe filled until a write would block, left in blocking mode.
fn full_pipe() -> (i32, i32) {
    let (r, w) = pipe();
    nonblocking(w);
    let chunk = [7u8; 4096];
    while unsafe { libc::write(w, chunk.as_ptr().cast(), chunk.len()) } > 0 {}
    let flags = unsafe { libc::fcntl(w, libc::F_GETFL) };
    unsafe { libc::fcntl(w, libc::F_SETFL, flags & !libc::O_NONBLOCK) };
    (r, w)
}

/// A splice between a pipe and a regular file on the fallback ring waits
/// for the pipe on the owner's epoll set, not in splice(2) on a worker: a
/// cancel (`-ECANCELED`), a timeout (`-ETIME`, also on the timed blocking
/// face) and freeing the ring all end it at once, moving nothing, and data
/// arriving later is moved into the file. Both directions: an empty pipe
/// into a file, a file into a full pipe. A pipe in `O_NONBLOCK` mode gives
/// splice(2)'s `-EAGAIN` at once; a file's `O_NONBLOCK` changes nothing (the
/// kernel heeds only the pipe's). On io_uring the kernel's worker waits in
/// splice(2) and cannot be interrupted (the header says so): fallback only.
#[test]
fn pipe_file_splices_wait_where_cancel_reaches_them() {
    if engine() == "io_uring" {
        eprintln!("skipped on io_uring: its worker cannot be interrupted (URB_OP_SPLICE)");
        return;
    }
    let _watchdog = Watchdog::arm(Duration::from_secs(30), "a pipe/file splice");
    let (path, file) = temp_file("pipe-file", false);
    let before = std::fs::read(&path).unwrap();
    let ring = new_ring();

    // An empty pipe into the file.
    let (in_r, in_w) = pipe();
    let into_file = uringbridge::prep::splice(in_r, NONE, file, 0, 10, 0);
    assert_eq!(urb_ring_submit(ring.0, &into_file, 1), 0);
    assert!(wait_one(&ring, 50_000_000).is_none(), "done without input");
    let asked = Instant::now();
    assert_eq!(urb_ring_cancel(ring.0, 1), 0);
    let c = wait_one(&ring, 5_000_000_000).expect("cancel did not complete it");
    assert_eq!((c.token, c.res), (1, -libc::ECANCELED));
    assert!(asked.elapsed() < Duration::from_secs(2), "cancel took long");

    assert_eq!(
        urb_ring_submit_timeout(ring.0, &into_file, 2, 100_000_000),
        0
    );
    let c = wait_one(&ring, 5_000_000_000).expect("the timeout did not end it");
    assert_eq!((c.token, c.res), (2, -libc::ETIME));
    let started = Instant::now();
    assert_eq!(
        urb_submit_blocking_timeout(&into_file, 100_000_000),
        -libc::ETIME
    );
    assert!(started.elapsed() >= Duration::from_millis(90));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "a cut-short splice wrote"
    );

    // Data arriving later is moved; the file's O_NONBLOCK does not matter.
    nonblocking(file);
    assert_eq!(
        urb_submit_blocking_timeout(&into_file, 50_000_000),
        -libc::ETIME
    );
    assert_eq!(urb_ring_submit(ring.0, &into_file, 3), 0);
    assert!(wait_one(&ring, 50_000_000).is_none(), "done without input");
    write_all(in_w, b"later");
    let c = wait_one(&ring, 5_000_000_000).expect("the data did not complete it");
    assert_eq!((c.token, c.res), (3, 5));
    let mut expected = before.clone();
    expected[..5].copy_from_slice(b"later");
    assert_eq!(std::fs::read(&path).unwrap(), expected);

    // A file into a full pipe: waits for room, then moves the file's bytes.
    let (out_r, out_w) = full_pipe();
    let from_file = uringbridge::prep::splice(file, 100, out_w, NONE, 10, 0);
    assert_eq!(urb_ring_submit(ring.0, &from_file, 4), 0);
    assert!(wait_one(&ring, 50_000_000).is_none(), "done without room");
    assert_eq!(urb_ring_cancel(ring.0, 4), 0);
    let c = wait_one(&ring, 5_000_000_000).expect("cancel did not complete it");
    assert_eq!((c.token, c.res), (4, -libc::ECANCELED));
    assert_eq!(
        urb_ring_submit_timeout(ring.0, &from_file, 5, 100_000_000),
        0
    );
    let c = wait_one(&ring, 5_000_000_000).expect("the timeout did not end it");
    assert_eq!((c.token, c.res), (5, -libc::ETIME));
    assert_eq!(urb_ring_submit(ring.0, &from_file, 6), 0);
    assert!(wait_one(&ring, 50_000_000).is_none(), "done without room");
    // Exactly what filled the pipe (its capacity, in whole pages): reading
    // more would race with the splice that the room lets run. A cut-short
    // splice that had moved bytes would show them after these.
    let fill = unsafe { libc::fcntl(out_r, libc::F_GETPIPE_SZ) } as usize;
    let stale = read_exactly(out_r, fill);
    assert!(
        stale.iter().all(|&b| b == 7),
        "a cut-short splice moved bytes"
    );
    let c = wait_one(&ring, 5_000_000_000).expect("room did not complete it");
    assert_eq!((c.token, c.res), (6, 10));
    assert_eq!(
        drain(out_r),
        before[100..110],
        "what the pipe holds after the fill: the one splice's bytes"
    );

    // The pipe's O_NONBLOCK: splice(2)'s -EAGAIN at once, moving nothing.
    let (nb_r, nb_w) = pipe();
    nonblocking(nb_r);
    let at_once = uringbridge::prep::splice(nb_r, NONE, file, 0, 10, 0);
    assert_eq!(urb_ring_submit(ring.0, &at_once, 7), 0);
    let c = wait_one(&ring, 5_000_000_000).expect("no -EAGAIN");
    assert_eq!((c.token, c.res), (7, -libc::EAGAIN));

    // A ring freed with one waiting returns, its request cancelled.
    assert_eq!(urb_ring_submit(ring.0, &into_file, 8), 0);
    assert!(wait_one(&ring, 50_000_000).is_none(), "done without input");
    let freeing = Instant::now();
    drop(ring);
    assert!(
        freeing.elapsed() < Duration::from_secs(2),
        "freeing took long"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        expected,
        "a cancelled splice wrote"
    );

    for fd in [in_r, in_w, out_r, out_w, nb_r, nb_w, file] {
        close(fd);
    }
    let _ = std::fs::remove_file(&path);
}

/// A splice moving less than `len` ends a chain, as a short read does; a
/// complete one lets the next run.
#[test]
fn short_splices_break_chains() {
    engine();
    let (in_r, in_w) = pipe();
    let (out_r, out_w) = pipe();
    write_all(in_w, b"12345");
    let mut results = [1i32; 2];
    let short = uringbridge::prep::splice(in_r, NONE, out_w, NONE, 10, 0);
    let chain = [short, uringbridge::prep::nop()];
    assert_eq!(
        urb_submit_chain_blocking(chain.as_ptr(), 2, results.as_mut_ptr()),
        -libc::ECANCELED
    );
    assert_eq!(results, [5, -libc::ECANCELED]);
    write_all(in_w, b"12345");
    let whole = uringbridge::prep::splice(in_r, NONE, out_w, NONE, 5, 0);
    let chain = [whole, uringbridge::prep::nop()];
    assert_eq!(
        urb_submit_chain_blocking(chain.as_ptr(), 2, results.as_mut_ptr()),
        0
    );
    assert_eq!(results, [5, 0]);
    assert_eq!(drain(out_r), b"1234512345");
    for fd in [in_r, in_w, out_r, out_w] {
        close(fd);
    }
}

/// Into a pipe without a reader: `-EPIPE`, and the process lives (the
/// default SIGPIPE action would end it) — checked in a child process that
/// keeps SIGPIPE's default.
#[test]
fn epipe_without_sigpipe_child() {
    if std::env::var("URB_SPLICE_SIGPIPE_CHILD").is_err() {
        return;
    }
    engine();
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let (in_r, in_w) = pipe();
    let (out_r, out_w) = pipe();
    close(out_r);
    write_all(in_w, b"xyz");
    assert_eq!(urb_splice(in_r, NONE, out_w, NONE, 3, 0), -libc::EPIPE);
    let ring = new_ring();
    let op = uringbridge::prep::splice(in_r, NONE, out_w, NONE, 3, 0);
    assert_eq!(urb_ring_submit(ring.0, &op, 1), 0);
    assert_eq!(wait_one(&ring, 5_000_000_000).unwrap().res, -libc::EPIPE);
    for fd in [in_r, in_w, out_w] {
        close(fd);
    }
}

#[test]
fn epipe_without_sigpipe() {
    engine();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "epipe_without_sigpipe_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("URB_SPLICE_SIGPIPE_CHILD", "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child failed: {:?}\n{text}",
        out.status
    );
    assert!(text.contains("1 passed"), "child did not run:\n{text}");
}

#[test]
fn probe_knows_them() {
    engine();
    assert!(urb_op_supported(URB_OP_SPLICE));
    assert!(urb_op_supported(URB_OP_TEE));
}

const HIDE: &str = "URB_OP_SPLICE,URB_OP_TEE";

#[test]
fn hidden_from_the_probe_child() {
    let hidden = [URB_OP_SPLICE, URB_OP_TEE];
    let Some(on_io_uring) = probe_hide::hidden_in_this_child(HIDE, &hidden, URB_OP_READ) else {
        return;
    };
    let (in_r, in_w) = pipe();
    let (out_r, out_w) = pipe();
    write_all(in_w, b"abc");
    let (tee, splice) = (
        urb_tee(in_r, out_w, 3, 0),
        urb_splice(in_r, NONE, out_w, NONE, 3, 0),
    );
    if on_io_uring {
        assert_eq!((tee, splice), (-libc::ENOSYS, -libc::ENOSYS));
        assert_eq!(drain(out_r), b"");
    } else {
        assert_eq!((tee, splice), (3, 3));
        assert_eq!(drain(out_r), b"abcabc");
    }
    for fd in [in_r, in_w, out_r, out_w] {
        close(fd);
    }
}

#[test]
fn kernels_without_them_refuse_with_enosys() {
    probe_hide::run_child_with_hidden("hidden_from_the_probe_child", HIDE);
}
