//! How completions leave the owner thread: pushed to a callback, or queued
//! for `urb_ring_reap`/`urb_ring_wait` with an eventfd that is readable
//! exactly while the queue is non-empty.

use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// More completions will follow for this token (a multishot request that is
/// still armed). Same bit as the kernel's `IORING_CQE_F_MORE`.
pub const URB_CQE_F_MORE: u32 = 1 << 1;
/// A provided buffer holds the data: its id is `flags >> URB_CQE_BUFFER_SHIFT`.
/// Same bit as the kernel's `IORING_CQE_F_BUFFER`.
pub const URB_CQE_F_BUFFER: u32 = 1 << 0;
/// Shift giving the provided-buffer id from `urb_completion.flags`.
pub const URB_CQE_BUFFER_SHIFT: u32 = 16;

/// One finished request (or one shot of a multishot request).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct urb_completion {
    /// The token given when the request was submitted.
    pub token: u64,
    /// CQE-style result: `>= 0` success, `-errno` failure.
    pub res: i32,
    /// `URB_CQE_F_*` bits.
    pub flags: u32,
}

/// Called on the ring's owner thread for every completion, in order. It must
/// not block for long (it delays every other completion of the ring), must
/// not call `urb_ring_free` on its own ring, and must not unwind. It may
/// submit, cancel and reap. `ctx` is the pointer given to
/// `urb_ring_set_callback`, passed through untouched.
pub type urb_completion_fn =
    Option<unsafe extern "C" fn(ctx: *mut libc::c_void, token: u64, res: i32, flags: u32)>;

#[derive(Clone, Copy)]
struct Callback {
    f: unsafe extern "C" fn(*mut libc::c_void, u64, i32, u32),
    ctx: *mut libc::c_void,
}
// SAFETY: the caller of urb_ring_set_callback vouches that ctx may be used
// from the owner thread.
unsafe impl Send for Callback {}

pub struct Delivery {
    queue: Mutex<VecDeque<urb_completion>>,
    /// The queue's length, readable without the lock (for spinning).
    queued: AtomicUsize,
    arrived: Condvar,
    eventfd: OwnedFd,
    /// Whether anyone asked for the eventfd: until then it is not kept in
    /// step, which saves two system calls per batch.
    eventfd_used: AtomicBool,
    callback: Mutex<Option<Callback>>,
    /// Whether a callback is set, readable without the lock: submitters
    /// deliver what they finish themselves only when none is.
    has_callback: AtomicBool,
    /// `URB_RING_SINGLE_THREAD` rings: how many requests handed to the
    /// engine have not had their final completion delivered. Changed with
    /// the queue under its lock, so a wait that sees 0 and too few queued
    /// knows that nothing more can come (only the waiting thread submits).
    outstanding: Option<AtomicUsize>,
}

