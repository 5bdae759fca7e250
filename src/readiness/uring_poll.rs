//! The readiness face on io_uring poll requests: a persistent registration is
//! a multishot `POLL_ADD`, a one-shot registration a plain one. What a request
//! is for travels in its `user_data` (see `user_data`), so a completion becomes
//! an event without a search.
//!
//! One array index per completion remains: each fd's slot holds the
//! `user_data` of its current registration. It is what makes the semantics
//! epoll's, where a table-free design cannot:
//! - a request dies with the thread that submitted it (the kernel cancels it
//!   when that thread exits, and GHC's OS threads come and go): a current
//!   registration that completes with `-ECANCELED` was not removed by us, so it
//!   is armed again instead of silently lost;
//! - a completion of a replaced or removed registration (already in the CQ
//!   when the change was made) is recognised as stale and dropped;
//! - a registration replaces the fd's previous one, whatever `old_events` says,
//!   as `EPOLL_CTL_MOD` does.

use super::ring_entry::PollerRing;
use super::user_data::{next_generation, Registration, INTERNAL};
use super::{
    check_fd, check_process, events_from_mask, mask_from_events, urb_event, Readiness, URB_EV_ERROR,
};
use crate::engine;
use io_uring::squeue::{Entry, SubmissionQueue};
use io_uring::{cqueue, opcode, types, IoUring};
use parking_lot::Mutex;
use std::mem::ManuallyDrop;
use std::os::fd::AsRawFd;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const SQ_ENTRIES: u32 = 256;
/// Generous, so a burst of readiness rarely goes through the kernel's
/// overflow list (`IORING_FEAT_NODROP` keeps it lossless when it does).
const CQ_ENTRIES: u32 = 4096;

const IORING_ENTER_GETEVENTS: u32 = 1;

pub struct UringPoll {
    ring: ManuallyDrop<IoUring>,
    /// How each thread enters the ring (by its own registered index).
    entry: PollerRing,
    /// The SQ and the per-fd slots. Taken by `modify` from any thread and by
    /// `poll` while it reads completions; never held while waiting.
    registry: Mutex<Registry>,
    /// Held by the one thread reading completions in `poll`.
    cq: Mutex<()>,
    fork_generation: u64,
}

struct Registry {
    /// Indexed by fd.
    slots: Vec<Slot>,
    generation: u32,
    /// Counts `poll` calls, so an fd reported twice in one call is merged.
    poll_stamp: u32,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    /// `user_data` of the fd's armed request; 0: none.
    current: u64,
    reported_in: u32,
    reported_at: u32,
}

/// Whether this kernel has what the io_uring poller needs: multishot poll and
/// `IORING_FEAT_RSRC_TAGS` came in the same release (5.13), timed waits need
/// `IORING_FEAT_EXT_ARG` (5.11), lossless completions `IORING_FEAT_NODROP`.
pub fn supported() -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| build_ring().is_ok())
}

fn build_ring() -> Result<IoUring, i32> {
    let attempt = |cooperative: bool| {
        let mut b = IoUring::builder();
        b.dontfork().setup_cqsize(CQ_ENTRIES);
        if cooperative {
            // Several threads submit, so no SINGLE_ISSUER/DEFER_TASKRUN.
            b.setup_coop_taskrun().setup_submit_all();
        }
        b.build(SQ_ENTRIES)
    };
    let ring = attempt(true)
        .or_else(|_| attempt(false))
        .map_err(|e| -e.raw_os_error().unwrap_or(libc::ENOMEM))?;
    let p = ring.params();
    if !(p.is_feature_resource_tagging() && p.is_feature_ext_arg() && p.is_feature_nodrop()) {
        return Err(-libc::ENOSYS);
    }
    Ok(ring)
}

fn os_err(e: std::io::Error) -> i32 {
    -e.raw_os_error().unwrap_or(libc::EIO)
}

fn poll_add(r: Registration) -> Entry {
    opcode::PollAdd::new(types::Fd(r.fd), mask_from_events(r.events))
        .multi(r.persistent)
        .build()
        .user_data(r.pack())
}

impl UringPoll {
    /// In a child after `fork` the ring's mappings are gone (`MADV_DONTFORK`).
    fn check_process(&self) -> Result<(), i32> {
        check_process(self.fork_generation)
    }

    /// Hands the SQ's published entries to the kernel and, with
    /// `min_complete`, waits (at most `timeout`). The calling thread enters
    /// by its registered index ([`PollerRing`]). `to_submit` must be what is queued
    /// ([`UringPoll::queued`], counted under the registry lock): the kernel
    /// skips the wait when it submits fewer SQEs than `to_submit` says, so a
    /// larger number (the SQ's size, as this once passed) turned every wait
    /// into a busy loop. The count is taken before the enter without holding
    /// the lock across it (a waiting enter must not block `modify_fd`): if
    /// another thread's enter takes some of those SQEs in between, this
    /// enter returns at once, and the caller's next look recounts — one
    /// early return, never a loop.
    fn enter(
        &self,
        to_submit: u32,
        min_complete: u32,
        flags: u32,
        timeout: Option<Duration>,
    ) -> std::io::Result<usize> {
        self.entry.enter(to_submit, min_complete, flags, timeout)
    }

