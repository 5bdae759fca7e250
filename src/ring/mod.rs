//! Async rings: owned by a library thread, fed from any thread, delivering
//! completions by callback or through a pollable descriptor.

pub mod buffers;
pub mod config;
pub mod delivery;
pub mod fallback_owner;
pub mod inbox;
pub mod stats;
pub mod uring_owner;

use crate::engine::{self, Engine};
use crate::op::{self, urb_op, ValidOp};
use buffers::ProvidedBuffers;
use config::RingConfig;
use delivery::{urb_completion, urb_completion_fn, Delivery};
use inbox::{Inbox, Multishot, Request};
use stats::Stats;
use std::sync::{Arc, OnceLock};
use std::thread::{JoinHandle, ThreadId};
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

/// What the owner thread and the submitters share.
pub struct Shared {
    pub config: RingConfig,
    pub inbox: Inbox,
    pub delivery: Delivery,
    pub stats: Stats,
    pub buffers: Option<ProvidedBuffers>,
    pub on_io_uring: bool,
}

/// The handle behind `urb_ring *`.
pub struct Ring {
    shared: Arc<Shared>,
    owner: Option<JoinHandle<()>>,
    owner_id: ThreadId,
    fork_generation: u64,
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
            delivery: Delivery::new()?,
            stats: Stats::default(),
            buffers,
            config,
            on_io_uring,
        });
        let (tx, rx) = std::sync::mpsc::channel::<Result<(), i32>>();
        let for_owner = shared.clone();
        let owner = std::thread::Builder::new()
            .name("urb-ring".into())
            .spawn(move || {
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
                    fallback_owner::run(for_owner);
                }
            })
            .map_err(|_| -libc::EAGAIN)?;
        let owner_id = owner.thread().id();
        match rx.recv() {
            Ok(Ok(())) => Ok(Ring {
                shared,
                owner: Some(owner),
                owner_id,
                fork_generation: engine::fork_generation(),
            }),
            Ok(Err(e)) => {
                let _ = owner.join();
                Err(e)
            }
            Err(_) => Err(-libc::EAGAIN),
        }
    }

    /// A ring inherited through `fork` has no owner thread in the child.
    fn usable(&self) -> Result<(), i32> {
        if self.fork_generation != engine::fork_generation() {
            return Err(-libc::ECHILD);
        }
        Ok(())
    }

    fn on_owner(&self) -> bool {
        std::thread::current().id() == self.owner_id
    }

    fn check(&self, o: &urb_op) -> Result<ValidOp, i32> {
        let v = op::validate(o)?;
        if !self.shared.config.allows(v.code) {
            return Err(-libc::EACCES);
        }
        if self.shared.on_io_uring && !crate::blocking::op_supported(o.opcode) {
            return Err(-libc::ENOSYS);
        }
        Ok(v)
    }

    fn push(&self, reqs: &[Request]) -> Result<(), i32> {
        self.usable()?;
        self.shared
            .inbox
            .push(reqs, self.on_owner(), &self.shared.stats)?;
        let ops = reqs
            .iter()
            .filter(|r| !matches!(r, Request::Cancel { .. }))
            .count();
        Stats::bump(&self.shared.stats.submitted, ops as u64);
        Ok(())
    }

    pub fn submit(&self, o: &urb_op, token: u64, timeout_ns: Option<u64>) -> Result<(), i32> {
        let op = self.check(o)?;
        self.push(&[Request::Op {
            op,
            token,
            timeout_ns,
            linked: false,
        }])
    }

    /// `Some(result)` when `o` finished on the calling thread, `None` when
    /// the ring took it (a completion tagged `token` follows).
    pub fn submit_try(&self, o: &urb_op, token: u64) -> Result<Option<i32>, i32> {
        self.usable()?;
        let op = self.check(o)?;
        // A ring made with URB_RING_FALLBACK runs everything on the fallback
        // engine, tries included; otherwise the engine of the process tries.
        if !self.shared.config.force_fallback {
            if let Some(res) = crate::blocking::submit_nowait(o) {
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
                Ok(Request::Op {
                    op: self.check(o)?,
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
    pub fn submit_batch(&self, ops: &[urb_op], tokens: &[u64]) -> Result<(), i32> {
        let reqs = ops
            .iter()
            .zip(tokens)
            .map(|(o, &token)| {
                Ok(Request::Op {
                    op: self.check(o)?,
                    token,
                    timeout_ns: None,
                    linked: false,
                })
            })
            .collect::<Result<Vec<_>, i32>>()?;
        self.push(&reqs)
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

    pub fn reap(&self, out: &mut [urb_completion]) -> usize {
        self.shared.delivery.reap(out)
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
        let deadline = timeout_ns.map(crate::fallback::wait::deadline_after);
        let inbox = &self.shared.inbox;
        Ok(self
            .shared
            .delivery
            .wait(out, min.min(out.len()), deadline, || inbox.is_closing()))
    }

    pub fn fd(&self) -> i32 {
        self.shared.delivery.fd()
    }

    pub fn set_callback(&self, f: urb_completion_fn, ctx: *mut libc::c_void) {
        self.shared.delivery.set_callback(f, ctx);
    }

    pub fn stats(&self) -> stats::urb_stats {
        self.shared.stats.snapshot()
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
