//! `URB_RING_SINGLE_THREAD`: a ring its creating thread drives (on
//! io_uring without an owner thread). What a C event loop relies on: every
//! result as on other rings, waits and timeouts that end, cancels that lose
//! nothing, calls from other threads refused, and a free that neither hangs
//! nor leaves the kernel writing into freed buffers — also after the thread
//! exited with requests in flight. Runs on both engines.

mod common;

use common::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uringbridge::ffi::ring::*;
use uringbridge::prep;
use uringbridge::ring::config::{
    urb_ring_config, URB_RING_FALLBACK, URB_RING_SINGLE_THREAD, URB_RING_SQPOLL,
};
use uringbridge::ring::delivery::urb_completion;
use uringbridge::ring::stats::urb_stats;
use uringbridge::ring::OwnerFault;

struct TestRing(*mut urb_ring);
unsafe impl Send for TestRing {}
impl Drop for TestRing {
    fn drop(&mut self) {
        urb_ring_free(self.0);
    }
}

fn new_ring(extra: u32) -> TestRing {
    engine();
    let cfg = urb_ring_config {
        flags: URB_RING_SINGLE_THREAD | extra,
        ..Default::default()
    };
    let mut r = std::ptr::null_mut();
    assert_eq!(urb_ring_new(&cfg, &mut r), 0);
    TestRing(r)
}

fn wait(r: &TestRing, min: u32, timeout_ns: u64) -> Vec<urb_completion> {
    let mut out = [urb_completion::default(); 64];
    let n = urb_ring_wait(r.0, out.as_mut_ptr(), 64, min, timeout_ns);
    assert!(n >= 0, "wait: {n}");
    out[..n as usize].to_vec()
}

fn stats(r: &TestRing) -> urb_stats {
    let mut s = urb_stats::default();
    assert_eq!(urb_ring_stats(r.0, &mut s), 0);
    s
}

/// Both the plain ring and, for comparison of results, one on the fallback
/// engine: the rules are the same.
fn both(f: impl Fn(u32)) {
    f(0);
    f(URB_RING_FALLBACK);
}

/// A ring with a recv (token 1) waiting on an empty socket `a` of the pair
/// `(a, b)`, into the returned buffer.
fn pending_recv(extra: u32) -> (TestRing, i32, i32, Box<[u8; 8]>) {
    let r = new_ring(extra);
    let (a, b) = socketpair();
    let mut buf = Box::new([0u8; 8]);
    assert_eq!(
        urb_ring_submit(r.0, &prep::recv(a, buf.as_mut_ptr().cast(), 8, 0), 1),
        0
    );
    (r, a, b, buf)
}

/// Sends 4 bytes into `b` and receives them from `a` with a plain recv:
/// 4 when no request of the ring took them.
fn left_in_socket(a: i32, b: i32) -> isize {
    write_all(b, b"late");
    let mut plain = [0u8; 8];
    // SAFETY: a local buffer.
    unsafe { libc::recv(a, plain.as_mut_ptr().cast(), 8, libc::MSG_DONTWAIT) }
}

#[test]
fn a_request_that_waits_completes_with_its_data() {
    both(|extra| {
        let r = new_ring(extra);
        let (a, b) = socketpair();
        let mut buf = [0u8; 16];
        assert_eq!(
            urb_ring_submit(r.0, &prep::recv(a, buf.as_mut_ptr().cast(), 16, 0), 7),
            0
        );
        assert!(wait(&r, 1, 20_000_000).is_empty(), "nothing before data");
        write_all(b, b"hello");
        let got = wait(&r, 1, 5_000_000_000);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].token, got[0].res), (7, 5));
        assert_eq!(&buf[..5], b"hello");
        let s = stats(&r);
        assert_eq!((s.submitted, s.completions, s.in_flight), (1, 1, 0));
        if extra == 0 && engine() == "io_uring" {
            assert_eq!(s.wakeups, 0, "no thread to wake");
        }
        close(a);
        close(b);
    });
}