    /// SQEs written but not yet taken by the kernel. Read under the registry
    /// lock, as every SQ access is: the snapshot's drop writes back the tail
    /// it read, which must not undo a concurrent push.
    fn queued(&self) -> u32 {
        let _reg = self.registry.lock();
        // SAFETY: the SQ is only touched under the registry lock, held here.
        let n = unsafe { self.ring.submission_shared() }.len();
        n as u32
    }

    fn submit_queued(&self) -> Result<(), i32> {
        loop {
            match self.enter(self.queued(), 0, 0, None) {
                Ok(_) => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
                // Left in the SQ: the next enter, by `poll` or `modify`, takes them.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY) | Some(libc::EAGAIN)) => {
                    return Ok(())
                }
                Err(e) => return Err(os_err(e)),
            }
        }
    }

    /// Makes room for `n` SQEs. Called with the registry lock held.
    fn reserve(&self, sq: &mut SubmissionQueue<'_>, n: usize) -> Result<(), i32> {
        if sq.capacity() - sq.len() >= n {
            return Ok(());
        }
        sq.sync();
        loop {
            match self.enter(sq.len() as u32, 0, 0, None) {
                Ok(_) => break,
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
                Err(e) => return Err(os_err(e)),
            }
        }
        sq.sync();
        if sq.capacity() - sq.len() >= n {
            Ok(())
        } else {
            Err(-libc::EBUSY)
        }
    }

    /// Replaces `fd`'s registration with `new` (None: removes it).
    fn replace(&self, fd: i32, new: Option<(u32, bool)>) -> Result<(), i32> {
        self.check_process()?;
        {
            let mut reg = self.registry.lock();
            let idx = fd as usize;
            if idx >= reg.slots.len() {
                if new.is_none() {
                    return Ok(());
                }
                let more = idx + 1 - reg.slots.len();
                reg.slots.try_reserve(more).map_err(|_| -libc::ENOMEM)?;
                reg.slots.resize(idx + 1, Slot::default());
            }
            let old = reg.slots[idx].current;
            if old == 0 && new.is_none() {
                return Ok(());
            }
            // SAFETY: the SQ is only touched under the registry lock.
            let mut sq = unsafe { self.ring.submission_shared() };
            self.reserve(&mut sq, (old != 0) as usize + new.is_some() as usize)?;
            if old != 0 {
                let remove = opcode::PollRemove::new(old).build().user_data(INTERNAL);
                // SAFETY: room was reserved; poll SQEs hold no pointers.
                unsafe { sq.push(&remove) }.map_err(|_| -libc::EBUSY)?;
            }
            reg.slots[idx].current = 0;
            if let Some((events, persistent)) = new {
                reg.generation = next_generation(reg.generation);
                let r = Registration {
                    fd,
                    events,
                    persistent,
                    generation: reg.generation,
                };
                // SAFETY: as above.
                unsafe { sq.push(&poll_add(r)) }.map_err(|_| -libc::EBUSY)?;
                reg.slots[idx].current = r.pack();
            }
        }
        // Submitted now, so a `poll` already asleep in the kernel sees it.
        self.submit_queued()
    }

    /// Turns waiting completions into events, at most `out.len()` of them
    /// (the rest stay in the CQ), and queues what must be armed again.
    fn harvest(&self, out: &mut [urb_event]) -> usize {
        let mut reg = self.registry.lock();
        reg.poll_stamp = reg.poll_stamp.wrapping_add(1).max(1);
        let stamp = reg.poll_stamp;
        // SAFETY: completions are read only under the `cq` lock, which the
        // caller holds; the SQ only under the registry lock, held here.
        let (mut cq, mut sq) =
            unsafe { (self.ring.completion_shared(), self.ring.submission_shared()) };
        let mut n = 0;
        while n < out.len() {
            let Some(cqe) = cq.next() else { break };
            let Some(r) = Registration::unpack(cqe.user_data()) else {
                continue;
            };
            let Some(slot) = reg.slots.get_mut(r.fd as usize) else {
                continue;
            };
            if slot.current != cqe.user_data() {
                continue; // replaced or removed since
            }
            let res = cqe.result();
            let ended = !r.persistent || !cqueue::more(cqe.flags());
            let mut events = if res >= 0 {
                events_from_mask(res as u32) & (r.events | URB_EV_ERROR)
            } else {
                0
            };
            if res == -libc::ECANCELED || (r.persistent && ended && res >= 0) {
                // Cancelled because the submitting thread exited, or a
                // multishot poll the kernel ended: the registration stands.
                // SAFETY: a poll SQE carries no pointers.
                let rearmed =
                    self.reserve(&mut sq, 1).is_ok() && unsafe { sq.push(&poll_add(r)) }.is_ok();
                if !rearmed {
                    slot.current = 0;
                    events |= URB_EV_ERROR; // the caller must look at the fd and register again
                }
            } else if ended {
                slot.current = 0;
                if res < 0 {
                    events |= URB_EV_ERROR; // refused by the kernel, e.g. the fd was closed meanwhile
                }
            }
            if events == 0 {
                continue;
            }
            let at = slot.reported_at as usize;
            if slot.reported_in == stamp && at < n && out[at].fd == r.fd {
                out[at].events |= events;
            } else {
                out[n] = urb_event { fd: r.fd, events };
                slot.reported_in = stamp;
                slot.reported_at = n as u32;
                n += 1;
            }
        }
        n
    }

    /// Submits what is queued and waits for completions: not at all for
    /// `Some(ZERO)`, without limit for `None`.
    fn wait(&self, left: Option<Duration>) -> Result<(), i32> {
        let r = match left {
            Some(d) if d.is_zero() => self.enter(self.queued(), 0, IORING_ENTER_GETEVENTS, None),
            Some(d) => self.enter(self.queued(), 1, IORING_ENTER_GETEVENTS, Some(d)),
            None => self.enter(self.queued(), 1, IORING_ENTER_GETEVENTS, None),
        };
        match r {
            Ok(_) => Ok(()),
            // A signal, the deadline, or a CQ to drain first: the caller looks again.
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EINTR | libc::ETIME | libc::EBUSY | libc::EAGAIN)
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(os_err(e)),
        }
    }
}

