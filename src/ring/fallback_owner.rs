//! The owner thread of an async ring on the fallback engine: the requests,
//! results and completions of the io_uring owner, from plain system calls.
//!
//! - Requests that wait for readiness (sockets, pipes, polls) are tried
//!   without blocking and, if they would block, parked on epoll until their
//!   descriptor is ready; the owner thread itself never blocks on one.
//! - Requests that may block however they are issued (regular-file I/O,
//!   openat, statx, fsync, close) run on a small worker pool.
//! - A splice between a pipe and a regular file runs on the pool without
//!   waiting for the pipe (`SPLICE_F_NONBLOCK`), and waits for the pipe on
//!   epoll between tries, so cancels and timeouts reach it.
//! - Sleeps and request timeouts are deadlines that bound the owner's sleep.
//! - Results are io_uring's on a ring (the header's semantics): a request
//!   waits for readiness whatever `O_NONBLOCK` says, a write may be short;
//!   what fails at once in the kernel (accept on a socket that is not
//!   listening, `MSG_ERRQUEUE` on an empty queue) fails at once here too.
//! - The owner and its workers keep `SIGPIPE` blocked: a write they make
//!   for a caller without a reader gives `-EPIPE`, never kills the process.
//!
//! Differences that remain:
//! - a request a worker has already started cannot be interrupted: a timeout
//!   or cancel arriving then leaves it to deliver its real result;
//! - a parked request waits on a descriptor number, not on the file behind
//!   it: if the caller closes the descriptor it stays parked until cancelled
//!   (as under io_uring), but should the number be reused it may act on the
//!   new file. Cancel before closing.

mod parking;
mod pool;

use super::delivery::{urb_completion, URB_CQE_BUFFER_SHIFT, URB_CQE_F_BUFFER, URB_CQE_F_MORE};
use super::inbox::{Multishot, Request};
use super::registry::Registry;
use super::stats::Stats;
use super::Shared;
use crate::fallback::attempt::{self, Attempt};
use crate::fallback::exec;
use crate::op::{Opcode, ValidOp};
use crate::ops::{self, PipeSide, RingRoute};
use crate::sys::descriptor::is_pollable;
use crate::sys::poll::poll_now;
use crate::sys::time::{deadline_after, timeout_ms, Deadline};
use crate::sys::{eventfd, retry};
use parking::{Parking, POOL_KEY, WAKE_KEY};
use pool::Pool;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

/// Requests are numbered in arrival order, never reused: a stale number
/// (a pool result, a chain link to a cancelled request) finds nothing.
type JobId = u64;

const EVENTS_PER_WAKE: usize = 256;

#[derive(Clone, Copy)]
enum Work {
    Op(ValidOp),
    Multishot(Multishot),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Just taken, or in a chain waiting for the requests before it.
    NotStarted,
    /// A sleep (`URB_OP_TIMEOUT`), over when its timer fires; `cut_short`
    /// when that timer is the request's timeout rather than the sleep's end.
    Sleeping { cut_short: bool },
    /// Waiting for this descriptor to become ready.
    Parked(i32),
    /// Handed to the worker pool: queued, or running and beyond reach.
    Pooled,
    /// A try of a splice beside a pipe on the pool (`Job::pipe_side`),
    /// which never waits for the pipe. A cancel or timeout arriving while
    /// it runs is kept in `cut_short`: it ends the request if the try finds
    /// the pipe not ready, and yields to the try's real result otherwise.
    Trying { cut_short: Option<i32> },
}

struct Job {
    token: u64,
    work: Work,
    state: State,
    /// Counted from the moment the request starts, as io_uring's link timeout.
    timeout_ns: Option<u64>,
    /// When the owner must act on its own: the timeout, or a sleep's end.
    timer: Option<Instant>,
    /// See `attempt::try_op`.
    progress: u32,
    /// The next request of its chain, run only if this one succeeds.
    next: Option<JobId>,
    /// The registered tables it uses (`registry::USES_*`).
    uses: u8,
    /// A splice between a pipe and a file: the pipe it waits for between
    /// tries on the pool (`ops::pipe_beside_file`).
    pipe_side: Option<PipeSide>,
}