impl Delivery {
    /// `single_thread`: keep count of what is outstanding (see the field).
    pub fn new(single_thread: bool) -> Result<Delivery, i32> {
        // SAFETY: plain syscall.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(-crate::sys::errno());
        }
        Ok(Delivery {
            queue: Mutex::new(VecDeque::new()),
            queued: AtomicUsize::new(0),
            arrived: Condvar::new(),
            eventfd_used: AtomicBool::new(false),
            // SAFETY: a descriptor just created, owned by nothing else.
            eventfd: unsafe { OwnedFd::from_raw_fd(fd) },
            callback: Mutex::new(None),
            has_callback: AtomicBool::new(false),
            outstanding: single_thread.then(|| AtomicUsize::new(0)),
        })
    }

    /// The eventfd, from now on readable exactly while completions wait.
    pub fn fd(&self) -> i32 {
        if !self.eventfd_used.swap(true, Ordering::SeqCst) {
            let q = self.queue.lock();
            if !q.is_empty() {
                self.signal();
            }
        }
        self.eventfd.as_raw_fd()
    }

    pub fn set_callback(&self, f: urb_completion_fn, ctx: *mut libc::c_void) {
        let mut cb = self.callback.lock();
        *cb = f.map(|f| Callback { f, ctx });
        self.has_callback.store(cb.is_some(), Ordering::SeqCst);
    }

    /// Whether completions go to a callback (on the owner thread) rather
    /// than to the reap queue.
    pub fn has_callback(&self) -> bool {
        self.has_callback.load(Ordering::SeqCst)
    }

    /// `n` requests go to the engine (before they do: the engine may
    /// deliver them before the submitter's next step).
    pub fn expect(&self, n: usize) {
        if let Some(o) = &self.outstanding {
            o.fetch_add(n, Ordering::SeqCst);
        }
    }

    /// They did not go after all (refused).
    pub fn unexpect(&self, n: usize) {
        if let Some(o) = &self.outstanding {
            o.fetch_sub(n, Ordering::SeqCst);
        }
    }

    /// A single-thread ring with nothing outstanding: nothing more can
    /// complete until its thread submits again.
    pub fn idle(&self) -> bool {
        self.outstanding
            .as_ref()
            .is_some_and(|o| o.load(Ordering::SeqCst) == 0)
    }

    /// Hands a batch over from the engine (the owner thread, or a
    /// single-thread ring's own thread).
    pub fn deliver(&self, batch: &[urb_completion]) {
        if !batch.is_empty() {
            self.queue_each(batch.len(), batch.iter().copied(), true);
        }
    }

    /// Queues (never a callback) the completions of requests a submitter
    /// finished itself, made as they are queued: from its results into the
    /// queue under one lock, with no array of completions in between.
    /// `count`: how many `batch` yields.
    pub fn deliver_each(&self, count: usize, batch: impl Iterator<Item = urb_completion>) {
        self.queue_each(count, batch, false)
    }

    /// `from_engine`: the completions settle outstanding requests (each
    /// one without `URB_CQE_F_MORE` is a request's last).
    fn queue_each(
        &self,
        count: usize,
        batch: impl Iterator<Item = urb_completion>,
        from_engine: bool,
    ) {
        let settles = if from_engine {
            self.outstanding.as_ref()
        } else {
            None
        };
        let last = |c: &urb_completion| c.flags & URB_CQE_F_MORE == 0;
        let callback = if self.has_callback() {
            *self.callback.lock()
        } else {
            None
        };
        if let Some(cb) = callback {
            for c in batch {
                if let Some(o) = settles.filter(|_| last(&c)) {
                    o.fetch_sub(1, Ordering::SeqCst);
                }
                // SAFETY: the callback's contract is the caller's.
                unsafe { (cb.f)(cb.ctx, c.token, c.res, c.flags) };
            }
            return;
        }
        let mut q = self.queue.lock();
        let before = q.len();
        q.reserve(count);
        match settles {
            None => q.extend(batch),
            Some(o) => {
                let mut finals = 0;
                q.extend(batch.inspect(|c| finals += last(c) as usize));
                o.fetch_sub(finals, Ordering::SeqCst);
            }
        }
        if q.len() == before {
            return;
        }
        self.queued.store(q.len(), Ordering::Release);
        if before == 0 && self.eventfd_used.load(Ordering::SeqCst) {
            // The eventfd changes state only under the queue lock, so it is
            // readable exactly while the queue is non-empty.
            self.signal();
        }
        drop(q);
        self.arrived.notify_all();
    }

    fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: 8-byte write to our own eventfd; it cannot overflow here.
        unsafe {
            libc::write(
                self.eventfd.as_raw_fd(),
                &one as *const u64 as *const libc::c_void,
                8,
            )
        };
    }

    fn unsignal(&self) {
        let mut v: u64 = 0;
        // SAFETY: 8-byte read from our own non-blocking eventfd.
        unsafe {
            libc::read(
                self.eventfd.as_raw_fd(),
                &mut v as *mut u64 as *mut libc::c_void,
                8,
            )
        };
    }

    fn pop_into(&self, q: &mut VecDeque<urb_completion>, out: &mut [urb_completion]) -> usize {
        let n = out.len().min(q.len());
        for (slot, c) in out.iter_mut().zip(q.drain(..n)) {
            *slot = c;
        }
        self.queued.store(q.len(), Ordering::Release);
        if n > 0 && q.is_empty() && self.eventfd_used.load(Ordering::SeqCst) {
            self.unsignal();
        }
        n
    }

    /// How many completions wait to be reaped.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// Takes up to `out.len()` completions without blocking.
    pub fn reap(&self, out: &mut [urb_completion]) -> usize {
        let mut q = self.queue.lock();
        self.pop_into(&mut q, out)
    }

    /// Blocks until `min` completions wait (or `deadline` passes, or `stop()`
    /// says the ring is going away), then takes up to `out.len()`.
    pub fn wait(
        &self,
        out: &mut [urb_completion],
        min: usize,
        deadline: Option<Instant>,
        stop: impl Fn() -> bool,
    ) -> usize {
        let budget = super::spin_budget();
        if !budget.is_zero() && self.queued.load(Ordering::Acquire) < min {
            let spin_until = Instant::now() + budget;
            while self.queued.load(Ordering::Acquire) < min && Instant::now() < spin_until {
                for _ in 0..64 {
                    std::hint::spin_loop();
                }
            }
        }
        let mut q = self.queue.lock();
        while q.len() < min && !stop() && !self.idle() {
            match deadline {
                None => self.arrived.wait(&mut q),
                Some(d) => {
                    if self.arrived.wait_until(&mut q, d).timed_out() {
                        break;
                    }
                }
            }
        }
        self.pop_into(&mut q, out)
    }

    /// Wakes every `wait`er so it can notice the ring is closing.
    pub fn wake_waiters(&self) {
        let _q = self.queue.lock();
        self.arrived.notify_all();
    }
}