/// With the kernel's SQ thread taking the requests (it may have gone idle
/// between the thread's calls: the wait wakes it).
#[test]
fn an_sqpoll_ring_driven_by_its_thread() {
    engine();
    let cfg = urb_ring_config {
        flags: URB_RING_SINGLE_THREAD | URB_RING_SQPOLL,
        sqpoll_idle_ms: 10,
        ..Default::default()
    };
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(&cfg, &mut ring), 0);
    let r = TestRing(ring);
    let (a, b) = socketpair();
    let mut buf = [0u8; 8];
    for round in 0..3u64 {
        assert_eq!(
            urb_ring_submit(r.0, &prep::recv(a, buf.as_mut_ptr().cast(), 8, 0), round),
            0
        );
        // Past the SQ thread's idle time once.
        if round == 1 {
            std::thread::sleep(Duration::from_millis(50));
        }
        write_all(b, b"sq");
        let got = wait(&r, 1, 5_000_000_000);
        assert_eq!((got[0].token, got[0].res), (round, 2), "round {round}");
    }
    close(a);
    close(b);
}

#[test]
fn timeouts_chains_and_batches_as_on_other_rings() {
    both(|extra| {
        let r = new_ring(extra);
        let (a, b) = socketpair();
        let mut buf = [0u8; 8];
        let recv = prep::recv(a, buf.as_mut_ptr().cast(), 8, 0);
        assert_eq!(urb_ring_submit_timeout(r.0, &recv, 1, 20_000_000), 0);
        let got = wait(&r, 1, 5_000_000_000);
        assert_eq!((got[0].token, got[0].res), (1, -libc::ETIME));
        let msg = *b"chain";
        let chain = [
            prep::send(b, msg.as_ptr().cast(), 5, 0),
            prep::recv(a, buf.as_mut_ptr().cast(), 8, 0),
        ];
        assert_eq!(
            urb_ring_submit_chain(r.0, chain.as_ptr(), 2, [2u64, 3].as_ptr()),
            0
        );
        let mut got = wait(&r, 2, 5_000_000_000);
        got.sort_by_key(|c| c.token);
        assert_eq!(
            got.iter().map(|c| (c.token, c.res)).collect::<Vec<_>>(),
            [(2, 5), (3, 5)]
        );
        let nops = [prep::nop(); 40];
        let tokens: Vec<u64> = (100..140).collect();
        assert_eq!(
            urb_ring_submit_batch(r.0, nops.as_ptr(), 40, tokens.as_ptr()),
            0
        );
        let got = wait(&r, 40, 5_000_000_000);
        assert_eq!(got.len(), 40);
        assert!(got.iter().all(|c| c.res == 0));
        close(a);
        close(b);
    });
}

#[test]
fn wait_ends_at_its_timeout_and_zero_does_not_block() {
    both(|extra| {
        let (r, a, b, _buf) = pending_recv(extra);
        let t = Instant::now();
        assert!(wait(&r, 1, 0).is_empty());
        assert!(wait(&r, 1, 50_000_000).is_empty());
        let waited = t.elapsed();
        assert!(waited >= Duration::from_millis(45), "{waited:?}");
        assert!(waited < Duration::from_secs(3), "{waited:?}");
        // Reap drives the ring too: the completion arrives without a wait.
        write_all(b, b"x");
        let mut out = [urb_completion::default(); 4];
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut n = 0;
        while n == 0 && Instant::now() < deadline {
            n = urb_ring_reap(r.0, out.as_mut_ptr(), 4);
            assert!(n >= 0);
        }
        assert_eq!((n, out[0].res), (1, 1));
        close(a);
        close(b);
    });
}

