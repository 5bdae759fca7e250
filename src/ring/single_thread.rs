//! `URB_RING_SINGLE_THREAD`: a ring one thread uses, and on io_uring
//! drives itself inside its calls, with no owner thread (see the flag).
//!
//! Why no request dies with its thread here, although the kernel ends a
//! thread's requests when it exits: only the creating thread can reap, so
//! once it is gone no one is left to see those completions.

use super::inbox::Request;
use super::uring_owner::{self, Owner, Turn};
use super::Shared;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Instant;

/// Alive while its thread is: a ring tells its thread by this (a pthread
/// id can be another thread's after the first exits), and learns that the
/// thread exited.
struct ThreadMark(Arc<AtomicBool>);

impl Drop for ThreadMark {
    fn drop(&mut self) {
        self.0.store(false, SeqCst);
    }
}

thread_local! {
    static MARK: ThreadMark = ThreadMark(Arc::new(AtomicBool::new(true)));
}

fn this_thread() -> Option<Arc<AtomicBool>> {
    MARK.try_with(|m| m.0.clone()).ok()
}

pub struct SingleThread {
    thread: Arc<AtomicBool>,
    /// On io_uring: the ring, driven by its thread. `None` on the fallback
    /// engine (its owner thread serves the ring), and once the ring failed.
    driver: Option<Mutex<Option<Owner>>>,
}

impl SingleThread {
    /// For a ring made on the calling thread; `drive`: set the io_uring ring
    /// up here (on the fallback engine the owner thread runs it).
    pub fn new(shared: &Arc<Shared>, drive: bool) -> Result<SingleThread, i32> {
        let thread = this_thread().ok_or(-libc::EAGAIN)?;
        let driver = match drive {
            true => Some(Mutex::new(Some(uring_owner::start(shared.clone())?))),
            false => None,
        };
        Ok(SingleThread { thread, driver })
    }

    pub fn drives(&self) -> bool {
        self.driver.is_some()
    }

    fn on_its_thread(&self) -> bool {
        MARK.try_with(|m| Arc::ptr_eq(&m.0, &self.thread))
            .unwrap_or(false)
    }

    /// `-EPERM` on any thread but the ring's.
    pub fn check(&self) -> Result<(), i32> {
        match self.on_its_thread() {
            true => Ok(()),
            false => Err(-libc::EPERM),
        }
    }

    /// Takes `reqs`: into the SQ, where the thread's next wait or reap
    /// submits them with the same system call (as liburing's
    /// `io_uring_submit_and_wait`), or — from a callback, inside a call
    /// already driving the ring — into the inbox, which that call takes
    /// before it returns.
    pub fn submit(&self, shared: &Shared, reqs: &[Request]) -> Result<(), i32> {
        let driver = self
            .driver
            .as_ref()
            .expect("only driving rings submit here");
        match driver.try_lock() {
            Some(mut owner) => {
                // A failure while submitting completes `reqs` with its error:
                // they were taken, so this is not a refusal.
                let _ = run(shared, &mut owner, reqs, Turn::Queue);
                Ok(())
            }
            None => shared.inbox.push(reqs, true, &shared.stats),
        }
    }

    /// Runs the ring until `min` completions are queued or `deadline`
    /// passes; `-EDEADLK` from the ring's own callback.
    pub fn wait(&self, shared: &Shared, min: usize, deadline: Option<Instant>) -> Result<(), i32> {
        let driver = self.driver.as_ref().expect("only driving rings wait here");
        // Only this thread locks it: held, it is this thread's own call.
        if min > 0 && driver.is_locked() {
            return Err(-libc::EDEADLK);
        }
        if shared.delivery.queued() >= min {
            // Enough is here; what waits in the SQ goes in now all the same
            // (no request waits for a later call to start).
            if let Some(mut owner) = driver.try_lock() {
                if owner.as_ref().is_some_and(|o| o.unsubmitted()) {
                    let _ = run(shared, &mut owner, &[], Turn::Poll);
                }
            }
        }
        while shared.delivery.queued() < min {
            let limit = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Ok(()),
                },
            };
            let Some(mut owner) = driver.try_lock() else {
                return Err(-libc::EDEADLK);
            };
            // Nothing outstanding: nothing can complete (no other thread
            // submits here), so waiting would never end.
            if shared.delivery.idle() {
                return Ok(());
            }
            if owner.is_none() || run(shared, &mut owner, &[], Turn::Wait(limit)).is_err() {
                return Ok(()); // failed: its requests' completions are queued
            }
        }
        Ok(())
    }

    /// Takes what the kernel finished without waiting (for `urb_ring_reap`).
    pub fn poll(&self, shared: &Shared) {
        if let Some(mut owner) = self.driver.as_ref().and_then(|d| d.try_lock()) {
            if shared.delivery.queued() == 0 || owner.as_ref().is_some_and(|o| o.unsubmitted()) {
                let _ = run(shared, &mut owner, &[], Turn::Poll);
            }
        }
    }

    /// For a registration call: the ring answers what waits in its mailbox.
    pub fn serve_now(&self, shared: &Shared) -> Result<(), i32> {
        let driver = self.driver.as_ref().expect("only driving rings serve");
        let Some(mut owner) = driver.try_lock() else {
            return Err(-libc::EDEADLK);
        };
        run(shared, &mut owner, &[], Turn::Poll)
    }

    /// `urb_ring_free`. On the ring's thread: cancels what is in flight and
    /// waits for the kernel to be done with it. After that thread exited:
    /// the kernel ended its requests then; the ring is closed. From another
    /// thread while it lives (against the rules): the ring is left open —
    /// closing it would let the kernel write into buffers the caller may
    /// free — and the mistake is reported.
    pub fn close(&mut self) {
        let Some(driver) = self.driver.take() else {
            return;
        };
        let mut owner = driver.into_inner();
        if self.on_its_thread() {
            if let Some(o) = owner.as_mut() {
                o.close_inline();
            }
        } else if !self.thread.load(SeqCst) {
            if let Some(o) = owner.as_mut() {
                o.disown_thread();
            }
        } else {
            eprintln!(
                "uringbridge: urb_ring_free of a URB_RING_SINGLE_THREAD ring from another \
                 thread while its own thread lives; the ring is left open"
            );
            std::mem::forget(owner);
        }
    }

    /// In a child after `fork`: the parent's ring, left untouched.
    pub fn forget(&mut self) {
        std::mem::forget(self.driver.take());
    }
}

/// One turn of the ring; on a failure the ring fails for good (its owner
/// completes what it held with the error) and `Err` says so.
fn run(shared: &Shared, slot: &mut Option<Owner>, reqs: &[Request], turn: Turn) -> Result<(), i32> {
    let Some(owner) = slot.as_mut() else {
        return Err(match shared.inbox.failure() {
            0 => -libc::ESHUTDOWN,
            e => e,
        });
    };
    let turn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| owner.drive(reqs, turn)));
    let err = match turn {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(e)) => e,
        Err(_) => crate::errors::PANICKED,
    };
    slot.take().expect("checked above").fail(err);
    Err(err)
}
