//! How threads enter the io_uring poller's ring: each by the ring's index in
//! its own registered-ring table, so that a program's stray close(2) of the
//! ring's descriptor number cannot break the poller (the async rings do the
//! same, `uring/registered.rs`).
//!
//! The poller is entered from many threads (GHC's I/O manager: `poll` from
//! one, `modify_fd` from any), and `IORING_REGISTER_RING_FDS` is per thread,
//! so each thread registers the ring the first time it enters it, after
//! checking that the number still names the ring (device and inode); if it
//! no longer does, that thread's calls fail with `-EBADFD` instead of
//! entering a stranger's file or ring. Threads that entered before keep
//! working. A thread whose table is full (16 slots) or a kernel without the
//! table (before 5.18) enters by the number, as before.
//!
//! A slot holds a reference to the ring: a destroyed poller's ring lives on
//! until every thread that registered it has let go. So `destroy` first
//! removes every poll request (none stays armed on a user's file), the
//! destroying thread frees its own slot, and every other thread frees its
//! slot the next time it enters a poller for the first time (or at its
//! exit): the ring's memory, never a user's file, outlives `destroy`.

use crate::uring::registered::{
    identity, register_in_this_thread, unregister_in_this_thread, ENTER_REGISTERED_RING,
};
use parking_lot::Mutex;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// Pollers destroyed while other threads still had them registered: those
/// threads free their slots when they next register a poller.
static RETIRED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

/// This thread's registrations: (poller id, its slot, or None: by number).
struct Entered {
    fork_generation: u64,
    rings: Vec<(u64, Option<u32>)>,
}

thread_local! {
    static ENTERED: RefCell<Entered> = const {
        RefCell::new(Entered { fork_generation: 0, rings: Vec::new() })
    };
}

pub struct PollerRing {
    fd: i32,
    id: u64,
    /// (device, inode) of the ring when it was made.
    identity: Option<(u64, u64)>,
    /// How many threads registered it (slots the kernel holds).
    registrations: AtomicUsize,
}

impl PollerRing {
    pub fn new(fd: i32) -> PollerRing {
        PollerRing {
            fd,
            id: NEXT_ID.fetch_add(1, Relaxed),
            identity: identity(fd),
            registrations: AtomicUsize::new(0),
        }
    }

    /// Whether the ring's number still names the ring it named at creation.
    pub fn number_is_still_ours(&self) -> bool {
        self.identity.is_some() && identity(self.fd) == self.identity
    }

    /// The `fd` argument and extra flags with which this thread enters.
    fn target(&self) -> Result<(i32, u32), i32> {
        let slot = ENTERED.try_with(|e| {
            let mut e = e.borrow_mut();
            let generation = crate::engine::fork_generation();
            if e.fork_generation != generation {
                // A child after fork: the parent's slots are not in its tables.
                e.fork_generation = generation;
                e.rings.clear();
            }
            if let Some(&(_, slot)) = e.rings.iter().find(|(id, _)| *id == self.id) {
                return Ok(slot);
            }
            free_retired(&mut e.rings);
            if !self.number_is_still_ours() {
                return Err(-libc::EBADFD);
            }
            let slot = register_in_this_thread(self.fd);
            if slot.is_some() {
                self.registrations.fetch_add(1, Relaxed);
            }
            e.rings.push((self.id, slot));
            Ok(slot)
        });
        match slot {
            Ok(Ok(Some(i))) => Ok((i as i32, ENTER_REGISTERED_RING)),
            Ok(Ok(None)) => Ok((self.fd, 0)),
            Ok(Err(e)) => Err(e),
            // The thread is exiting (its table is going): by number, checked.
            Err(_) if self.number_is_still_ours() => Ok((self.fd, 0)),
            Err(_) => Err(-libc::EBADFD),
        }
    }

    /// `io_uring_enter` from the calling thread, waiting at most `timeout`
    /// (with `min_complete`; `None`: no limit).
    pub fn enter(
        &self,
        to_submit: u32,
        min_complete: u32,
        flags: u32,
        timeout: Option<Duration>,
    ) -> std::io::Result<usize> {
        let (fd, extra) = self
            .target()
            .map_err(|e| std::io::Error::from_raw_os_error(-e))?;
        crate::uring::registered::enter(fd, to_submit, min_complete, flags | extra, timeout)
    }

    /// Whether threads other than the caller hold the ring in their tables.
    pub fn held_elsewhere(&self) -> bool {
        let own = self.own_slot().is_some() as usize;
        self.registrations.load(Relaxed) > own
    }

    fn own_slot(&self) -> Option<u32> {
        ENTERED
            .try_with(|e| {
                let e = e.borrow();
                (e.fork_generation == crate::engine::fork_generation())
                    .then(|| e.rings.iter().find(|(id, _)| *id == self.id)?.1)
                    .flatten()
            })
            .ok()
            .flatten()
    }

    /// At `destroy`, on the destroying thread: frees its own slot, and leaves
    /// the others' to their threads.
    pub fn retire(&self) {
        let held_elsewhere = self.held_elsewhere();
        let _ = ENTERED.try_with(|e| {
            let mut e = e.borrow_mut();
            if e.fork_generation != crate::engine::fork_generation() {
                return;
            }
            if let Some(at) = e.rings.iter().position(|(id, _)| *id == self.id) {
                if let (_, Some(slot)) = e.rings.swap_remove(at) {
                    unregister_in_this_thread(slot);
                }
            }
        });
        if held_elsewhere {
            RETIRED.lock().push(self.id);
        }
    }
}

/// Frees this thread's slots of destroyed pollers. (Before 6.3 a slot can
/// only be freed through the ring's number, which `destroy` has closed: it
/// is then freed at the thread's exit.)
fn free_retired(rings: &mut Vec<(u64, Option<u32>)>) {
    let retired = RETIRED.lock();
    if retired.is_empty() {
        return;
    }
    rings.retain(|&(id, slot)| {
        let gone = retired.contains(&id);
        if let (true, Some(slot)) = (gone, slot) {
            unregister_in_this_thread(slot);
        }
        !gone
    });
}