/// Nothing can complete on a ring no other thread may submit to: a wait
/// without a limit returns instead of hanging, on both engines.
#[test]
fn a_wait_with_nothing_outstanding_returns() {
    both(|extra| {
        let r = new_ring(extra);
        assert!(wait(&r, 1, u64::MAX).is_empty());
        assert_eq!(urb_ring_submit(r.0, &prep::timeout(1_000_000), 1), 0);
        let got = wait(&r, 1, u64::MAX);
        assert_eq!((got[0].token, got[0].res), (1, 0));
        assert!(wait(&r, 1, u64::MAX).is_empty());
        // A multishot request stays outstanding until its last completion.
        let (a, b) = socketpair();
        assert_eq!(urb_ring_poll_multishot(r.0, a, libc::POLLIN as u32, 2), 0);
        write_all(b, b"x");
        let got = wait(&r, 1, 5_000_000_000);
        assert_eq!(got[0].token, 2);
        let t = Instant::now();
        assert!(wait(&r, 1, 20_000_000).is_empty());
        assert!(
            t.elapsed() >= Duration::from_millis(15),
            "armed: the wait ran to its limit"
        );
        assert_eq!(urb_ring_cancel(r.0, 2), 0);
        let got = wait(&r, 1, u64::MAX);
        assert_eq!(got.last().map(|c| c.token), Some(2));
        assert!(wait(&r, 1, u64::MAX).is_empty());
        close(a);
        close(b);
    });
}

#[test]
fn cancel_of_a_waiting_recv_loses_no_data() {
    both(|extra| {
        let (r, a, b, _buf) = pending_recv(extra);
        assert!(wait(&r, 1, 5_000_000).is_empty());
        assert_eq!(urb_ring_cancel(r.0, 1), 0);
        let got = wait(&r, 1, 5_000_000_000);
        assert_eq!((got[0].token, got[0].res), (1, -libc::ECANCELED));
        let n = left_in_socket(a, b);
        assert_eq!(n, 4, "the bytes stayed in the socket");
        close(a);
        close(b);
    });
}

#[test]
fn other_threads_are_refused_except_stats() {
    both(|extra| {
        let r = new_ring(extra);
        assert_eq!(urb_ring_fd(r.0), -libc::EOPNOTSUPP);
        let ring = r.0 as usize;
        std::thread::spawn(move || {
            let ring = ring as *mut urb_ring;
            assert_eq!(urb_ring_submit(ring, &prep::nop(), 1), -libc::EPERM);
            let mut res = 0;
            assert_eq!(
                urb_ring_submit_try(ring, &prep::nop(), 1, &mut res),
                -libc::EPERM
            );
            let mut out = [urb_completion::default(); 1];
            assert_eq!(urb_ring_wait(ring, out.as_mut_ptr(), 1, 1, 0), -libc::EPERM);
            assert_eq!(urb_ring_reap(ring, out.as_mut_ptr(), 1), -libc::EPERM);
            assert_eq!(urb_ring_cancel(ring, 1), -libc::EPERM);
            assert_eq!(
                urb_ring_set_callback(ring, None, std::ptr::null_mut()),
                -libc::EPERM
            );
            let mut s = urb_stats::default();
            assert_eq!(urb_ring_stats(ring, &mut s), 0);
        })
        .join()
        .unwrap();
        assert_eq!(
            urb_ring_submit(r.0, &prep::nop(), 2),
            0,
            "its own thread still may"
        );
        assert_eq!(wait(&r, 1, 5_000_000_000)[0].token, 2);
    });
}

#[test]
fn free_with_a_request_in_flight_cancels_it() {
    both(|extra| {
        let (r, a, b, buf) = pending_recv(extra);
        assert!(wait(&r, 1, 1_000_000).is_empty());
        let t = Instant::now();
        drop(r);
        assert!(t.elapsed() < Duration::from_secs(3));
        drop(buf);
        let n = left_in_socket(a, b);
        assert_eq!(n, 4, "the cancelled recv took nothing");
        close(a);
        close(b);
    });
}

