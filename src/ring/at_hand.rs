//! The requests of a batch whose result is at hand (NOPs, reads of cached
//! file data), finished on the submitting thread: each is encoded straight
//! into the thread's own ring, and one `io_uring_enter` per 64 submits them
//! and collects their results. Nothing is left in flight when this returns,
//! so the thread may exit at once. A single request takes the blocking
//! face's path instead (`blocking::try_at_hand`: a plain `preadv2` for a
//! read), which costs less for one.

use crate::engine::{self, Engine};
use crate::op::{self, ValidOp};
use crate::ops::{Finish, Tried};
use crate::sys::descriptor::buffered;
use crate::uring::encode::{encode, SqeArgs};
use crate::uring::thread_ring::{with_ring, BATCH_MAX};
use io_uring::squeue::Entry;
use std::mem::MaybeUninit;

/// `results[i]` of a request that was not finished here: the ring takes it.
pub const PENDING: i32 = i32::MIN;

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
    let spec = v.code.spec();
    match spec.tried {
        Tried::Always if spec.finish == Finish::AsIs => Some(How::AsIs),
        Tried::Always => Some(How::Finished),
        // A read is tried as the blocking face tries it (see
        // `blocking::try_at_hand`): at an explicit offset, without the
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
        How::ReadNowait => crate::blocking::taken_read(v, res).unwrap_or(PENDING),
    }
}

/// Finishes here what `ops` holds at hand: `results[i]` becomes request
/// i's result, or stays [`PENDING`] for a request the ring must take
/// (`results` comes filled with [`PENDING`]). Only on the io_uring engine,
/// and only where the thread can have a ring; otherwise everything stays
/// for the ring.
pub fn try_batch(ops: &[ValidOp], results: &mut [i32]) {
    debug_assert_eq!(ops.len(), results.len());
    if engine::engine() != Engine::IoUring {
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
        let ran = with_ring(n as u32, |ring| {
            ring.run_batch(
                n,
                |k| {
                    let (i, how) = picked[k];
                    entry(&ops[i], how)
                },
                |k, res| {
                    let (i, how) = picked[k];
                    results[i] = outcome(&ops[i], how, res);
                },
            )
        });
        if ran.is_none() {
            return; // no ring on this thread: the owner does it all
        }
    }
}
