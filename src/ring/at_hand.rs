//! The requests of a batch whose result is at hand (NOPs, reads of cached
//! file data), finished on the submitting thread: each is encoded straight
//! into the thread's own ring, and one `io_uring_enter` per 64 submits them
//! and collects their results. Nothing is left in flight when this returns,
//! so the thread may exit at once. A single request takes the blocking
//! face's path instead (`tryfirst::try_at_hand`: a plain `preadv2` for a
//! read), which costs less for one.
//!
//! A batch of up to 64 ([`Small`]) is validated, tried and encoded in one
//! pass: each request goes from the caller's `urb_op` straight into the
//! SQ, with no `ValidOp` kept for what needs none afterwards (a NOP); a
//! refusal anywhere leaves the SQ tail unpublished, so nothing runs.

use crate::engine::{self, Engine};
use crate::op::{self, urb_op, ValidOp};
use crate::ops::{Finish, Tried};
use crate::sys::descriptor::buffered;
use crate::uring::encode::{encode, SqeArgs};
use crate::uring::thread_ring::{with_ring, StagedBatch, Staging, BATCH_MAX};
use io_uring::squeue::Entry;
use std::mem::MaybeUninit;

/// The longest batch [`Small`] takes.
pub(crate) const SMALL: usize = BATCH_MAX;

/// `results[i]` of a request that was not finished here: the ring takes it.
pub(crate) const PENDING: i32 = i32::MIN;

/// How a request is tried here.
#[derive(Clone, Copy)]
enum How {
    /// As it is, its result as the kernel gives it (a NOP).
    AsIs,
    /// As it is, its result through `ValidOp::finish`.
    Finished,
    /// A read, with `RWF_NOWAIT`: taken only if it is the waiting read's
    /// result too.
    ReadNowait,
}

/// Whether `v` is tried here, and if so how.
fn tried(v: &ValidOp) -> Option<How> {
    if v.fixed_file() {
        // A registered file's `fd` is an index: only the ring can use it.
        return None;
    }
    let spec = v.code.spec();
    match spec.tried {
        Tried::Always if spec.finish == Finish::AsIs => Some(How::AsIs),
        Tried::Always => Some(How::Finished),
        // A read is tried as the blocking face tries it (see
        // `tryfirst::try_at_hand`): at an explicit offset, without the
        // caller's own RWF_NOWAIT (which asks for -EAGAIN as the answer),
        // never O_DIRECT (its non-waiting reads still wait for the device).
        Tried::PositionalRead
            if v.raw.offset != op::URB_OFFSET_CURRENT
                && v.raw.op_flags & libc::RWF_NOWAIT as u32 == 0
                && buffered(v.raw.fd) =>
        {
            Some(How::ReadNowait)
        }
        Tried::PositionalRead | Tried::Stream | Tried::Accept | Tried::Never => None,
    }
}

// Inlined, so that the SQE is built in the SQ slot itself: built by an
// out-of-line call it lands in a temporary whose copy stalls (see `encode`).
#[inline(always)]
fn entry(v: &ValidOp, how: How) -> Entry {
    // Only sleeps use the scratch, and they are never tried.
    let mut args = SqeArgs::default();
    match how {
        How::ReadNowait => {
            let mut nowait = *v;
            nowait.raw.op_flags |= libc::RWF_NOWAIT as u32;
            encode(&nowait, &mut args)
        }
        How::AsIs | How::Finished => encode(v, &mut args),
    }
}

/// The caller's result for a request tried here, or [`PENDING`] when it
/// must go to the ring after all (it would have waited, or a file gave only
/// part of the range).
fn outcome(v: &ValidOp, how: How, res: i32) -> i32 {
    match how {
        How::AsIs => res,
        How::Finished => v.finish(res),
        How::ReadNowait => crate::tryfirst::taken_read(v, res).unwrap_or(PENDING),
    }
}

/// A batch of at most [`BATCH_MAX`] requests, validated, tried and
/// encoded in one pass (see the module notes). After
/// `ThreadRing::run_staged`: `results[i]` is request i's result, or
/// [`PENDING`] for the requests [`Small::handed_over`] lists.
pub struct Small<'a, A: Fn(&ValidOp) -> Result<(), i32>> {
    ops: &'a [urb_op],
    admit: A,
    results: [i32; BATCH_MAX],
    /// The requests that keep their `ValidOp`: those not tried (for the
    /// ring), and tried ones whose result needs it (a read may still go to
    /// the ring). Only the first `kept_len` are written.
    kept: [MaybeUninit<(usize, ValidOp)>; BATCH_MAX],
    kept_len: usize,
    /// Per request pushed: its index, how it was tried, its `kept` slot.
    picked: [MaybeUninit<(usize, How, usize)>; BATCH_MAX],
}