/// The thread exits with a recv in flight; another thread frees the ring.
/// The kernel ended the recv at the exit, so the free neither hangs nor
/// closes a ring the kernel still writes through; the data stays in the
/// socket.
#[test]
fn free_after_the_thread_exited_with_requests_in_flight() {
    both(|extra| {
        let (ring, a, b, buf) = std::thread::spawn(move || {
            let (r, a, b, buf) = pending_recv(extra);
            assert_eq!(urb_ring_submit(r.0, &prep::timeout(60_000_000_000), 2), 0);
            assert!(wait(&r, 1, 1_000_000).is_empty());
            let ring = r.0 as usize;
            std::mem::forget(r);
            (ring, a, b, buf)
        })
        .join()
        .unwrap();
        let ring = ring as *mut urb_ring;
        let t = Instant::now();
        urb_ring_free(ring);
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        drop(buf);
        let n = left_in_socket(a, b);
        if extra == 0 && engine() == "io_uring" {
            assert_eq!(n, 4, "the ended recv took nothing");
        }
        close(a);
        close(b);
    });
}

static SEEN: AtomicU64 = AtomicU64::new(0);

unsafe extern "C" fn resubmit(ctx: *mut libc::c_void, token: u64, res: i32, _flags: u32) {
    assert_eq!(res, 0);
    SEEN.fetch_add(1, Ordering::SeqCst);
    if token < 5 {
        // From the callback: the running call submits it before it returns.
        let ring = ctx as *const urb_ring;
        assert_eq!(urb_ring_submit(ring, &prep::timeout(1_000), token + 1), 0);
        let mut out = [urb_completion::default(); 1];
        assert_eq!(
            urb_ring_wait(ring, out.as_mut_ptr(), 1, 1, 0),
            -libc::EDEADLK
        );
    }
}

#[test]
fn a_callback_runs_on_the_ring_thread_and_may_submit() {
    if engine() != "io_uring" {
        return; // the fallback's callbacks run on its owner thread
    }
    let r = new_ring(0);
    assert_eq!(urb_ring_set_callback(r.0, Some(resubmit), r.0.cast()), 0);
    assert_eq!(urb_ring_submit(r.0, &prep::timeout(1_000), 1), 0);
    let deadline = Instant::now() + Duration::from_secs(5);
    while SEEN.load(Ordering::SeqCst) < 5 && Instant::now() < deadline {
        // Nothing is queued (callbacks take every completion): the wait
        // ends at its timeout, having driven the ring.
        assert!(wait(&r, 1, 10_000_000).is_empty());
    }
    assert_eq!(SEEN.load(Ordering::SeqCst), 5);
}

#[test]
fn a_failed_ring_completes_what_it_held_and_says_so() {
    if engine() != "io_uring" {
        return; // the owner-failure suite covers the fallback's owner
    }
    for fault in [OwnerFault::EnterError(libc::EBADF), OwnerFault::Panic] {
        let (r, a, b, _buf) = pending_recv(0);
        inject_owner_fault(r.0, fault);
        let got = wait(&r, 1, 5_000_000_000);
        assert_eq!(got.len(), 1, "{fault:?}");
        assert!(got[0].res < 0, "{fault:?}: {got:?}");
        let mut s = urb_stats::default();
        let failure = urb_ring_stats(r.0, &mut s);
        assert!(failure < 0, "{fault:?}");
        assert_eq!(urb_ring_submit(r.0, &prep::nop(), 2), failure);
        assert!(
            wait(&r, 1, 1_000_000).is_empty(),
            "a failed ring's wait ends"
        );
        drop(r);
        close(a);
        close(b);
    }
}

#[test]
fn registered_buffers_on_the_ring_thread() {
    both(|extra| {
        let r = new_ring(extra);
        let mut mem = vec![0u8; 4096];
        let iov = libc::iovec {
            iov_base: mem.as_mut_ptr().cast(),
            iov_len: mem.len(),
        };
        assert_eq!(urb_ring_register_buffers(r.0, &iov, 1), 0);
        let (rd, wr) = pipe();
        write_all(wr, b"fixed");
        let op = prep::read_fixed(rd, mem.as_mut_ptr().cast(), 5, 0, 0);
        assert_eq!(urb_ring_submit(r.0, &op, 9), 0);
        let got = wait(&r, 1, 5_000_000_000);
        assert_eq!((got[0].token, got[0].res), (9, 5));
        assert_eq!(&mem[..5], b"fixed");
        assert_eq!(urb_ring_unregister_buffers(r.0), 0);
        close(rd);
        close(wr);
    });
}
