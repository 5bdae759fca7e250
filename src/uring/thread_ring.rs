//! The calling thread's own rings behind the blocking face: created on the
//! thread's first request of each kind, used only by that thread, freed
//! when it exits. Two kinds (`probe::TaskWork`): requests that complete
//! inside the enter or through the kernel's poll machinery run on a ring
//! that defers task work (the cheaper one); requests the kernel runs in
//! one of its workers run on one whose task work is prompt, so the files
//! they hold are let go before the call returns (see `TaskWork::Prompt`).
//!
//! Invariant: between two calls nothing is in flight. Every call waits for
//! all the CQEs its SQEs produce, so a thread that exits, and a child after
//! `fork`, never leave a request behind that could write into freed memory.

use crate::engine;
use crate::op::ValidOp;
use crate::uring::probe::{build_ring, TaskWork};
use crate::uring::registered::RegisteredRing;
use io_uring::{cqueue, opcode, squeue::Entry, types};
use std::cell::RefCell;

const INITIAL_ENTRIES: u32 = 32;

/// The most requests [`ThreadRing::run_staged`] takes at once.
pub(crate) const BATCH_MAX: usize = 64;

/// `user_data` of the library's own cancel requests; request ids count up
/// from 0 and never reach it.
const CANCEL_USER_DATA: u64 = u64::MAX;

pub struct ThreadRing {
    /// Entered by its registered index: a program's stray close of the
    /// ring's number cannot make this thread enter something else.
    ring: RegisteredRing,
    fork_generation: u64,
    next_id: u64,
    in_flight: usize,
    /// io_uring_enter failed in a way retrying cannot fix: replace the ring.
    broken: bool,
}

thread_local! {
    static DEFERRED: RefCell<Option<ThreadRing>> = const { RefCell::new(None) };
    static PROMPT: RefCell<Option<ThreadRing>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread's ring for requests that complete inside the
/// enter or through poll (NOPs, reads and writes, sockets, the tries),
/// with room for `sqes` entries. `None` when no ring can serve the call
/// (creation refused, a nested call from a signal handler or callback,
/// thread teardown): the caller uses the fallback engine.
pub fn with_ring<R>(sqes: u32, f: impl FnOnce(&mut ThreadRing) -> R) -> Option<R> {
    with_ring_for(TaskWork::Deferred, sqes, f)
}

/// The thread ring for `ops` (one request, or a chain): the prompt one if
/// any of them may run in a kernel worker.
pub fn task_work(ops: &[ValidOp]) -> TaskWork {
    match ops
        .iter()
        .any(|v| v.code.spec().may_run_in_kernel_worker(v.raw.fd))
    {
        true => TaskWork::Prompt,
        false => TaskWork::Deferred,
    }
}

/// [`with_ring`] on the ring of `work`'s kind: `TaskWork::Prompt` for
/// requests the kernel may run in a worker
/// (`OpSpec::may_run_in_kernel_worker`).
pub fn with_ring_for<R>(
    work: TaskWork,
    sqes: u32,
    f: impl FnOnce(&mut ThreadRing) -> R,
) -> Option<R> {
    let ring = match work {
        TaskWork::Deferred => &DEFERRED,
        TaskWork::Prompt => &PROMPT,
    };
    ring.try_with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if let Some(r) = slot.as_ref() {
            if r.fork_generation != engine::fork_generation() {
                // Inherited from the parent: its mappings are gone (dontfork)
                // and its requests are the parent's. Close only our fd copy.
                let stale = std::mem::ManuallyDrop::new(slot.take().unwrap());
                // SAFETY: the ring is moved out once and `stale` (forgotten)
                // is never used again, so no drain runs on the parent's ring.
                unsafe { std::ptr::read(&stale.ring) }.forget_in_child();
            }
        }
        let unfit = slot
            .as_ref()
            .is_some_and(|r| r.broken || r.ring.ring().params().sq_entries() < sqes);
        if slot.is_none() || unfit {
            *slot = None;
            *slot = Some(ThreadRing::new(
                sqes.max(INITIAL_ENTRIES).next_power_of_two(),
                work,
            )?);
        }
        Some(f(slot.as_mut().unwrap()))
    })
    .ok()
    .flatten()
}

/// A batch [`ThreadRing::run_staged`] runs.
pub trait StagedBatch {
    /// Writes the batch's requests with [`Staging::push`], or refuses the
    /// whole batch (nothing is submitted, the error is the answer).
    fn stage(&mut self, sq: &mut Staging<'_>) -> Result<(), i32>;
    /// Request k's (the k-th pushed) result.
    fn done(&mut self, k: usize, res: i32);
}

/// The SQ while a batch is staged: what is pushed reaches the kernel only
/// if the whole batch is accepted.
pub struct Staging<'a> {
    sq: io_uring::squeue::SubmissionQueue<'a, Entry>,
    base: u64,
    count: usize,
    max: usize,
}