impl<'a, A: Fn(&ValidOp) -> Result<(), i32>> Small<'a, A> {
    /// `admit`: the ring's own refusals of a valid request.
    pub fn new(ops: &'a [urb_op], admit: A) -> Self {
        assert!(ops.len() <= BATCH_MAX);
        Small {
            ops,
            admit,
            results: [PENDING; BATCH_MAX],
            kept: [const { MaybeUninit::uninit() }; BATCH_MAX],
            kept_len: 0,
            picked: [const { MaybeUninit::uninit() }; BATCH_MAX],
        }
    }

    fn keep(&mut self, i: usize, v: ValidOp) -> usize {
        self.kept[self.kept_len].write((i, v));
        self.kept_len += 1;
        self.kept_len - 1
    }

    /// Request i's result, or [`PENDING`] for one the ring must take.
    pub fn results(&self) -> &[i32] {
        &self.results[..self.ops.len()]
    }

    /// The requests the ring must take (with their index in the batch).
    pub fn handed_over(&self) -> impl Iterator<Item = &(usize, ValidOp)> {
        // SAFETY: the first kept_len slots were written by `keep`.
        let kept = unsafe {
            std::slice::from_raw_parts(self.kept.as_ptr().cast::<(usize, ValidOp)>(), self.kept_len)
        };
        kept.iter().filter(|(i, _)| self.results[*i] == PENDING)
    }
}

impl<A: Fn(&ValidOp) -> Result<(), i32>> StagedBatch for Small<'_, A> {
    fn stage(&mut self, sq: &mut Staging<'_>) -> Result<(), i32> {
        for (i, o) in self.ops.iter().enumerate() {
            // SAFETY: the caller's request; the header makes its pointers
            // the caller's promise.
            let v = unsafe { op::validate_on_ring(o) }?;
            (self.admit)(&v)?;
            let Some(how) = tried(&v) else {
                self.keep(i, v);
                continue;
            };
            // SAFETY: the request's memory is the caller's until its
            // completion, which run_staged waits for.
            let k = unsafe { sq.push(entry(&v, how)) };
            let slot = match how {
                How::AsIs => 0,
                How::Finished | How::ReadNowait => self.keep(i, v),
            };
            self.picked[k].write((i, how, slot));
        }
        Ok(())
    }

    fn done(&mut self, k: usize, res: i32) {
        // SAFETY: k is a request pushed by `stage`, which wrote its entry.
        let (i, how, slot) = unsafe { self.picked[k].assume_init() };
        self.results[i] = match how {
            How::AsIs => res,
            How::Finished | How::ReadNowait => {
                // SAFETY: `stage` kept the request at `slot`.
                let v = unsafe { &self.kept[slot].assume_init_ref().1 };
                outcome(v, how, res)
            }
        };
    }
}

/// Whether a batch may be finished here at all: only on the io_uring
/// engine (the thread's ring is its).
pub fn available() -> bool {
    engine::engine() == Engine::IoUring
}

/// The requests of `ops` tried here (at most [`BATCH_MAX`] per enter),
/// after a batch was validated as a whole: larger batches, or what
/// [`Small`] could not take.
struct Picked<'a> {
    ops: &'a [ValidOp],
    results: &'a mut [i32],
    picked: &'a [(usize, How)],
}

impl StagedBatch for Picked<'_> {
    fn stage(&mut self, sq: &mut Staging<'_>) -> Result<(), i32> {
        for &(i, how) in self.picked {
            // SAFETY: as in `Small::stage`.
            unsafe { sq.push(entry(&self.ops[i], how)) };
        }
        Ok(())
    }

    fn done(&mut self, k: usize, res: i32) {
        let (i, how) = self.picked[k];
        self.results[i] = outcome(&self.ops[i], how, res);
    }
}

/// Finishes here what `ops` holds at hand: `results[i]` becomes request
/// i's result, or stays [`PENDING`] for a request the ring must take
/// (`results` comes filled with [`PENDING`]). Only on the io_uring engine,
/// and only where the thread can have a ring; otherwise everything stays
/// for the ring.
pub fn try_batch(ops: &[ValidOp], results: &mut [i32]) {
    debug_assert_eq!(ops.len(), results.len());
    if !available() {
        return;
    }
    // Only the first `n` are ever read, each written first: not zeroed
    // (1 KiB of stores per batch, which perf showed).
    let mut picked = [const { MaybeUninit::<(usize, How)>::uninit() }; BATCH_MAX];
    let mut start = 0;
    while start < ops.len() {
        let mut n = 0;
        let mut i = start;
        while i < ops.len() && n < BATCH_MAX {
            if let Some(how) = tried(&ops[i]) {
                picked[n].write((i, how));
                n += 1;
            }
            i += 1;
        }
        start = i;
        if n == 0 {
            continue;
        }
        // SAFETY: the first n were written above; (usize, How) is Copy.
        let picked =
            unsafe { std::slice::from_raw_parts(picked.as_ptr().cast::<(usize, How)>(), n) };
        let mut batch = Picked {
            ops,
            results: &mut *results,
            picked,
        };
        if with_ring(n as u32, |ring| ring.run_staged(n, &mut batch)).is_none() {
            return; // no ring on this thread: the owner does it all
        }
    }
}
