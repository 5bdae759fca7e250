//! Counters that make batching visible: compare `enters` with `submitted`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A snapshot of a ring's counters since it was created.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct urb_stats {
    /// Requests accepted by `urb_ring_submit*` (a chain counts each request).
    pub submitted: u64,
    /// Completions delivered (a multishot request delivers several).
    pub completions: u64,
    /// `io_uring_enter` calls made by the owner thread (fallback: wake-ups).
    pub enters: u64,
    /// Times the owner found the submission queue full and had to flush it.
    pub sq_full_waits: u64,
    /// Times the kernel reported a completion-queue overflow (nothing lost:
    /// the overflow is drained).
    pub cq_overflows: u64,
    /// Cancellations requested with `urb_ring_cancel`.
    pub cancels: u64,
    /// Times a submitter had to wake a sleeping owner thread.
    pub wakeups: u64,
    /// Requests in flight at the moment of the snapshot.
    pub in_flight: u64,
}

#[derive(Default)]
pub struct Stats {
    pub submitted: AtomicU64,
    pub completions: AtomicU64,
    pub enters: AtomicU64,
    pub sq_full_waits: AtomicU64,
    pub cq_overflows: AtomicU64,
    pub cancels: AtomicU64,
    pub wakeups: AtomicU64,
    pub in_flight: AtomicU64,
}

impl Stats {
    pub fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Relaxed);
    }

    pub fn snapshot(&self) -> urb_stats {
        urb_stats {
            submitted: self.submitted.load(Relaxed),
            completions: self.completions.load(Relaxed),
            enters: self.enters.load(Relaxed),
            sq_full_waits: self.sq_full_waits.load(Relaxed),
            cq_overflows: self.cq_overflows.load(Relaxed),
            cancels: self.cancels.load(Relaxed),
            wakeups: self.wakeups.load(Relaxed),
            in_flight: self.in_flight.load(Relaxed),
        }
    }
}