impl Staging<'_> {
    /// Writes `e` into the SQ as the next request of the batch; returns its
    /// number k (what `done` is called with).
    ///
    /// # Safety
    /// The memory `e` points to must stay valid until the batch has run
    /// (`run_staged` waits for every completion before it returns).
    pub unsafe fn push(&mut self, e: Entry) -> usize {
        assert!(
            self.count < self.max,
            "a staged batch holds at most its max"
        );
        let k = self.count;
        // SAFETY: the caller's promise for the memory; the ring has room
        // (sized for `max`, empty between calls).
        unsafe { self.sq.push(&e.user_data(self.base + k as u64)) }
            .expect("ring sized for the batch");
        self.count += 1;
        k
    }
}

impl ThreadRing {
    fn new(entries: u32, work: TaskWork) -> Option<ThreadRing> {
        let probe = engine::selection().probe.as_ref()?;
        let ring = build_ring(probe.single_thread_setup, entries, work).ok()?;
        Some(ThreadRing {
            ring: RegisteredRing::new(ring),
            fork_generation: engine::fork_generation(),
            next_id: 0,
            in_flight: 0,
            broken: false,
        })
    }

    /// Submits what is queued and waits for at least one CQE; interruptions
    /// are retried by the caller's loop. Err: the ring is unusable.
    fn submit_and_wait_one(&mut self) -> Result<(), i32> {
        retryable(self.ring.submit_and_wait(1))
    }

    /// Cancels and reaps what is left, and marks the ring for replacement.
    fn give_up(&mut self) {
        self.cancel_all_and_drain();
        self.broken = true;
    }

    /// The common case, kept lean: one single-shot request, its result.
    pub fn run_one(&mut self, entry: Entry) -> i32 {
        let id = self.next_id;
        self.next_id += 1;
        // SAFETY: as in `run`: the caller's memory outlives this call.
        unsafe {
            self.ring
                .ring_mut()
                .submission()
                .push(&entry.user_data(id))
                .expect("an empty ring has room")
        };
        self.in_flight += 1;
        loop {
            if let Err(e) = self.submit_and_wait_one() {
                self.give_up();
                return e;
            }
            // CQEs of earlier calls' cancels are skipped: ids never repeat.
            for cqe in self.ring.ring_mut().completion() {
                if cqe.user_data() == id {
                    self.in_flight -= 1;
                    return cqe.result();
                }
            }
        }
    }

    /// Independent single-shot requests, at most `max` (≤ [`BATCH_MAX`]),
    /// that `batch.stage` writes straight into the SQ — or refuses, and
    /// then nothing reaches the kernel (the SQ tail is published only after
    /// staging). One `io_uring_enter` submits them all and waits for all
    /// their CQEs (more only if some had to wait); `batch.done(k, res)`
    /// receives request k's result, in completion order. For the batches
    /// that finish on the caller (NOPs, non-waiting reads): what they cost
    /// per request beside raw liburing is this and the kernel's work.
    pub fn run_staged(&mut self, max: usize, batch: &mut impl StagedBatch) -> Result<(), i32> {
        assert!(max <= BATCH_MAX && max as u32 <= self.ring.ring().params().sq_entries());
        let base = self.next_id;
        let mut staging = Staging {
            sq: self.ring.ring_mut().submission(),
            base,
            count: 0,
            max,
        };
        if let Err(e) = batch.stage(&mut staging) {
            // Dropping the queue would publish the tail: forgotten, the
            // entries written past it are never seen by the kernel.
            std::mem::forget(staging.sq);
            return Err(e);
        }
        let n = staging.count;
        drop(staging);
        self.next_id += n as u64;
        self.in_flight += n;
        let mut pending: u64 = if n == 64 { !0 } else { (1 << n) - 1 };
        while pending != 0 {
            if let Err(err) = retryable(self.ring.submit_and_wait(pending.count_ones())) {
                while pending != 0 {
                    let k = pending.trailing_zeros();
                    pending &= pending - 1;
                    batch.done(k as usize, err);
                }
                self.give_up();
                return Ok(());
            }
            let waiting = pending.count_ones() as usize;
            for cqe in self.ring.ring_mut().completion() {
                let k = cqe.user_data().wrapping_sub(base);
                // Other ids: CQEs of earlier calls' cancels.
                if k < n as u64 && pending & (1 << k) != 0 {
                    debug_assert!(!cqueue::more(cqe.flags()), "single-shot requests only");
                    pending &= !(1 << k);
                    batch.done(k as usize, cqe.result());
                }
            }
            // Counted once per enter, not per CQE (a store per request).
            self.in_flight -= waiting - pending.count_ones() as usize;
        }
        Ok(())
    }

