//! A few worker threads for the requests that may block however they are
//! issued (regular-file I/O, openat, statx, fsync, close), so the owner
//! thread keeps serving everything else.
//! Workers start on demand, up to a small bound, and are joined on drop.

use super::JobId;
use crate::fallback::exec;
use crate::op::ValidOp;
use crate::sys::eventfd;
use crate::sys::time::Deadline;
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;

const MAX_WORKERS: usize = 4;

struct Queued {
    id: JobId,
    op: ValidOp,
    deadline: Deadline,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Queued>,
    idle: usize,
    stopping: bool,
}

struct Inner {
    queue: Mutex<Queue>,
    work_arrived: Condvar,
    results: Mutex<Vec<(JobId, i32)>>,
    /// Readable while `results` may hold something: the owner sleeps on it.
    done_fd: OwnedFd,
}

pub struct Pool {
    inner: Arc<Inner>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    pub fn new() -> Result<Pool, i32> {
        let done_fd = eventfd::create()?;
        let inner = Inner {
            queue: Mutex::new(Queue::default()),
            work_arrived: Condvar::new(),
            results: Mutex::new(Vec::new()),
            done_fd,
        };
        Ok(Pool {
            inner: Arc::new(inner),
            workers: Vec::new(),
        })
    }

    pub fn done_fd(&self) -> i32 {
        self.inner.done_fd.as_raw_fd()
    }

    /// Queues `op`. False when not a single worker could be started: the
    /// caller then has to run it itself.
    pub fn submit(&mut self, id: JobId, op: ValidOp, deadline: Deadline) -> bool {
        let mut q = self.inner.queue.lock();
        q.jobs.push_back(Queued { id, op, deadline });
        let short_of_workers = q.jobs.len() > q.idle && self.workers.len() < MAX_WORKERS;
        drop(q);
        self.inner.work_arrived.notify_one();
        if short_of_workers {
            let inner = self.inner.clone();
            match std::thread::Builder::new()
                .name("urb-ring-worker".into())
                .spawn(move || {
                    crate::fallback::sigpipe::block_on_library_thread();
                    work(&inner)
                }) {
                Ok(worker) => self.workers.push(worker),
                Err(_) if self.workers.is_empty() => return !self.unqueue(id),
                Err(_) => {}
            }
        }
        true
    }

    /// Takes `id` back if no worker has started it yet.
    pub fn unqueue(&self, id: JobId) -> bool {
        let mut q = self.inner.queue.lock();
        match q.jobs.iter().position(|j| j.id == id) {
            Some(i) => q.jobs.remove(i).is_some(),
            None => false,
        }
    }

    /// Moves finished jobs' results into `into`. Called when `done_fd` is
    /// readable; resetting it before draining means a result that arrives
    /// meanwhile either is drained now or signals again.
    pub fn take_results(&self, into: &mut Vec<(JobId, i32)>) {
        eventfd::drain(self.done_fd());
        into.append(&mut self.inner.results.lock());
    }
}

impl Drop for Pool {
    /// Lets the workers finish what is queued, then joins them.
    fn drop(&mut self) {
        self.inner.queue.lock().stopping = true;
        self.inner.work_arrived.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn work(inner: &Inner) {
    loop {
        let job = {
            let mut q = inner.queue.lock();
            loop {
                if let Some(job) = q.jobs.pop_front() {
                    break job;
                }
                if q.stopping {
                    return;
                }
                q.idle += 1;
                inner.work_arrived.wait(&mut q);
                q.idle -= 1;
            }
        };
        // A panic here would leave the owner waiting for this result forever.
        let res = catch_unwind(AssertUnwindSafe(|| exec::execute(&job.op, job.deadline)))
            .unwrap_or(-libc::EIO);
        let mut results = inner.results.lock();
        let was_empty = results.is_empty();
        results.push((job.id, res));
        drop(results);
        if was_empty {
            eventfd::signal(inner.done_fd.as_raw_fd());
        }
    }
}
