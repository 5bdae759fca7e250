//! A user program's double close(2) must not break the library's rings.
//!
//! The bug this guards against: a program closes a descriptor number twice;
//! in between, a ring (a thread's blocking-face ring, or an async ring's
//! owner) took the freed number, so the second close closes the ring's
//! descriptor. Whatever is opened next gets that number: a regular file
//! (`io_uring_enter` on it is -EOPNOTSUPP) or another thread's ring (enter
//! waits on the wrong ring: a hang). The rings must keep working, and must
//! never close the number later either (it is someone else's by then).

mod common;

use common::*;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::ring::*;
use uringbridge::prep;
use uringbridge::ring::delivery::urb_completion;

/// The scenarios look for rings that appear in /proc/self/fd: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Fails the test (instead of hanging the suite) if `f` does not finish.
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(v) => {
            // Its thread ring is dropped (the thread's exit) before we go on.
            thread.join().unwrap();
            v
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: hung (no result in 20 s)"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}

fn io_uring_fds() -> Vec<i32> {
    let mut fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            (target.to_str()? == "anon_inode:[io_uring]")
                .then(|| e.file_name().to_str()?.parse().ok())
                .flatten()
        })
        .collect();
    fds.sort_unstable();
    fds
}

/// The io_uring descriptors that `make` opens (none on the fallback engine).
fn new_ring_fds(make: impl FnOnce()) -> Vec<i32> {
    let before = io_uring_fds();
    make();
    io_uring_fds()
        .into_iter()
        .filter(|fd| !before.contains(fd))
        .collect()
}

/// A regular file with known contents, opened read-only, put at `number`
/// (which the caller has just closed).
fn regular_file_at(number: i32, contents: &[u8]) {
    let path =
        std::env::temp_dir().join(format!("urb-ring-fd-reuse-{}-{number}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    assert!(fd >= 0);
    std::fs::remove_file(&path).unwrap();
    if fd != number {
        assert_eq!(unsafe { libc::dup2(fd, number) }, number);
        close(fd);
    }
}

/// `fd` is open and reads `contents` from offset 0: nobody closed it.
fn still_the_file(fd: i32, contents: &[u8]) {
    let mut buf = vec![0u8; contents.len() + 8];
    let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    assert_eq!(
        n,
        contents.len() as isize,
        "descriptor {fd} was closed or changed by the library"
    );
    assert_eq!(&buf[..contents.len()], contents);
}

/// One read through the blocking face, checked: the result and the bytes.
fn blocking_read_works() {
    let (rd, wr) = pipe();
    write_all(wr, b"survives");
    let mut buf = [0u8; 16];
    assert_eq!(urb_read(rd, buf.as_mut_ptr().cast(), 16, 0), 8);
    assert_eq!(&buf[..8], b"survives");
    assert_eq!(urb_nop(), 0);
    close(rd);
    close(wr);
}

#[test]
fn a_thread_ring_whose_number_now_names_a_regular_file_still_works() {
    engine();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let contents = b"a regular file at the ring's old number";
    let taken = within("thread ring after its number went to a file", move || {
        let ours = new_ring_fds(|| assert_eq!(urb_nop(), 0));
        let Some(&number) = ours.first() else {
            blocking_read_works(); // fallback engine: no ring to lose
            return None;
        };
        close(number); // the user's second, stray close
        regular_file_at(number, contents);
        blocking_read_works();
        blocking_read_works();
        Some(number)
    });
    // The thread and its ring are gone; the file at the number must not be.
    if let Some(number) = taken {
        still_the_file(number, contents);
        close(number);
    }
}

#[test]
fn a_thread_ring_whose_number_now_names_another_threads_ring_does_not_hang() {
    engine();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // The other thread keeps its ring alive (and idle) until told to go.
    let (ring_tx, ring_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        let fds = new_ring_fds(|| assert_eq!(urb_nop(), 0));
        ring_tx.send(fds.first().copied()).unwrap();
        let _ = go_rx.recv();
        blocking_read_works(); // its ring is unharmed too
    });
    let other_ring = ring_rx.recv().unwrap();
    let taken = within(
        "thread ring after its number went to another ring",
        move || {
            let ours = new_ring_fds(|| assert_eq!(urb_nop(), 0));
            let (Some(&number), Some(other_ring)) = (ours.first(), other_ring) else {
                blocking_read_works();
                return None;
            };
            close(number);
            assert_eq!(unsafe { libc::dup2(other_ring, number) }, number);
            blocking_read_works();
            blocking_read_works();
            Some(number)
        },
    );
    go_tx.send(()).unwrap();
    other.join().unwrap();
    if let Some(number) = taken {
        // Still open (a copy of the other ring's descriptor): ours to close.
        assert!(
            unsafe { libc::fcntl(number, libc::F_GETFD) } >= 0,
            "the exiting thread's ring closed a number that was no longer its own"
        );
        close(number);
    }
}

#[test]
fn an_async_ring_whose_owner_number_now_names_a_regular_file_still_works() {
    engine();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let contents = b"a regular file at the owner's old number";
    let taken = within("async ring after its number went to a file", move || {
        let mut r = std::ptr::null_mut();
        let ours = new_ring_fds(|| assert_eq!(urb_ring_new(std::ptr::null(), &mut r), 0));
        if let Some(&number) = ours.first() {
            close(number);
            regular_file_at(number, contents);
        }
        for round in 0..3u64 {
            let (rd, wr) = pipe();
            let mut buf = Box::new([0u8; 16]);
            // Submitted before the data arrives: it waits in the kernel.
            let op = prep::read(rd, buf.as_mut_ptr().cast(), 16, 0);
            assert_eq!(urb_ring_submit(r, &op, 100 + round), 0);
            std::thread::sleep(Duration::from_millis(5));
            write_all(wr, b"owner ok");
            let mut out = [urb_completion::default(); 4];
            let n = urb_ring_wait(r, out.as_mut_ptr(), 4, 1, 10_000_000_000);
            assert_eq!(n, 1, "no completion within 10 s");
            assert_eq!((out[0].token, out[0].res), (100 + round, 8));
            assert_eq!(&buf[..8], b"owner ok");
            close(rd);
            close(wr);
        }
        urb_ring_free(r);
        ours.first().copied()
    });
    if let Some(number) = taken {
        still_the_file(number, contents);
        close(number);
    }
}