/// Where a request runs.
enum Route {
    /// Never blocks: done on the spot.
    Inline,
    Sleep,
    Readiness,
    Pool,
    /// Tries on the pool that never wait for the pipe, waiting for it on
    /// epoll in between.
    PoolBesidePipe(PipeSide),
}

fn route(op: &ValidOp) -> Route {
    match op.code.spec().ring_route {
        RingRoute::Inline => Route::Inline,
        RingRoute::Sleep => Route::Sleep,
        RingRoute::Readiness => Route::Readiness,
        RingRoute::ReadinessIfPollable if is_pollable(op.raw.fd) => Route::Readiness,
        RingRoute::ReadinessIfBothPollable
            if is_pollable(op.raw.fd) && is_pollable(op.raw.reserved1 as i32) =>
        {
            Route::Readiness
        }
        RingRoute::ReadinessIfBothPollable => match ops::pipe_beside_file(op) {
            Some(side) => Route::PoolBesidePipe(side),
            None => Route::Pool,
        },
        RingRoute::ReadinessIfPollable | RingRoute::Pool => Route::Pool,
    }
}

/// Runs on the ring's owner thread until the ring is freed and every
/// request has completed.
pub fn run(shared: Arc<Shared>) {
    crate::fallback::sigpipe::block_on_library_thread();
    match Owner::new(shared.clone()) {
        Ok(owner) => owner.run(),
        Err(e) => refuse_everything(&shared, e),
    }
}

struct Owner {
    shared: Arc<Shared>,
    parking: Parking,
    /// Started the first time a request needs it.
    pool: Option<Pool>,
    jobs: HashMap<JobId, Job>,
    next_id: JobId,
    timers: BTreeSet<(Instant, JobId)>,
    /// Chain members whose predecessor finished: true to run, false to cancel.
    successors: VecDeque<(JobId, bool)>,
    /// A chain whose last request has not been taken yet.
    open_chain: Vec<JobId>,
    closing: bool,
    taken: Vec<Request>,
    /// How many of `taken` have been accepted (the rest, after a failure,
    /// complete with its error).
    taken_done: usize,
    batch: Vec<urb_completion>,
    events: Vec<libc::epoll_event>,
    results: Vec<(JobId, i32)>,
    concerned: Vec<JobId>,
}

impl Owner {
    fn new(shared: Arc<Shared>) -> Result<Owner, i32> {
        let parking = Parking::new()?;
        parking.watch(shared.inbox.wake_fd(), WAKE_KEY)?;
        Ok(Owner {
            shared,
            parking,
            pool: None,
            jobs: HashMap::new(),
            next_id: 0,
            timers: BTreeSet::new(),
            successors: VecDeque::new(),
            open_chain: Vec::new(),
            closing: false,
            taken: Vec::new(),
            taken_done: 0,
            batch: Vec::new(),
            events: vec![libc::epoll_event { events: 0, u64: 0 }; EVENTS_PER_WAKE],
            results: Vec::new(),
            concerned: Vec::new(),
        })
    }

