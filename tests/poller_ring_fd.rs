//! A program's stray close(2) of the io_uring poller's ring number must not
//! break the poller or reach somebody else's file: every thread that
//! entered the poller before keeps working (it enters by its registered
//! index), a thread entering it for the first time gets `-EBADFD` at once
//! (not a hang on another ring, not an error from a stranger's file), and
//! `destroy` leaves the number alone.

mod common;

use common::ring_fds::*;
use common::*;
use std::sync::Mutex;
use uringbridge::ffi::readiness::*;
use uringbridge::readiness::*;

/// The scenarios look for rings that appear in /proc/self/fd: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// The io_uring poller, or None on the fallback engine (it has only epoll,
/// whose descriptor is not a ring).
fn uring_poller() -> Option<&'static urb_poller_vtable> {
    let vt = urb_poller_io_uring();
    assert_eq!(vt.is_null(), engine() != "io_uring");
    (!vt.is_null()).then(|| unsafe { &*vt })
}

/// A new instance and its ring's descriptor number.
fn instance(vt: &urb_poller_vtable) -> (usize, i32) {
    let mut state = std::ptr::null_mut();
    let rings = new_ring_fds(|| state = (vt.create)());
    assert!(!state.is_null());
    assert_eq!(rings.len(), 1, "one ring per instance: {rings:?}");
    (state as usize, rings[0])
}

fn poll(vt: &urb_poller_vtable, state: usize, timeout_ms: i32) -> Result<Vec<urb_event>, i32> {
    let mut out = [urb_event::default(); 8];
    match (vt.poll)(state as *mut _, timeout_ms, out.as_mut_ptr(), 8) {
        n if n >= 0 => Ok(out[..n as usize].to_vec()),
        e => Err(e),
    }
}

/// What a thread that never entered the poller gets from it.
fn from_a_new_thread(vt: &'static urb_poller_vtable, state: usize, fd: i32) -> (i32, i32) {
    std::thread::spawn(move || {
        let polled = poll(vt, state, -1).err().unwrap_or(0);
        (
            polled,
            (vt.modify_fd_once)(state as *mut _, fd, URB_EV_READ),
        )
    })
    .join()
    .unwrap()
}

#[test]
fn a_poller_whose_number_now_names_a_regular_file() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(vt) = uring_poller() else { return };
    let contents = b"a regular file at the poller ring's old number";
    within("poller after its number went to a file", move || {
        let (state, number) = instance(vt);
        let (rd, wr) = pipe();
        assert_eq!((vt.modify_fd)(state as *mut _, rd, 0, URB_EV_READ), 0);
        close(number); // the user's second, stray close
        regular_file_at(number, contents);
        // This thread entered before: it goes on, entering the ring (nothing
        // is waiting in the CQ) and registering, events and all.
        assert_eq!(poll(vt, state, 0), Ok(vec![]));
        assert_eq!(
            (vt.modify_fd)(state as *mut _, rd, URB_EV_READ, URB_EV_READ),
            0
        );
        write_all(wr, b"x");
        let got = poll(vt, state, 5000).expect("poll after the stray close");
        assert_eq!(
            got,
            vec![urb_event {
                fd: rd,
                events: URB_EV_READ
            }]
        );
        // A thread new to the poller: a clear error, at once.
        assert_eq!(
            from_a_new_thread(vt, state, rd),
            (-libc::EBADFD, -libc::EBADFD)
        );
        assert_eq!((vt.modify_fd)(state as *mut _, rd, URB_EV_READ, 0), 0);
        (vt.destroy)(state as *mut _);
        still_the_file(number, contents);
        close(number);
        close(rd);
        close(wr);
    });
}

#[test]
fn a_poller_whose_number_now_names_another_ring_does_not_hang() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(vt) = uring_poller() else { return };
    within("poller after its number went to another ring", move || {
        let (a, number) = instance(vt);
        let (b, b_number) = instance(vt);
        let (rd, wr) = pipe();
        assert_eq!((vt.modify_fd)(a as *mut _, rd, 0, URB_EV_READ), 0);
        close(number); // the stray close
        assert_eq!(unsafe { libc::dup2(b_number, number) }, number); // B's ring at A's number
                                                                     // This thread goes on with A (not B, which is idle: a wait there hangs).
        write_all(wr, b"x");
        let got = poll(vt, a, 5000).expect("poll of A after the stray close");
        assert_eq!(
            got,
            vec![urb_event {
                fd: rd,
                events: URB_EV_READ
            }]
        );
        // A new thread gets -EBADFD from A instead of waiting on B forever.
        assert_eq!(from_a_new_thread(vt, a, rd), (-libc::EBADFD, -libc::EBADFD));
        // B is untouched and works, from any thread.
        let (rd2, wr2) = pipe();
        assert_eq!((vt.modify_fd_once)(b as *mut _, rd2, URB_EV_READ), 0);
        write_all(wr2, b"y");
        assert_eq!(
            poll(vt, b, 5000).unwrap(),
            vec![urb_event {
                fd: rd2,
                events: URB_EV_READ
            }]
        );
        // Destroying A closes neither number: both are B's ring.
        (vt.destroy)(a as *mut _);
        let rings = io_uring_fds();
        assert!(
            rings.contains(&number) && rings.contains(&b_number),
            "{rings:?}"
        );
        close(number); // our dup of B's ring, closed once
        (vt.destroy)(b as *mut _);
        for fd in [rd, wr, rd2, wr2] {
            close(fd);
        }
    });
}

#[test]
fn a_poller_destroyed_while_other_threads_hold_it() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(vt) = uring_poller() else { return };
    within("poller entered from several threads", move || {
        let (state, number) = instance(vt);
        let (rd, wr) = pipe();
        // Another thread registers the ring in its own table (and stays).
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let keeper = std::thread::spawn(move || {
            assert_eq!((vt.modify_fd)(state as *mut _, rd, 0, URB_EV_READ), 0);
            ready_tx.send(()).unwrap();
            let _ = go_rx.recv();
            // Its first entry into another poller frees the retired slot.
            let (other, _) = instance(vt);
            let (rd2, wr2) = pipe();
            assert_eq!((vt.modify_fd_once)(other as *mut _, rd2, URB_EV_READ), 0);
            write_all(wr2, b"y");
            assert_eq!(
                poll(vt, other, 5000).unwrap(),
                vec![urb_event {
                    fd: rd2,
                    events: URB_EV_READ
                }]
            );
            (vt.destroy)(other as *mut _);
            close(rd2);
            close(wr2);
        });
        ready_rx.recv().unwrap();
        (vt.destroy)(state as *mut _);
        // The number is closed (the ring lives on in the keeper's table
        // until it lets go, but no descriptor of ours names it).
        assert!(!io_uring_fds().contains(&number));
        go_tx.send(()).unwrap();
        keeper.join().unwrap();
        close(rd);
        close(wr);
    });
}
