//! Reproducers for what the coverage-guided fuzzers (fuzz/) found, one test
//! per finding, each named after what must hold. The inputs that found them
//! are in the fuzz targets' seed corpora.

mod common;

use common::*;
use uringbridge::ffi::ring::*;
use uringbridge::op::urb_op;
use uringbridge::ring::config::urb_ring_config;
use uringbridge::ring::delivery::urb_completion;

fn ring_with_entries(entries: u32) -> *mut urb_ring {
    let cfg = urb_ring_config {
        entries,
        ..Default::default()
    };
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(&cfg, &mut ring), 0);
    ring
}

/// fuzz/ring_calls, corpus entry `timeout-on-one-entry-ring`: on a ring of
/// one SQ entry, a request with a timeout (the request plus its
/// LINK_TIMEOUT: two SQEs) never completed, not even after a cancel.
#[test]
fn a_timed_request_completes_on_a_ring_of_one_entry() {
    engine();
    let ring = ring_with_entries(1);
    let nop = urb_op::zeroed();
    let rc = urb_ring_submit_timeout(ring, &nop, 7, 1_000_000);
    if rc == 0 {
        let mut out = [urb_completion::default(); 1];
        let mut n = urb_ring_wait(ring, out.as_mut_ptr(), 1, 1, 2_000_000_000);
        if n == 0 {
            urb_ring_cancel(ring, 7);
            n = urb_ring_wait(ring, out.as_mut_ptr(), 1, 1, 2_000_000_000);
        }
        assert_eq!(n, 1, "the timed NOP never completed (nor after a cancel)");
        assert_eq!((out[0].token, out[0].res), (7, 0));
    } else {
        // Refusing it up front is also an answer: it must be an errno.
        assert!(rc < 0 && rc > -4096, "urb_ring_submit_timeout gave {rc}");
    }
    urb_ring_free(ring);
}
