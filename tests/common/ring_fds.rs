//! Helpers of the tests that close a ring's descriptor number under it
//! (`ring_fd_reuse.rs`, `ring_fd_reuse_unregistered.rs`).

use super::{close, pipe, write_all};
use std::sync::mpsc;
use std::time::Duration;
use uringbridge::ffi::blocking::{urb_nop, urb_read};

/// Fails the test (instead of hanging the suite) if `f` does not finish.
pub fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
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

/// The io_uring descriptors open in this process, in order.
pub fn io_uring_fds() -> Vec<i32> {
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
pub fn new_ring_fds(make: impl FnOnce()) -> Vec<i32> {
    let before = io_uring_fds();
    make();
    io_uring_fds()
        .into_iter()
        .filter(|fd| !before.contains(fd))
        .collect()
}

/// A regular file with known contents, opened read-only, put at `number`
/// (which the caller has just closed).
pub fn regular_file_at(number: i32, contents: &[u8]) {
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
pub fn still_the_file(fd: i32, contents: &[u8]) {
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
pub fn blocking_read_works() {
    let (rd, wr) = pipe();
    write_all(wr, b"survives");
    let mut buf = [0u8; 16];
    assert_eq!(urb_read(rd, buf.as_mut_ptr().cast(), 16, 0), 8);
    assert_eq!(&buf[..8], b"survives");
    assert_eq!(urb_nop(), 0);
    close(rd);
    close(wr);
}
