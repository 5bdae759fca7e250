//! A million requests through a ring whose CQ holds 8, from submitters far
//! faster than the owner drains: back-pressure, no drop, no duplicate, no
//! deadlock. The requests are polls of an always-readable eventfd: the
//! owner thread serves them (a NOP would finish on the submitter).

mod common;

use common::*;
use std::sync::Arc;
use uringbridge::ffi::ring::*;
use uringbridge::prep;
use uringbridge::ring::config::urb_ring_config;
use uringbridge::ring::delivery::urb_completion;
use uringbridge::ring::stats::urb_stats;

struct SharedRing(*mut urb_ring);
unsafe impl Send for SharedRing {}
unsafe impl Sync for SharedRing {}

#[test]
fn a_million_requests_through_an_eight_entry_cq() {
    engine();
    let cfg = urb_ring_config {
        entries: 8,
        cq_entries: 8,
        ..Default::default()
    };
    let mut r = std::ptr::null_mut();
    assert_eq!(urb_ring_new(&cfg, &mut r), 0);
    let ring = Arc::new(SharedRing(r));
    // SAFETY: plain syscall; the eventfd stays readable (count 1) throughout.
    let ready = unsafe { libc::eventfd(1, libc::EFD_CLOEXEC) };
    assert!(ready >= 0);
    const TOTAL: u64 = 1_000_000;
    const THREADS: u64 = 4;
    const BATCH: u64 = 50; // divides TOTAL / THREADS
    let submitters: Vec<_> = (0..THREADS)
        .map(|t| {
            let ring = ring.clone();
            std::thread::spawn(move || {
                let ops = vec![prep::poll(ready, libc::POLLIN as u32); BATCH as usize];
                let mut tokens = vec![0u64; BATCH as usize];
                let mut next = t * (TOTAL / THREADS);
                let end = next + TOTAL / THREADS;
                while next < end {
                    for (i, tok) in tokens.iter_mut().enumerate() {
                        *tok = next + i as u64;
                    }
                    assert_eq!(
                        urb_ring_submit_batch(
                            ring.0,
                            ops.as_ptr(),
                            BATCH as usize,
                            tokens.as_ptr()
                        ),
                        0
                    );
                    next += BATCH;
                }
            })
        })
        .collect();
    let mut seen = vec![false; TOTAL as usize];
    let mut got = 0u64;
    let mut out = vec![urb_completion::default(); 4096];
    while got < TOTAL {
        let n = urb_ring_wait(ring.0, out.as_mut_ptr(), 4096, 1, 10_000_000_000);
        assert!(n > 0, "stalled after {got} completions");
        for c in &out[..n as usize] {
            assert_eq!(c.res, libc::POLLIN as i32);
            assert!(
                !std::mem::replace(&mut seen[c.token as usize], true),
                "token {} twice",
                c.token
            );
        }
        got += n as u64;
    }
    for s in submitters {
        s.join().unwrap();
    }
    let mut st = urb_stats::default();
    assert_eq!(urb_ring_stats(ring.0, &mut st), 0);
    eprintln!(
        "burst: {} requests, {} enters, {} CQ overflows seen, {} SQ-full flushes",
        st.submitted, st.enters, st.cq_overflows, st.sq_full_waits
    );
    assert_eq!(
        (st.submitted, st.completions, st.in_flight),
        (TOTAL, TOTAL, 0)
    );
    assert!(st.enters > 0, "the owner thread served the requests");
    urb_ring_free(ring.0);
    close(ready);
}
