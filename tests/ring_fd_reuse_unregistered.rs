//! `ring_fd_reuse.rs`'s first case on the path kernels without the
//! registered-ring table take (entering by number): the request that meets
//! the file at the ring's number fails with a clear error instead of
//! hanging or retrying for ever, the thread's next request gets a new ring,
//! and the library never closes the number, which is the file's now.
//! A process of its own: the switch holds for every ring made after it.

mod common;

use common::*;
use std::sync::mpsc;
use std::time::Duration;
use uringbridge::ffi::blocking::*;

fn io_uring_fds() -> Vec<i32> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            (target.to_str()? == "anon_inode:[io_uring]")
                .then(|| e.file_name().to_str()?.parse().ok())
                .flatten()
        })
        .collect()
}

#[test]
fn entering_by_number_a_ring_whose_number_went_to_a_file_fails_loudly_and_recovers() {
    engine();
    uringbridge::uring::registered::enter_by_number_from_now_on();
    let contents = b"the file now at the ring's number";
    let path = std::env::temp_dir().join(format!("urb-unregistered-{}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    let (tx, rx) = mpsc::channel();
    let file = path.clone();
    let thread = std::thread::spawn(move || {
        let before = io_uring_fds();
        assert_eq!(urb_nop(), 0);
        let ours: Vec<i32> = io_uring_fds()
            .into_iter()
            .filter(|fd| !before.contains(fd))
            .collect();
        let mut taken = None;
        if let Some(&number) = ours.first() {
            close(number);
            let c = std::ffi::CString::new(file.to_str().unwrap()).unwrap();
            let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
            assert!(fd >= 0);
            if fd != number {
                assert_eq!(unsafe { libc::dup2(fd, number) }, number);
                close(fd);
            }
            // Entered by number, the ring now reaches a regular file.
            assert_eq!(urb_nop(), -libc::EOPNOTSUPP);
            taken = Some(number);
        }
        // A new ring serves the thread from here on.
        let (rd, wr) = pipe();
        write_all(wr, b"recovered");
        let mut buf = [0u8; 16];
        assert_eq!(urb_read(rd, buf.as_mut_ptr().cast(), 16, 0), 9);
        assert_eq!(&buf[..9], b"recovered");
        close(rd);
        close(wr);
        tx.send(taken).unwrap();
    });
    let taken = match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(t) => t,
        Err(e) => panic!("the thread ring hung or panicked: {e:?}"),
    };
    std::fs::remove_file(&path).unwrap();
    thread.join().unwrap(); // its ring is dropped by then
    if let Some(number) = taken {
        let mut buf = [0u8; 64];
        let n = unsafe { libc::pread(number, buf.as_mut_ptr().cast(), 64, 0) };
        assert_eq!(
            n,
            contents.len() as isize,
            "the library closed a number that was no longer its ring's"
        );
        close(number);
    }
}
