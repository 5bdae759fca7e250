//! A signal storm (SIGALRM every ~50 µs, handler installed without
//! SA_RESTART) while threads sit in blocking calls and ring waits: every
//! result is right and no -EINTR reaches a caller. Its own test binary:
//! signals are process-wide.

mod common;

use common::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::ring::*;
use uringbridge::prep;
use uringbridge::ring::delivery::urb_completion;

static SIGNALS: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::Relaxed);
}

fn start_storm() {
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as extern "C" fn(i32) as usize;
        sa.sa_flags = 0; // no SA_RESTART: interrupted system calls fail with EINTR
        libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut());
        let every = libc::timeval {
            tv_sec: 0,
            tv_usec: 50,
        };
        let t = libc::itimerval {
            it_interval: every,
            it_value: every,
        };
        libc::setitimer(libc::ITIMER_REAL, &t, std::ptr::null_mut());
    }
}

fn stop_storm() {
    unsafe {
        let zero: libc::itimerval = std::mem::zeroed();
        libc::setitimer(libc::ITIMER_REAL, &zero, std::ptr::null_mut());
    }
}

#[test]
fn no_eintr_reaches_a_caller() {
    engine();
    start_storm();
    let deadline = Instant::now() + Duration::from_secs(3);

    // Blocking face: sleeps, timeouts, reads that wait for a slow writer.
    let blocking = std::thread::spawn(move || {
        let mut rounds = 0;
        while Instant::now() < deadline {
            assert_eq!(urb_sleep_ns(2_000_000), 0);
            let (rd, wr) = pipe();
            let writer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(3));
                write_all(wr, b"late");
                wr
            });
            let mut buf = [0u8; 4];
            assert_eq!(urb_read(rd, buf.as_mut_ptr().cast(), 4, 0), 4);
            assert_eq!(&buf, b"late");
            let wr = writer.join().unwrap();
            let op = prep::read(rd, buf.as_mut_ptr().cast(), 4, 0);
            assert_eq!(urb_submit_blocking_timeout(&op, 3_000_000), -libc::ETIME);
            close(rd);
            close(wr);
            rounds += 1;
        }
        rounds
    });

    // Async face: a ring waited on with urb_ring_wait through the storm.
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut ring), 0);
    let mut done = 0u64;
    let mut token = 0u64;
    let mut out = [urb_completion::default(); 64];
    while Instant::now() < deadline {
        for _ in 0..16 {
            assert_eq!(urb_ring_submit(ring, &prep::timeout(200_000), token), 0);
            token += 1;
        }
        let mut got = 0;
        while got < 16 {
            let n = urb_ring_wait(ring, out.as_mut_ptr(), 64, 16 - got, 5_000_000_000);
            assert!(n > 0, "wait gave {n}");
            for c in &out[..n as usize] {
                assert_eq!(c.res, 0, "sleep completion for token {}", c.token);
            }
            got += n as u32;
        }
        done += 16;
    }
    urb_ring_free(ring);
    let rounds = blocking.join().unwrap();
    stop_storm();
    let signals = SIGNALS.load(Ordering::Relaxed);
    eprintln!("signal storm: {signals} signals, {rounds} blocking rounds, {done} ring sleeps");
    assert!(
        signals > 1000,
        "the storm was too weak to mean anything: {signals}"
    );
    assert!(rounds > 10 && done > 100);
}
