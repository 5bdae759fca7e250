//! A ring whose owner thread can no longer work says so: the requests it
//! held complete (with the error, or their real result), waits return,
//! later submissions are refused, `urb_ring_stats` reports the error, and
//! freeing the ring does not hang. Failures are injected through a test hook.

mod common;

use common::*;
use std::time::{Duration, Instant};
use uringbridge::ffi::ring::*;
use uringbridge::prep;
use uringbridge::ring::delivery::urb_completion;
use uringbridge::ring::stats::urb_stats;
use uringbridge::ring::OwnerFault;

fn sleep_op(ns: u64) -> uringbridge::urb_op {
    prep::timeout(ns)
}

/// Waits up to 10 s for `n` completions; returns what came.
fn collect(ring: *mut urb_ring, n: usize) -> Vec<urb_completion> {
    let mut got = Vec::new();
    let mut buf = [urb_completion::default(); 16];
    let deadline = Instant::now() + Duration::from_secs(10);
    while got.len() < n && Instant::now() < deadline {
        let k = urb_ring_wait(ring, buf.as_mut_ptr(), 16, 1, 200_000_000);
        assert!(k >= 0, "wait: {k}");
        got.extend_from_slice(&buf[..k as usize]);
    }
    got
}

fn fail_with(fault: OwnerFault, expected: i32, label: &str) {
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut ring), 0);
    let (rd, wr) = pipe();
    let mut buf = Box::new([0u8; 8]);
    assert_eq!(
        urb_ring_submit(ring, &prep::read(rd, buf.as_mut_ptr().cast(), 8, 0), 1),
        0
    );
    assert_eq!(urb_ring_submit(ring, &sleep_op(60_000_000_000), 2), 0);
    std::thread::sleep(Duration::from_millis(20)); // both in the owner's hands
    inject_owner_fault(ring, fault);

    let got = collect(ring, 2);
    let mut tokens: Vec<u64> = got.iter().map(|c| c.token).collect();
    tokens.sort();
    let engine = engine();
    if engine == "io_uring" {
        assert_eq!(
            tokens,
            vec![1, 2],
            "{label}: each held request completes once: {got:?}"
        );
        for c in &got {
            assert!(
                c.res == expected || c.res == -libc::ECANCELED,
                "{label}: {c:?}"
            );
        }
    } else {
        // The fallback owner's requests in hand are lost with it (see the
        // header); what matters here is that nothing hangs.
        assert!(
            tokens.iter().all(|t| [1, 2].contains(t)),
            "{label}: {got:?}"
        );
    }
    let mut s = urb_stats::default();
    assert_eq!(
        urb_ring_stats(ring, &mut s),
        expected,
        "{label}: stats report the failure"
    );
    if engine == "io_uring" {
        assert_eq!(s.in_flight, 0, "{label}");
    }
    // Later submissions are refused with the error, whatever the call.
    assert_eq!(urb_ring_submit(ring, &prep::nop(), 3), expected, "{label}");
    let mut res = 0;
    assert_eq!(
        urb_ring_submit_try(ring, &prep::nop(), 4, &mut res),
        expected,
        "{label}"
    );
    let ops = [prep::nop(), prep::nop()];
    assert_eq!(
        urb_ring_submit_batch(ring, ops.as_ptr(), 2, [5u64, 6].as_ptr()),
        expected,
        "{label}"
    );
    // A wait does not block for completions that cannot come.
    let start = Instant::now();
    let mut out = [urb_completion::default(); 4];
    assert_eq!(
        urb_ring_wait(ring, out.as_mut_ptr(), 4, 1, URB_WAIT_FOREVER),
        0,
        "{label}"
    );
    assert!(start.elapsed() < Duration::from_secs(5), "{label}");
    let start = Instant::now();
    urb_ring_free(ring);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{label}: free took {:?}",
        start.elapsed()
    );
    drop(buf);
    close(rd);
    close(wr);
}

#[test]
fn a_panicking_owner_fails_its_ring_loudly() {
    fail_with(OwnerFault::Panic, -libc::ENOTRECOVERABLE, "panic");
}

#[test]
fn an_enter_error_fails_the_ring_with_that_errno() {
    if engine() != "io_uring" {
        return; // the fallback owner makes no io_uring_enter
    }
    fail_with(OwnerFault::EnterError(libc::EIO), -libc::EIO, "enter error");
}

unsafe extern "C" fn record(ctx: *mut libc::c_void, token: u64, res: i32, flags: u32) {
    let seen = &*(ctx as *const std::sync::Mutex<Vec<urb_completion>>);
    seen.lock()
        .unwrap()
        .push(urb_completion { token, res, flags });
}

#[test]
fn a_failed_ring_reports_through_its_callback_too() {
    if engine() != "io_uring" {
        return;
    }
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut ring), 0);
    let seen = Box::new(std::sync::Mutex::new(Vec::<urb_completion>::new()));
    assert_eq!(
        urb_ring_set_callback(ring, Some(record), &*seen as *const _ as *mut _),
        0
    );
    let (rd, wr) = pipe();
    let mut buf = [0u8; 8];
    assert_eq!(
        urb_ring_submit(ring, &prep::read(rd, buf.as_mut_ptr().cast(), 8, 0), 7),
        0
    );
    std::thread::sleep(Duration::from_millis(20));
    inject_owner_fault(ring, OwnerFault::Panic);
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].token, 7);
    assert!(
        got[0].res == -libc::ENOTRECOVERABLE || got[0].res == -libc::ECANCELED,
        "{got:?}"
    );
    urb_ring_free(ring);
    close(rd);
    close(wr);
}