    /// Submits `entries` as one batch (links as the entries' flags say) and
    /// waits until every one of them has posted its final CQE. `results[i]`
    /// receives entry i's result. Multishot requests are cancelled after
    /// their first CQE: the blocking face returns one result per request.
    pub fn run(&mut self, entries: &mut [Entry], results: &mut [i32]) {
        debug_assert_eq!(entries.len(), results.len());
        let n = entries.len();
        results.fill(i32::MIN);
        let base = self.next_id;
        self.next_id += n as u64;
        let mut finished = 0usize;
        let mut done = [false; 64];
        let mut done_heap = Vec::new();
        let done: &mut [bool] = if n <= done.len() {
            &mut done[..n]
        } else {
            done_heap.resize(n, false);
            &mut done_heap
        };
        {
            let mut sq = self.ring.ring_mut().submission();
            for (i, e) in entries.iter_mut().enumerate() {
                e.set_user_data(base + i as u64);
                // SAFETY: the memory each entry points to is the caller's and
                // outlives this call, which waits for every completion.
                unsafe { sq.push(e).expect("ring sized for the batch") };
            }
        }
        self.in_flight += n;
        while finished < n {
            if let Err(err) = self.submit_and_wait_one() {
                for (i, r) in results.iter_mut().enumerate() {
                    if !done[i] {
                        *r = err;
                    }
                }
                self.give_up();
                return;
            }
            let mut cancels: Vec<u64> = Vec::new();
            for cqe in self.ring.ring_mut().completion() {
                let id = cqe.user_data();
                if id < base || id >= base + n as u64 {
                    continue; // our own cancel requests
                }
                let i = (id - base) as usize;
                if done[i] {
                    continue;
                }
                if cqueue::more(cqe.flags()) {
                    if results[i] == i32::MIN {
                        results[i] = cqe.result();
                        cancels.push(id);
                    }
                    continue;
                }
                if results[i] == i32::MIN {
                    results[i] = cqe.result();
                }
                done[i] = true;
                finished += 1;
                self.in_flight -= 1;
            }
            for id in cancels {
                let c = opcode::AsyncCancel::new(id)
                    .build()
                    .user_data(CANCEL_USER_DATA);
                // SAFETY: a cancel carries no pointers.
                while unsafe { self.ring.ring_mut().submission().push(&c) }.is_err() {
                    if self.ring.submit_and_wait(0).is_err() {
                        break; // the next wait reports the ring's failure
                    }
                }
            }
        }
    }

    /// Cancels everything still in flight and waits (boundedly) for it.
    fn cancel_all_and_drain(&mut self) {
        if self.in_flight == 0 {
            return;
        }
        let c = opcode::AsyncCancel2::new(types::CancelBuilder::any())
            .build()
            .user_data(CANCEL_USER_DATA);
        // SAFETY: a cancel carries no pointers.
        while unsafe { self.ring.ring_mut().submission().push(&c) }.is_err() {
            // A full SQ: submit what is there to make room (nothing is lost:
            // those requests' CQEs are counted below like the others).
            if self.ring.submit_and_wait(0).is_err() {
                break;
            }
        }
        for _ in 0..1000 {
            // An error retrying cannot mend (EBADF, EOPNOTSUPP, ...) ends
            // the drain at once: another enter would fail the same way.
            // What is left is cancelled by the kernel when the ring goes.
            if retryable(self.ring.submit_and_wait(1)).is_err() {
                break;
            }
            for cqe in self.ring.ring_mut().completion() {
                if cqe.user_data() != CANCEL_USER_DATA && !cqueue::more(cqe.flags()) {
                    self.in_flight = self.in_flight.saturating_sub(1);
                }
            }
            if self.in_flight == 0 {
                break;
            }
        }
    }
}

/// `Err(-errno)` for an enter error that retrying cannot mend; signals,
/// a full CQ or a busy kernel are retried by the caller's loop.
fn retryable(r: std::io::Result<usize>) -> Result<(), i32> {
    match r {
        Ok(_) => Ok(()),
        Err(e) => match e.raw_os_error() {
            Some(libc::EINTR) | Some(libc::EAGAIN) | Some(libc::EBUSY) => Ok(()),
            other => Err(-other.unwrap_or(libc::EIO)),
        },
    }
}

impl Drop for ThreadRing {
    fn drop(&mut self) {
        // Only reachable with requests in flight if a call unwound midway;
        // the kernel must finish with the caller's buffers before we go.
        self.cancel_all_and_drain();
    }
}
