//! Requests on their way from any thread to a ring's owner thread. Handing
//! one over costs a lock and, only when the owner sleeps, one eventfd write.

use super::stats::Stats;
use crate::op::ValidOp;
use parking_lot::{Condvar, Mutex};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering::SeqCst};

#[derive(Clone, Copy, Debug)]
pub enum Multishot {
    Accept { fd: i32, flags: i32 },
    Recv { fd: i32, flags: i32 },
    Poll { fd: i32, events: u32 },
}

#[derive(Clone, Copy, Debug)]
pub enum Request {
    /// `linked`: the next request in the inbox belongs to the same chain.
    Op {
        op: ValidOp,
        token: u64,
        timeout_ns: Option<u64>,
        linked: bool,
    },
    Multishot {
        kind: Multishot,
        token: u64,
    },
    Cancel {
        token: u64,
    },
}

pub struct Inbox {
    requests: Mutex<Vec<Request>>,
    drained: Condvar,
    pending: AtomicUsize,
    sleeping: AtomicBool,
    closing: AtomicBool,
    /// 0, or the error the owner failed with: every request from then on
    /// is refused with it.
    failure: AtomicI32,
    wake_fd: OwnedFd,
    limit: usize,
}

impl Inbox {
    /// `limit`: how many requests may wait before submitters are held back.
    pub fn new(limit: usize) -> Result<Inbox, i32> {
        // SAFETY: plain syscall.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(-crate::sys::errno());
        }
        Ok(Inbox {
            requests: Mutex::new(Vec::new()),
            drained: Condvar::new(),
            pending: AtomicUsize::new(0),
            sleeping: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            failure: AtomicI32::new(0),
            // SAFETY: a descriptor just created, owned by nothing else.
            wake_fd: unsafe { OwnedFd::from_raw_fd(fd) },
            limit,
        })
    }

    /// The descriptor the owner sleeps on (besides its own work).
    pub fn wake_fd(&self) -> i32 {
        self.wake_fd.as_raw_fd()
    }

    /// Queues `reqs` as one unit (a chain stays contiguous). When the inbox
    /// is over its limit the submitter waits for the owner to take it —
    /// back-pressure instead of unbounded memory — unless `on_owner` (the
    /// owner itself, from a callback, must never wait for itself).
    pub fn push(&self, reqs: &[Request], on_owner: bool, stats: &Stats) -> Result<(), i32> {
        let mut q = self.requests.lock();
        while !on_owner && q.len() >= self.limit && !self.is_closing() && self.failure() == 0 {
            self.wake(stats);
            self.drained.wait(&mut q);
        }
        if self.is_closing() {
            return Err(-libc::ESHUTDOWN);
        }
        match self.failure() {
            0 => {}
            err => return Err(err),
        }
        q.extend_from_slice(reqs);
        self.pending.store(q.len(), SeqCst);
        drop(q);
        if self.sleeping.load(SeqCst) {
            self.wake(stats);
        }
        Ok(())
    }

    fn wake(&self, stats: &Stats) {
        if self.sleeping.swap(false, SeqCst) {
            Stats::bump(&stats.wakeups, 1);
            self.poke();
        }
    }

    fn poke(&self) {
        let one: u64 = 1;
        // SAFETY: 8-byte write to our own eventfd.
        unsafe { libc::write(self.wake_fd(), &one as *const u64 as *const libc::c_void, 8) };
    }

    /// Owner: whether requests wait, without taking the lock.
    pub fn has_pending(&self) -> bool {
        self.pending.load(SeqCst) > 0
    }

    /// Owner: moves every waiting request into `into`.
    pub fn take(&self, into: &mut Vec<Request>) {
        // Once closing, always look: a push racing with close() must still
        // be seen (and completed) before the owner exits.
        if self.pending.load(SeqCst) == 0 && !self.is_closing() {
            return;
        }
        let mut q = self.requests.lock();
        into.append(&mut q);
        self.pending.store(0, SeqCst);
        drop(q);
        self.drained.notify_all();
    }

    /// Owner: announces it is about to sleep. False if work arrived (or the
    /// ring is closing) in the meantime, in which case it must not sleep.
    pub fn prepare_sleep(&self) -> bool {
        self.sleeping.store(true, SeqCst);
        if self.pending.load(SeqCst) > 0 || self.is_closing() {
            self.sleeping.store(false, SeqCst);
            return false;
        }
        true
    }

    pub fn woke(&self) {
        self.sleeping.store(false, SeqCst);
    }

    pub fn close(&self) {
        self.closing.store(true, SeqCst);
        let _q = self.requests.lock();
        self.drained.notify_all();
        self.poke();
    }

    /// The owner can no longer serve the ring: refuse every request from
    /// now on with `err`, and release submitters held back.
    pub fn fail(&self, err: i32) {
        self.failure.store(err, SeqCst);
        let _q = self.requests.lock();
        self.drained.notify_all();
    }

    pub fn failure(&self) -> i32 {
        self.failure.load(SeqCst)
    }

    /// Wakes the owner if it sleeps (a test's injected fault must be seen).
    pub fn poke_owner(&self) {
        self.poke();
    }

    pub fn is_closing(&self) -> bool {
        self.closing.load(SeqCst)
    }
}