impl Readiness for UringPoll {
    fn create() -> Result<UringPoll, i32> {
        let ring = build_ring()?;
        Ok(UringPoll {
            entry: PollerRing::new(ring.as_raw_fd()),
            ring: ManuallyDrop::new(ring),
            registry: Mutex::new(Registry {
                slots: Vec::new(),
                generation: 0,
                poll_stamp: 0,
            }),
            cq: Mutex::new(()),
            fork_generation: engine::fork_generation(),
        })
    }

    fn poll(&self, timeout_ms: i32, out: &mut [urb_event]) -> Result<usize, i32> {
        self.check_process()?;
        let _reader = self.cq.lock();
        let deadline =
            (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
        let mut entered = false;
        loop {
            let n = self.harvest(out);
            if n > 0 {
                return Ok(n);
            }
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if entered && left == Some(Duration::ZERO) {
                return Ok(0);
            }
            // Even without waiting, enter once: it flushes the kernel's CQ
            // overflow list and submits re-arms queued by `harvest`.
            self.wait(left)?;
            entered = true;
        }
    }

    fn modify(&self, fd: i32, old_events: u32, new_events: u32) -> Result<(), i32> {
        check_fd(fd, old_events | new_events)?;
        self.replace(fd, (new_events != 0).then_some((new_events, true)))
    }

    fn modify_once(&self, fd: i32, events: u32) -> Result<(), i32> {
        check_fd(fd, events)?;
        if events == 0 {
            return Err(-libc::EINVAL);
        }
        self.replace(fd, Some((events, false)))
    }
}

impl UringPoll {
    /// Removes every poll request, so that a ring still held in other
    /// threads' tables after `destroy` references no user file.
    fn remove_all(&self) {
        let mut reg = self.registry.lock();
        // SAFETY: the SQ is only touched under the registry lock, held here.
        let mut sq = unsafe { self.ring.submission_shared() };
        for slot in reg.slots.iter_mut().filter(|s| s.current != 0) {
            if self.reserve(&mut sq, 1).is_err() {
                break;
            }
            let remove = opcode::PollRemove::new(slot.current)
                .build()
                .user_data(INTERNAL);
            // SAFETY: room was reserved; poll SQEs hold no pointers.
            if unsafe { sq.push(&remove) }.is_err() {
                break;
            }
            slot.current = 0;
        }
        sq.sync();
        let queued = sq.len() as u32;
        drop(sq);
        let _ = self.enter(queued, 0, 0, None);
    }
}

impl Drop for UringPoll {
    fn drop(&mut self) {
        let here = self.fork_generation == engine::fork_generation();
        if here && self.entry.held_elsewhere() {
            self.remove_all();
        }
        if here {
            self.entry.retire();
        }
        // SAFETY: the ring is not used after this.
        let ring = unsafe { ManuallyDrop::take(&mut self.ring) };
        if !self.entry.number_is_still_ours() {
            // A stray close gave the number to someone else: closing it
            // would close their file. The ring's memory stays mapped (the
            // crate frees it only with the close) until the process exits.
            std::mem::forget(ring);
            return;
        }
        if !here {
            // Inherited from the parent: its mappings are not ours to unmap
            // (the addresses may hold something else in this process); close
            // only our copy of the fd.
            let fd = ring.as_raw_fd();
            std::mem::forget(ring);
            // SAFETY: our copy of the ring fd, closed once.
            unsafe { libc::close(fd) };
        }
        // Otherwise dropping the ring closes it; the kernel cancels the polls.
    }
}