    /// Serves the ring until it is freed. A panic ends the ring loudly
    /// instead of leaving waiters hanging: see [`Owner::fail`].
    fn run(mut self) {
        loop {
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.step())) {
                Ok(true) => {}
                // Dropping the pool joins its (idle) workers: nothing
                // touches a caller's buffer once the ring is gone.
                Ok(false) => return,
                Err(_) => return self.fail(crate::errors::PANICKED),
            }
        }
    }

    /// One turn; false once the ring is freed and every request has ended.
    fn step(&mut self) -> bool {
        self.shared.injected_panic();
        self.closing = self.shared.inbox.is_closing();
        self.shared.inbox.take(&mut self.taken);
        let had_work = self.taken_done < self.taken.len();
        while self.taken_done < self.taken.len() {
            let req = self.taken[self.taken_done];
            self.taken_done += 1;
            self.accept(req);
            self.run_successors();
        }
        self.taken.clear();
        self.taken_done = 0;
        if self.closing {
            self.cancel_everything();
        }
        self.deliver();
        if self.closing && self.jobs.is_empty() {
            return false;
        }
        let sleep = !had_work && !self.closing && self.shared.inbox.prepare_sleep();
        // Closing, only running pool jobs are left: sleep until they end.
        let timeout = if sleep || self.closing {
            self.timeout_ms()
        } else {
            0
        };
        Stats::bump(&self.shared.stats.enters, 1);
        let n = self.parking.wait(&mut self.events, timeout);
        if sleep {
            self.shared.inbox.woke();
        }
        for i in 0..n {
            let ev = self.events[i];
            self.on_event(ev.u64, ev.events);
        }
        self.fire_timers();
        self.run_successors();
        self.deliver();
        true
    }

    /// The owner can no longer serve the ring (a bug, caught as a panic).
    /// Every later request is refused with `err`; requests taken but not
    /// started and requests not on a worker complete with `err`; a request
    /// a worker is running completes with its real result when the worker is
    /// done (until then the kernel may still write its buffer).
    fn fail(mut self, err: i32) {
        eprintln!(
            "uringbridge: an async ring failed ({}); its requests complete with that error",
            crate::errors::describe(err)
        );
        self.shared.inbox.fail(err);
        let mut unstarted: Vec<Request> = self
            .taken
            .drain(self.taken_done.min(self.taken.len())..)
            .collect();
        self.shared.inbox.take(&mut unstarted);
        let mut undelivered: Vec<urb_completion> = std::mem::take(&mut self.batch);
        for req in unstarted {
            if let Request::Op { token, .. } | Request::Multishot { token, .. } = req {
                undelivered.push(urb_completion {
                    token,
                    res: err,
                    flags: 0,
                });
            }
        }
        let mut running = Vec::new();
        for (&id, job) in &self.jobs {
            let on_worker = matches!(job.state, State::Pooled | State::Trying { .. })
                && !self.pool.as_ref().is_some_and(|p| p.unqueue(id));
            if on_worker {
                running.push(id);
            } else {
                undelivered.push(urb_completion {
                    token: job.token,
                    res: err,
                    flags: 0,
                });
            }
        }
        self.jobs.retain(|id, _| running.contains(id));
        for job in self.jobs.values_mut() {
            // A try that finds its pipe not ready ends with `err`, never
            // waiting on a ring that can no longer serve it.
            if let State::Trying { cut_short } = &mut job.state {
                cut_short.get_or_insert(err);
            }
        }
        self.shared
            .stats
            .in_flight
            .store(self.jobs.len() as u64, Relaxed);
        Stats::bump(&self.shared.stats.completions, undelivered.len() as u64);
        self.shared.delivery.deliver(&undelivered);
        self.shared.delivery.wake_waiters();
        // The real results of what the workers are running.
        while !self.jobs.is_empty() {
            let turn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let n = self.parking.wait(&mut self.events, 1000);
                for i in 0..n {
                    if self.events[i].u64 == POOL_KEY {
                        self.on_event(POOL_KEY, self.events[i].events);
                    }
                }
                self.successors.clear(); // a failed ring starts nothing new
                self.deliver();
            }));
            if turn.is_err() {
                let rest: Vec<urb_completion> = self
                    .jobs
                    .drain()
                    .map(|(_, job)| urb_completion {
                        token: job.token,
                        res: err,
                        flags: 0,
                    })
                    .collect();
                self.shared.stats.in_flight.store(0, Relaxed);
                self.shared.delivery.deliver(&rest);
                return;
            }
        }
    }

    fn deliver(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        Stats::bump(&self.shared.stats.completions, batch.len() as u64);
        self.shared.delivery.deliver(&batch);
        self.batch = batch;
        self.batch.clear();
    }

    fn timeout_ms(&self) -> i32 {
        timeout_ms(self.timers.first().map(|&(at, _)| at))
    }

    fn accept(&mut self, req: Request) {
        match req {
            Request::Op {
                op,
                token,
                timeout_ns,
                linked,
            } => {
                let id = self.add_job(token, Work::Op(op), timeout_ns);
                self.open_chain.push(id);
                if !linked {
                    let chain = std::mem::take(&mut self.open_chain);
                    self.start_chain(&chain);
                }
            }
            Request::Multishot { kind, token } => {
                let id = self.add_job(token, Work::Multishot(kind), None);
                self.start(id);
            }
            Request::Cancel { token } => {
                let mut ids: Vec<JobId> = self
                    .jobs
                    .iter()
                    .filter(|(_, j)| j.token == token)
                    .map(|(&id, _)| id)
                    .collect();
                ids.sort_unstable();
                for id in ids {
                    self.cancel(id, -libc::ECANCELED);
                }
            }
        }
    }

    fn add_job(&mut self, token: u64, work: Work, timeout_ns: Option<u64>) -> JobId {
        let id = self.next_id;
        self.next_id += 1;
        let job = Job {
            token,
            work,
            state: State::NotStarted,
            timeout_ns,
            timer: None,
            progress: 0,
            next: None,
            pipe_side: None,
            uses: match work {
                Work::Op(op) => Registry::uses(&op),
                Work::Multishot(_) => 0,
            },
        };
        self.jobs.insert(id, job);
        Stats::bump(&self.shared.stats.in_flight, 1);
        id
    }

    /// Links a chain and starts its head. A member already gone (cancelled
    /// before its chain was complete) failed, so everything after it fails.
    fn start_chain(&mut self, chain: &[JobId]) {
        let gone = chain
            .iter()
            .position(|id| !self.jobs.contains_key(id))
            .unwrap_or(chain.len());
        for pair in chain[..gone].windows(2) {
            if let Some(job) = self.jobs.get_mut(&pair[0]) {
                job.next = Some(pair[1]);
            }
        }
        for &id in chain.iter().skip(gone + 1) {
            self.end(id, -libc::ECANCELED);
        }
        if gone > 0 {
            self.start(chain[0]);
        }
    }

    fn run_successors(&mut self) {
        while let Some((id, run)) = self.successors.pop_front() {
            if run {
                self.start(id);
            } else {
                self.end(id, -libc::ECANCELED);
            }
        }
    }

    fn start(&mut self, id: JobId) {
        let Some(job) = self.jobs.get(&id) else {
            return;
        };
        if self.closing {
            self.end(id, -libc::ECANCELED);
            return;
        }
        let deadline = job.timeout_ns.map(deadline_after);
        let op = match job.work {
            Work::Op(op) => op,
            Work::Multishot(kind) => return self.arm_multishot(id, kind),
        };
        // A registered file or buffer, as io_uring would look it up.
        let op = match self.shared.registry.resolve(&op) {
            Ok(op) => op,
            Err(e) => return self.finish(id, e),
        };
        if let Some(job) = self.jobs.get_mut(&id) {
            job.work = Work::Op(op);
        }
        match route(&op) {
            Route::Inline => self.finish(id, exec::execute(&op, None)),
            Route::Sleep => {
                let end = deadline_after(op.raw.offset);
                let cut_short = deadline.is_some_and(|d| d < end);
                self.set_state(id, State::Sleeping { cut_short });
                self.set_timer(
                    id,
                    if cut_short {
                        deadline.unwrap_or(end)
                    } else {
                        end
                    },
                );
            }
            Route::Readiness => match self.try_job(id, &op) {
                Attempt::Done(res) => self.finish(id, res),
                Attempt::Again => {
                    if let Some(d) = deadline {
                        self.set_timer(id, d);
                    }
                    let (fd, events) = ops::wait_target(&op);
                    self.park(id, fd, events);
                }
            },
            Route::Pool => self.hand_to_pool(id, op, deadline),
            Route::PoolBesidePipe(side) => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    job.pipe_side = Some(side);
                }
                self.hand_to_pool(id, op, deadline);
            }
        }
    }

    fn try_job(&mut self, id: JobId, op: &ValidOp) -> Attempt {
        match self.jobs.get_mut(&id) {
            Some(job) => attempt::try_op(op, &mut job.progress),
            None => Attempt::Again,
        }
    }

    fn set_state(&mut self, id: JobId, state: State) {
        if let Some(job) = self.jobs.get_mut(&id) {
            job.state = state;
        }
    }

    fn set_timer(&mut self, id: JobId, at: Instant) {
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        if let Some(old) = job.timer.replace(at) {
            self.timers.remove(&(old, id));
        }
        self.timers.insert((at, id));
    }

    fn park(&mut self, id: JobId, fd: i32, interest: u32) {
        match self.parking.park(fd, id, interest) {
            Ok(()) => self.set_state(id, State::Parked(fd)),
            Err(e) if e == -libc::EPERM => self.unpollable(id, fd),
            Err(e) => self.finish(id, e),
        }
    }

    /// After a try that would still block: a request on two descriptors
    /// (splice, tee) now waits on the other one if that is the one not
    /// ready (`ops::wait_target`); any other stays where it is.
    fn repark(&mut self, id: JobId, parked_on: i32, op: &ValidOp) {
        let (fd, events) = ops::wait_target(op);
        if fd != parked_on {
            self.parking.unpark(parked_on, id);
            self.park(id, fd, events);
        }
    }

    /// A descriptor epoll refuses (like a regular file) is always ready:
    /// nothing waits on it, so whatever would have waited runs now.
    fn unpollable(&mut self, id: JobId, fd: i32) {
        let Some(job) = self.jobs.get(&id) else {
            return;
        };
        match job.work {
            Work::Op(op) if op.code == Opcode::Poll => {
                self.finish(id, poll_now(fd, op.raw.op_flags))
            }
            Work::Op(op) => {
                let deadline = job.timer;
                self.hand_to_pool(id, op, deadline);
            }
            Work::Multishot(Multishot::Poll { events, .. }) => {
                self.finish(id, poll_now(fd, events))
            }
            Work::Multishot(_) => self.finish(id, -libc::EPERM),
        }
    }

    fn hand_to_pool(&mut self, id: JobId, op: ValidOp, deadline: Deadline) {
        if self.pool.is_none() {
            self.pool = Pool::new()
                .ok()
                .filter(|p| self.parking.watch(p.done_fd(), POOL_KEY).is_ok());
        }
        let beside_pipe = self.jobs.get(&id).is_some_and(|j| j.pipe_side.is_some());
        let (op, state) = if beside_pipe {
            (ops::without_waiting(&op), State::Trying { cut_short: None })
        } else {
            (op, State::Pooled)
        };
        self.set_state(id, state);
        if let Some(d) = deadline {
            if self.jobs.get(&id).is_some_and(|j| j.timer.is_none()) {
                self.set_timer(id, d);
            }
        }
        let queued = match &mut self.pool {
            Some(pool) => pool.submit(id, op, deadline),
            None => false,
        };
        if !queued {
            // No worker to be had: slower, but the request still runs.
            self.pool_done(id, exec::execute(&op, deadline));
        }
    }

    /// A worker's result. A splice beside a pipe whose try found the pipe
    /// not ready waits for it on epoll and is tried again (on the pool)
    /// once it is ready; cut short meanwhile, it ends with the cancel's or
    /// timeout's result, having moved nothing.
    fn pool_done(&mut self, id: JobId, res: i32) {
        let Some(job) = self.jobs.get(&id) else {
            return;
        };
        match (job.state, job.pipe_side) {
            (State::Trying { cut_short }, Some(side))
                if res == -libc::EAGAIN && !side.again_is_final =>
            {
                match cut_short {
                    Some(e) => self.end(id, e),
                    None if self.closing => self.end(id, -libc::ECANCELED),
                    None => self.park(id, side.fd, side.events),
                }
            }
            _ => self.finish(id, res),
        }
    }

    fn arm_multishot(&mut self, id: JobId, kind: Multishot) {
        match kind {
            Multishot::Accept { fd, .. } | Multishot::Recv { fd, .. } => {
                self.drain(id, kind);
                if self
                    .jobs
                    .get(&id)
                    .is_some_and(|j| j.state == State::NotStarted)
                {
                    self.park(id, fd, libc::EPOLLIN as u32);
                }
            }
            // Arming makes epoll report readiness that already exists.
            Multishot::Poll { fd, events } => self.park(id, fd, events),
        }
    }

    /// Serves a multishot accept or receive until it would block or ends.
    fn drain(&mut self, id: JobId, kind: Multishot) {
        let shared = self.shared.clone();
        loop {
            let Some(token) = self.jobs.get(&id).map(|j| j.token) else {
                return;
            };
            match kind {
                Multishot::Accept { fd, flags } => {
                    match attempt::accept(fd, std::ptr::null_mut(), std::ptr::null_mut(), flags) {
                        Attempt::Again => return,
                        Attempt::Done(conn) if conn >= 0 => self.more(token, conn, 0),
                        Attempt::Done(e) => return self.finish(id, e),
                    }
                }
                Multishot::Recv { fd, flags } => {
                    let Some(buffers) = shared.buffers.as_ref() else {
                        return self.finish(id, -libc::EINVAL);
                    };
                    let Some(bid) = buffers.take() else {
                        return self.finish(id, -libc::ENOBUFS);
                    };
                    let Some(buf) = buffers.ptr(bid as u32) else {
                        return self.finish(id, -libc::EINVAL);
                    };
                    // SAFETY: a lent-out buffer of the ring's, `size()` bytes.
                    let n = retry(|| unsafe {
                        libc::recv(
                            fd,
                            buf.cast(),
                            buffers.size() as usize,
                            flags | libc::MSG_DONTWAIT,
                        )
                    });
                    if n > 0 {
                        self.more(
                            token,
                            n,
                            URB_CQE_F_BUFFER | (bid as u32) << URB_CQE_BUFFER_SHIFT,
                        );
                        continue;
                    }
                    let _ = buffers.release(bid as u32);
                    if n == -libc::EAGAIN {
                        return;
                    }
                    return self.finish(id, n); // end of stream, or an error
                }
                Multishot::Poll { .. } => return,
            }
        }
    }

    /// One completion of a multishot request that stays armed.
    fn more(&mut self, token: u64, res: i32, flags: u32) {
        self.batch.push(urb_completion {
            token,
            res,
            flags: flags | URB_CQE_F_MORE,
        });
    }

    fn on_event(&mut self, key: u64, events: u32) {
        match key {
            WAKE_KEY => eventfd::drain(self.shared.inbox.wake_fd()),
            POOL_KEY => {
                let mut results = std::mem::take(&mut self.results);
                if let Some(pool) = &self.pool {
                    pool.take_results(&mut results);
                }
                for (id, res) in results.drain(..) {
                    self.pool_done(id, res);
                }
                self.results = results;
            }
            fd => {
                let fd = fd as i32;
                let mut concerned = std::mem::take(&mut self.concerned);
                self.parking.concerned(fd, events, &mut concerned);
                for &id in &concerned {
                    self.on_ready(id, fd, events);
                }
                self.concerned = concerned;
            }
        }
    }

    fn on_ready(&mut self, id: JobId, fd: i32, events: u32) {
        let Some(job) = self.jobs.get(&id) else {
            return;
        };
        if job.state != State::Parked(fd) {
            return;
        }
        let token = job.token;
        if job.pipe_side.is_some() {
            if let Work::Op(op) = job.work {
                let deadline = job.timer;
                self.parking.unpark(fd, id);
                return self.hand_to_pool(id, op, deadline);
            }
        }
        match job.work {
            Work::Op(op) => match self.try_job(id, &op) {
                Attempt::Done(res) => self.finish(id, res),
                Attempt::Again => self.repark(id, fd, &op),
            },
            Work::Multishot(Multishot::Poll { events: wanted, .. }) => {
                let ready = events & (wanted | (libc::EPOLLERR | libc::EPOLLHUP) as u32);
                if ready != 0 {
                    self.more(token, ready as u16 as i32, 0);
                }
            }
            Work::Multishot(kind) => self.drain(id, kind),
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(&(at, id)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.remove(&(at, id));
            let Some(job) = self.jobs.get_mut(&id) else {
                continue;
            };
            job.timer = None;
            if job.state == (State::Sleeping { cut_short: false }) {
                self.finish(id, 0);
            } else {
                self.cancel(id, -libc::ETIME);
            }
        }
    }

    /// Ends request `id` early with `res`, unless a worker already runs it.
    fn cancel(&mut self, id: JobId, res: i32) {
        let Some(job) = self.jobs.get(&id) else {
            return;
        };
        if job.state == State::Pooled {
            if self.pool.as_ref().is_some_and(|p| p.unqueue(id)) {
                self.end(id, res);
            }
            return;
        }
        if let State::Trying { .. } = job.state {
            if self.pool.as_ref().is_some_and(|p| p.unqueue(id)) {
                self.end(id, res);
            } else if let Some(State::Trying { cut_short }) =
                self.jobs.get_mut(&id).map(|j| &mut j.state)
            {
                cut_short.get_or_insert(res);
            }
            return;
        }
        // What a partly done transfer moved is reported, not lost.
        let moved = match job.work {
            Work::Op(op) => ops::moved(&op, job.progress),
            Work::Multishot(_) => None,
        };
        self.end(id, moved.unwrap_or(res));
    }

    fn cancel_everything(&mut self) {
        self.open_chain.clear();
        let mut ids: Vec<JobId> = self.jobs.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.cancel(id, -libc::ECANCELED);
        }
        self.run_successors();
    }

    /// The request's final completion, from the raw result of its operation.
    fn finish(&mut self, id: JobId, raw: i32) {
        let res = match self.jobs.get(&id).map(|j| j.work) {
            Some(Work::Op(op)) => op.finish(raw),
            _ => raw,
        };
        self.end(id, res);
    }

    /// The request's final completion; its chain goes on or is cancelled.
    fn end(&mut self, id: JobId, res: i32) {
        let Some(job) = self.jobs.remove(&id) else {
            return;
        };
        if let Some(at) = job.timer {
            self.timers.remove(&(at, id));
        }
        if let State::Parked(fd) = job.state {
            self.parking.unpark(fd, id);
        }
        let breaks_chain = match job.work {
            Work::Op(op) => op.breaks_chain(res),
            Work::Multishot(_) => true,
        };
        self.batch.push(urb_completion {
            token: job.token,
            res,
            flags: 0,
        });
        self.shared.stats.in_flight.fetch_sub(1, Relaxed);
        self.shared.registry.end(job.uses);
        if let Some(next) = job.next {
            self.successors.push_back((next, !breaks_chain));
        }
    }
}

/// Without an epoll set nothing can wait; every request fails with the
/// reason, so none is left without its completion.
fn refuse_everything(shared: &Shared, err: i32) {
    let mut taken = Vec::new();
    let mut batch = Vec::new();
    loop {
        let closing = shared.inbox.is_closing();
        shared.inbox.take(&mut taken);
        for req in taken.drain(..) {
            match req {
                Request::Op { token, .. } | Request::Multishot { token, .. } => {
                    batch.push(urb_completion {
                        token,
                        res: err,
                        flags: 0,
                    })
                }
                Request::Cancel { .. } => {}
            }
        }
        Stats::bump(&shared.stats.completions, batch.len() as u64);
        shared.delivery.deliver(&batch);
        batch.clear();
        if closing {
            return;
        }
        if shared.inbox.prepare_sleep() {
            let mut p = libc::pollfd {
                fd: shared.inbox.wake_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut p, 1, -1) };
            eventfd::drain(shared.inbox.wake_fd());
            shared.inbox.woke();
        }
    }
}
