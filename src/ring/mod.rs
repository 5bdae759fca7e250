//! Async rings: owned by a library thread, fed from any thread, delivering
//! completions by callback or through a pollable descriptor.

pub mod at_hand;
pub mod buffers;
pub mod config;
pub mod delivery;
pub mod fallback_owner;
pub mod inbox;
pub mod registry;
pub mod single_thread;
pub mod stats;
pub mod uring_owner;

use crate::engine::{self, Engine};
use crate::op::{self, urb_op, ValidOp};
use buffers::ProvidedBuffers;
use config::RingConfig;
use delivery::{urb_completion, urb_completion_fn, Delivery};
use inbox::{Inbox, Multishot, Request};
use stats::Stats;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long an idle owner thread watches for new requests, and
/// `urb_ring_wait` for completions, before sleeping: `URB_SPIN_US`
/// microseconds, 0 by default. Watching saves the sleep and wake-up (a few
/// microseconds each way) when both sides have a core to themselves; where
/// cores are shared — the common case, and this project's 2-core machines,
/// where it cost 10–20% of HTTP throughput — it takes time from the threads
/// doing the work.
pub fn spin_budget() -> Duration {
    static BUDGET: OnceLock<Duration> = OnceLock::new();
    *BUDGET.get_or_init(|| {
        let us = std::env::var("URB_SPIN_US")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Duration::from_micros(us)
    })
}

thread_local! {
    /// On an owner thread, the address of the `Shared` of the ring it owns
    /// (0 elsewhere): telling the owner apart costs no `thread::current()`.
    static OWNER_OF: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// What the owner thread and the submitters share.
pub struct Shared {
    pub config: RingConfig,
    pub inbox: Inbox,
    pub delivery: Delivery,
    pub stats: Stats,
    pub buffers: Option<ProvidedBuffers>,
    /// Registered buffers and files (`registry`).
    pub registry: registry::Registry,
    pub on_io_uring: bool,
    /// A test's injected failure (see [`OwnerFault`]); 0 for none.
    fault: AtomicU64,
}

/// A failure a test injects into a ring's owner thread, to check that a
/// ring that can no longer work says so instead of hanging.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum OwnerFault {
    /// The owner panics at its next turn.
    Panic,
    /// The owner's next `io_uring_enter` fails with this (positive) errno.
    EnterError(i32),
}

const FAULT_PANIC: u64 = 1 << 32;
const FAULT_ENTER: u64 = 2 << 32;

impl Shared {
    /// Owner: panics if a test injected a panic.
    pub fn injected_panic(&self) {
        if self.fault.load(Relaxed) == FAULT_PANIC && self.fault.swap(0, Relaxed) == FAULT_PANIC {
            panic!("uringbridge: owner panic injected by a test");
        }
    }

    /// Owner: the errno a test made the next `io_uring_enter` fail with.
    pub fn take_enter_fault(&self) -> Option<i32> {
        let f = self.fault.load(Relaxed);
        if f & !0xffff_ffff != FAULT_ENTER {
            return None;
        }
        (self.fault.swap(0, Relaxed) == f).then_some(f as u32 as i32)
    }
}

/// The handle behind `urb_ring *`.
pub struct Ring {
    shared: Arc<Shared>,
    owner: Option<JoinHandle<()>>,
    fork_generation: u64,
    /// The owner thread's pthread id: telling a submitter from the owner
    /// costs no thread-local lookup (`__tls_get_addr` in a shared library)
    /// except on the owner itself, or on a thread that took the id after the
    /// owner ended (ids are reused), which `OWNER_OF` then tells apart.
    owner_thread: libc::pthread_t,
    /// Per opcode, what this ring refuses a valid request with (0: nothing):
    /// its allow-list and the kernel's probe, read once at creation.
    refusal: [i32; op::URB_OP_COUNT as usize],
    /// `URB_RING_SINGLE_THREAD`: the thread it belongs to, and on io_uring
    /// the ring that thread drives (there is no owner thread then).
    single: Option<single_thread::SingleThread>,
}

/// Requests a batch validates on the stack (beyond: on the heap).
const BATCH_ON_STACK: usize = 64;

/// What a ring refuses a valid request of `code` with: `-EACCES` outside
/// its allow-list, `-ENOSYS` where the kernel lacks the operation, 0 when
/// it takes it.
fn refusal(shared: &Shared, code: op::Opcode) -> i32 {
    if !shared.config.allows(code) {
        -libc::EACCES
    } else if shared.on_io_uring && engine::supported(code).is_err() {
        -libc::ENOSYS
    } else {
        0
    }
}

