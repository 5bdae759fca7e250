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

use common::ring_fds::*;
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