impl Ring {
    pub fn new(config: RingConfig) -> Result<Ring, i32> {
        let on_io_uring = engine::engine() == Engine::IoUring && !config.force_fallback;
        if let Engine::Refused(e) = engine::engine() {
            return Err(e);
        }
        let buffers = match config.buf_count {
            0 => None,
            n => Some(ProvidedBuffers::new(n, config.buf_size, on_io_uring)?),
        };
        let limit = (config.entries as usize * 8).max(1024);
        let shared = Arc::new(Shared {
            inbox: Inbox::new(limit)?,
            delivery: Delivery::new(config.single_thread)?,
            stats: Stats::default(),
            buffers,
            registry: Default::default(),
            config,
            on_io_uring,
            fault: AtomicU64::new(0),
        });
        let refusals = |shared: &Shared| {
            // Indexed by number: numbers no operation has are never
            // looked up (validation refused them).
            let mut table = [-libc::EINVAL; op::URB_OP_COUNT as usize];
            for code in op::Opcode::ALL {
                table[code as usize] = refusal(shared, code);
            }
            table
        };
        if shared.config.single_thread && on_io_uring {
            return Ok(Ring {
                single: Some(single_thread::SingleThread::new(&shared, true)?),
                refusal: refusals(&shared),
                shared,
                owner: None,
                owner_thread: 0,
                fork_generation: engine::fork_generation(),
            });
        }
        let single = match shared.config.single_thread {
            true => Some(single_thread::SingleThread::new(&shared, false)?),
            false => None,
        };
        let (tx, rx) = std::sync::mpsc::channel::<Result<(), i32>>();
        let for_owner = shared.clone();
        let owner = std::thread::Builder::new()
            .name("urb-ring".into())
            .spawn(move || {
                OWNER_OF.with(|o| o.set(Arc::as_ptr(&for_owner) as usize));
                // A write the owner issues to a pipe or socket without a
                // reader must be -EPIPE, never a SIGPIPE that kills the host.
                crate::fallback::sigpipe::block_on_library_thread();
                if for_owner.on_io_uring {
                    match uring_owner::start(for_owner) {
                        Ok(owner) => {
                            let _ = tx.send(Ok(()));
                            owner.run();
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                } else {
                    let _ = tx.send(Ok(()));
                    let shared = for_owner.clone();
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        fallback_owner::run(for_owner)
                    }))
                    .is_err()
                    {
                        // Requests in its hands are lost with it; what waits
                        // in the inbox and everything after is refused.
                        shared.inbox.fail(crate::errors::PANICKED);
                        shared.delivery.wake_waiters();
                    }
                }
            })
            .map_err(|_| -libc::EAGAIN)?;
        match rx.recv() {
            Ok(Ok(())) => {
                use std::os::unix::thread::JoinHandleExt;
                Ok(Ring {
                    refusal: refusals(&shared),
                    shared,
                    owner_thread: owner.as_pthread_t(),
                    owner: Some(owner),
                    fork_generation: engine::fork_generation(),
                    single,
                })
            }
            Ok(Err(e)) => {
                let _ = owner.join();
                Err(e)
            }
            Err(_) => Err(-libc::EAGAIN),
        }
    }

    /// A ring inherited through `fork` has no owner thread in the child; a
    /// failed ring has none that works.
    fn usable(&self) -> Result<(), i32> {
        if self.fork_generation != engine::fork_generation() {
            return Err(-libc::ECHILD);
        }
        if let Some(single) = &self.single {
            single.check()?;
        }
        match self.shared.inbox.failure() {
            0 => Ok(()),
            err => Err(err),
        }
    }

    fn on_owner(&self) -> bool {
        // SAFETY: pthread_self has no preconditions.
        let me = unsafe { libc::pthread_self() };
        me == self.owner_thread && OWNER_OF.with(|o| o.get()) == Arc::as_ptr(&self.shared) as usize
    }

    fn check(&self, o: &urb_op) -> Result<ValidOp, i32> {
        // SAFETY: the caller's request; the header makes its pointers the caller's promise.
        let v = unsafe { op::validate_on_ring(o) }?;
        self.admit(&v)?;
        Ok(v)
    }

    /// What this ring refuses of a valid request: what its allow-list
    /// leaves out, and what the kernel lacks (see [`refusal`]).
    fn admit(&self, v: &ValidOp) -> Result<(), i32> {
        match self.refusal[v.code as usize] {
            0 => Ok(()),
            e => Err(e),
        }
    }

    fn push(&self, reqs: &[Request]) -> Result<(), i32> {
        self.usable()?;
        let uses = |r: &Request| match r {
            Request::Op { op, .. } => registry::Registry::uses(op),
            Request::Multishot { .. } | Request::Cancel { .. } => 0,
        };
        let registry = &self.shared.registry;
        reqs.iter().for_each(|r| registry.begin(uses(r)));
        let ops = reqs
            .iter()
            .filter(|r| !matches!(r, Request::Cancel { .. }))
            .count();
        self.shared.delivery.expect(ops);
        let taken = match self.driving() {
            Some(single) => single.submit(&self.shared, reqs),
            None => self
                .shared
                .inbox
                .push(reqs, self.on_owner(), &self.shared.stats),
        };
        if let Err(e) = taken {
            reqs.iter().for_each(|r| registry.end(uses(r)));
            self.shared.delivery.unexpect(ops);
            return Err(e);
        }
        Stats::bump(&self.shared.stats.submitted, ops as u64);
        Ok(())
    }

    pub fn submit(&self, o: &urb_op, token: u64, timeout_ns: Option<u64>) -> Result<(), i32> {
        let op = self.check(o)?;
        // A registered file's `fd` is an index: only the ring can use it.
        if self.finishes_on_caller() && !op.fixed_file() {
            if let Some(res) = crate::tryfirst::try_at_hand(&op) {
                let done = urb_completion {
                    token,
                    res,
                    flags: 0,
                };
                return self.deliver_here(1, std::iter::once(done));
            }
        }
        self.push(&[Request::Op {
            op,
            token,
            timeout_ns,
            linked: false,
        }])
    }

    /// Whether `urb_ring_submit*` may finish requests whose result is at
    /// hand on the calling thread and queue their completions itself: not
    /// while a callback is set (callbacks run on the owner thread only),
    /// not on a ring forced onto the fallback engine.
    fn finishes_on_caller(&self) -> bool {
        !self.shared.config.force_fallback && !self.shared.delivery.has_callback()
    }

    /// Queues completions of requests finished on the calling thread, as if
    /// the owner had delivered them (counted as submitted and completed).
    fn deliver_here(
        &self,
        count: usize,
        done: impl Iterator<Item = urb_completion>,
    ) -> Result<(), i32> {
        self.usable()?;
        if self.shared.inbox.is_closing() {
            return Err(-libc::ESHUTDOWN);
        }
        Stats::bump(&self.shared.stats.submitted, count as u64);
        Stats::bump(&self.shared.stats.completions, count as u64);
        self.shared.delivery.deliver_each(count, done);
        Ok(())
    }

    /// `Some(result)` when `o` finished on the calling thread, `None` when
    /// the ring took it (a completion tagged `token` follows).
    pub fn submit_try(&self, o: &urb_op, token: u64) -> Result<Option<i32>, i32> {
        self.usable()?;
        let op = self.check(o)?;
        // A ring made with URB_RING_FALLBACK runs everything on the fallback
        // engine, tries included; otherwise the engine of the process tries.
        if !self.shared.config.force_fallback && !op.ring_only() {
            if let Some(res) = crate::tryfirst::submit_nowait(o) {
                return Ok(Some(res));
            }
        }
        self.push(&[Request::Op {
            op,
            token,
            timeout_ns: None,
            linked: false,
        }])?;
        Ok(None)
    }

    pub fn submit_chain(&self, ops: &[urb_op], tokens: &[u64]) -> Result<(), i32> {
        if ops.is_empty() || ops.len() > self.shared.config.entries.min(op::URB_CHAIN_MAX) as usize
        {
            return Err(-libc::EINVAL);
        }
        let last = ops.len() - 1;
        let reqs = ops
            .iter()
            .zip(tokens)
            .enumerate()
            .map(|(i, (o, &token))| {
                let op = self.check(o)?;
                op.check_chain_position(i == last)?;
                Ok(Request::Op {
                    op,
                    token,
                    timeout_ns: None,
                    linked: i < last,
                })
            })
            .collect::<Result<Vec<_>, i32>>()?;
        self.push(&reqs)
    }

    /// Independent requests (not linked) handed over in one go: one lock and
    /// at most one wake-up for the lot. All or nothing.
    ///
    /// Up to 64 requests (what liburing-sized batches are), when the
    /// caller may finish requests itself, go through `at_hand::Small`: each
    /// is validated, tried and encoded in one pass, straight from the
    /// caller's `urb_op` into the thread's ring, with no allocation unless
    /// some must go to the owner; completions are made straight into the
    /// reap queue. Larger batches are validated as a whole first. The
    /// per-request work here is what the batch benchmark measures against
    /// liburing.
    pub fn submit_batch(&self, ops: &[urb_op], tokens: &[u64]) -> Result<(), i32> {
        if ops.len() <= at_hand::SMALL && self.finishes_on_caller() && at_hand::available() {
            self.usable()?;
            let mut small = at_hand::Small::new(ops, |v| self.admit(v));
            let ran = crate::uring::thread_ring::with_ring(ops.len() as u32, |ring| {
                ring.run_staged(ops.len(), &mut small)
            });
            if let Some(staged) = ran {
                staged?;
                return self.finish_small(&small, tokens);
            }
            // No ring on this thread (nothing was validated into it): the
            // general path below hands everything to the owner.
        }
        self.with_valid(ops, |valid| self.submit_valid_batch(valid, tokens))?
    }

    /// After a small batch ran on the caller: hands what waits to the
    /// owner, queues the completions of the rest.
    fn finish_small<A: Fn(&ValidOp) -> Result<(), i32>>(
        &self,
        small: &at_hand::Small<'_, A>,
        tokens: &[u64],
    ) -> Result<(), i32> {
        let mut handed = 0;
        let reqs: Vec<Request> = small
            .handed_over()
            .map(|&(i, op)| {
                handed += 1;
                Request::Op {
                    op,
                    token: tokens[i],
                    timeout_ns: None,
                    linked: false,
                }
            })
            .collect();
        if !reqs.is_empty() {
            self.push(&reqs)?;
        }
        let results = small.results();
        let finished = results.len() - handed;
        if finished > 0 {
            let done = tokens.iter().zip(results).filter_map(|(&token, &res)| {
                (res != at_hand::PENDING).then_some(urb_completion {
                    token,
                    res,
                    flags: 0,
                })
            });
            self.deliver_here(finished, done)?;
        }
        Ok(())
    }

    /// Validates and admits every request of `ops` (the first refusal is
    /// the answer, and `f` is not called), then gives them to `f`.
    fn with_valid<R>(&self, ops: &[urb_op], f: impl FnOnce(&[ValidOp]) -> R) -> Result<R, i32> {
        if ops.len() > BATCH_ON_STACK {
            let valid = ops
                .iter()
                .map(|o| self.check(o))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(f(&valid));
        }
        let mut stack = [const { MaybeUninit::<ValidOp>::uninit() }; BATCH_ON_STACK];
        for (slot, o) in stack.iter_mut().zip(ops) {
            // SAFETY: as in `check`.
            slot.write(unsafe { op::validate_on_ring(o) }?);
            // SAFETY: just written.
            self.admit(unsafe { slot.assume_init_ref() })?;
        }
        // SAFETY: the first `ops.len()` slots were written above (an error
        // returned before any slot was read); ValidOp is Copy (no drops).
        let valid = unsafe { std::slice::from_raw_parts(stack.as_ptr().cast(), ops.len()) };
        Ok(f(valid))
    }

    fn submit_valid_batch(&self, valid: &[ValidOp], tokens: &[u64]) -> Result<(), i32> {
        let mut stack = [at_hand::PENDING; BATCH_ON_STACK];
        let mut heap = Vec::new();
        let results: &mut [i32] = if valid.len() <= BATCH_ON_STACK {
            &mut stack[..valid.len()]
        } else {
            heap.resize(valid.len(), at_hand::PENDING);
            &mut heap
        };
        if self.finishes_on_caller() {
            // Checked before anything is performed (delivering checks again).
            self.usable()?;
            at_hand::try_batch(valid, results);
        }
        let finished = results.iter().filter(|&&r| r != at_hand::PENDING).count();
        if finished < valid.len() {
            let reqs: Vec<Request> = valid
                .iter()
                .zip(tokens)
                .zip(results.iter())
                .filter(|(_, &res)| res == at_hand::PENDING)
                .map(|((&op, &token), _)| Request::Op {
                    op,
                    token,
                    timeout_ns: None,
                    linked: false,
                })
                .collect();
            self.push(&reqs)?;
        }
        if finished > 0 {
            let done = tokens
                .iter()
                .zip(results.iter())
                .filter_map(|(&token, &res)| {
                    (res != at_hand::PENDING).then_some(urb_completion {
                        token,
                        res,
                        flags: 0,
                    })
                });
            self.deliver_here(finished, done)?;
        }
        Ok(())
    }

    pub fn submit_multishot(&self, kind: Multishot, token: u64) -> Result<(), i32> {
        let (fd, code) = match kind {
            Multishot::Accept { fd, .. } => (fd, op::Opcode::Accept),
            Multishot::Recv { fd, .. } => (fd, op::Opcode::Recv),
            Multishot::Poll { fd, events } => {
                if events == 0 || events > u16::MAX as u32 {
                    return Err(-libc::EINVAL);
                }
                (fd, op::Opcode::Poll)
            }
        };
        if fd < 0 {
            return Err(-libc::EINVAL);
        }
        if matches!(kind, Multishot::Recv { .. }) && self.shared.buffers.is_none() {
            return Err(-libc::EINVAL);
        }
        if !self.shared.config.allows(code) {
            return Err(-libc::EACCES);
        }
        self.push(&[Request::Multishot { kind, token }])
    }

    pub fn cancel(&self, token: u64) -> Result<(), i32> {
        self.push(&[Request::Cancel { token }])?;
        Stats::bump(&self.shared.stats.cancels, 1);
        Ok(())
    }

    /// A `URB_RING_SINGLE_THREAD` ring its own thread drives.
    pub(crate) fn driving(&self) -> Option<&single_thread::SingleThread> {
        self.single.as_ref().filter(|s| s.drives())
    }

    pub fn reap(&self, out: &mut [urb_completion]) -> Result<usize, i32> {
        if let Some(single) = &self.single {
            single.check()?;
            if single.drives() {
                single.poll(&self.shared);
            }
        }
        Ok(self.shared.delivery.reap(out))
    }

    pub fn wait(
        &self,
        out: &mut [urb_completion],
        min: usize,
        timeout_ns: Option<u64>,
    ) -> Result<usize, i32> {
        if self.on_owner() && min > 0 {
            return Err(-libc::EDEADLK); // the owner cannot wait for itself
        }
        let deadline = timeout_ns.map(crate::sys::time::deadline_after);
        if let Some(single) = &self.single {
            single.check()?;
            if single.drives() {
                single.wait(&self.shared, min.min(out.len()), deadline)?;
                return Ok(self.shared.delivery.reap(out));
            }
        }
        let inbox = &self.shared.inbox;
        Ok(self
            .shared
            .delivery
            .wait(out, min.min(out.len()), deadline, || {
                inbox.is_closing() || inbox.failure() != 0
            }))
    }

    /// `-EOPNOTSUPP` on a `URB_RING_SINGLE_THREAD` ring: completions reach
    /// its queue only inside its thread's calls, so a readable descriptor
    /// would never become readable while that thread waits on it.
    pub fn fd(&self) -> Result<i32, i32> {
        if self.single.is_some() {
            return Err(-libc::EOPNOTSUPP);
        }
        Ok(self.shared.delivery.fd())
    }

    pub fn set_callback(&self, f: urb_completion_fn, ctx: *mut libc::c_void) -> Result<(), i32> {
        if let Some(single) = &self.single {
            single.check()?;
        }
        self.shared.delivery.set_callback(f, ctx);
        Ok(())
    }

    pub fn stats(&self) -> stats::urb_stats {
        self.shared.stats.snapshot()
    }

    /// 0, or the error the ring failed with (its owner thread could no
    /// longer serve it).
    pub fn failure(&self) -> i32 {
        self.shared.inbox.failure()
    }

    #[doc(hidden)]
    pub fn inject_fault(&self, fault: OwnerFault) {
        let v = match fault {
            OwnerFault::Panic => FAULT_PANIC,
            OwnerFault::EnterError(errno) => FAULT_ENTER | errno as u32 as u64,
        };
        self.shared.fault.store(v, Relaxed);
        self.shared.inbox.poke_owner();
    }

    pub fn buffers(&self) -> Option<&ProvidedBuffers> {
        self.shared.buffers.as_ref()
    }
}

impl Drop for Ring {
    /// Cancels what is in flight, waits until the kernel (or the fallback's
    /// workers) are done with every buffer, then joins the owner.
    fn drop(&mut self) {
        self.shared.inbox.close();
        self.shared.delivery.wake_waiters();
        if let Some(single) = self.single.as_mut() {
            match self.fork_generation == engine::fork_generation() {
                true => single.close(),
                // The parent's ring: its mappings are gone (dontfork).
                false => single.forget(),
            }
        }
        if let Some(owner) = self.owner.take() {
            if self.on_owner() || self.usable().is_err() {
                // From the ring's own callback, or in a forked child: the
                // owner cannot be joined; it finishes (or never existed) alone.
                std::mem::forget(owner);
            } else {
                let _ = owner.join();
            }
        }
    }
}
