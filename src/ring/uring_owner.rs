//! The owner thread of an io_uring-backed async ring: the only thread that
//! calls `io_uring_enter` on it. It moves requests from the inbox to the SQ
//! in batches, sleeps in the kernel until something completes or a submitter
//! pokes it, and hands completions to the delivery side.

use super::delivery::{urb_completion, URB_CQE_F_MORE};
use super::inbox::{Multishot, Request};
use super::stats::Stats;
use super::Shared;
use crate::op::{Opcode, ValidOp};

const IORING_ENTER_GETEVENTS: u32 = 1;
const IORING_ENTER_SQ_WAKEUP: u32 = 2;

enum Spun {
    Requests,
    Completions,
    Nothing,
}
use crate::uring::encode::{encode, link_timeout, timespec, SqeArgs};
use crate::uring::registered::RegisteredRing;
use io_uring::{cqueue, opcode, register, squeue::Entry, squeue::Flags, types, IoUring};
use std::sync::Arc;
use std::time::{Duration, Instant};

// user_data = tag << 60 | slot index.
const TAG_SHIFT: u32 = 60;
const TAG_OP: u64 = 0;
const TAG_TIMER: u64 = 1;
const TAG_WAKE: u64 = 2;
const TAG_CANCEL: u64 = 3;
const INDEX_MASK: u64 = (1 << TAG_SHIFT) - 1;

struct Slot {
    token: u64,
    /// None for multishot requests, whose results pass through untouched.
    code: Option<Opcode>,
    /// CQEs still to come before the slot is free (2 with a link timeout).
    outstanding: u8,
    res: i32,
    timer_fired: bool,
    /// For a poll: the events asked for.
    poll_events: i16,
    /// The library asked the kernel to cancel it (`urb_ring_cancel`, or the
    /// ring being freed).
    cancelled: bool,
    /// The final CQE's flags (a provided buffer may ride on it).
    flags: u32,
    /// The registered tables it uses (`registry::USES_*`).
    uses: u8,
    /// Timespecs the kernel reads when it takes the SQEs: boxed so they do
    /// not move, and only for the requests that have any (sleeps, timeouts).
    kernel_mem: Option<Box<KernelMem>>,
}

#[derive(Default)]
struct KernelMem {
    args: SqeArgs,
    timer: types::Timespec,
}

pub struct Owner {
    /// Entered by its registered index (see `uring::registered`): a stray
    /// close of its number by the program cannot break the ring.
    ring: RegisteredRing,
    shared: Arc<Shared>,
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    in_flight: usize,
    wake_buf: Box<u64>,
    wake_armed: bool,
    cancelled_all: bool,
    taken: Vec<Request>,
    /// How many of `taken` have been accepted (the rest, after a failure,
    /// complete with its error).
    taken_done: usize,
    /// An `io_uring_enter` error that retrying cannot mend.
    fatal: Option<i32>,
    /// See [`Owner::hold`].
    holding: bool,
    held: Vec<Entry>,
    batch: Vec<urb_completion>,
    cqes: Vec<cqueue::Entry>,
    seen_overflow: u32,
    sqpoll: bool,
    /// Driven by its own thread: SQEs wait for the next enter.
    unsubmitted: bool,
}

/// Sets the ring up on the calling thread, which becomes its owner: with
/// SINGLE_ISSUER the creating thread must be the one that submits.
pub fn start(shared: Arc<Shared>) -> Result<Owner, i32> {
    let errno = |e: std::io::Error| -e.raw_os_error().unwrap_or(libc::EINVAL);
    let allow_list = shared.config.allow_list();
    // Registered first: once restrictions are enabled the kernel refuses it.
    let ring = RegisteredRing::new(build(&shared, allow_list.is_some()).map_err(errno)?);
    if let Some(b) = &shared.buffers {
        // SAFETY: the buffer ring mapping lives as long as `shared`, which
        // the owner holds until the ring is gone.
        unsafe {
            ring.ring().submitter().register_buf_ring_with_flags(
                b.ring_addr(),
                b.count() as u16,
                super::buffers::GROUP_ID,
                0,
            )
        }
        .map_err(errno)?;
    }
    if let Some(ops) = allow_list {
        // The allow-list is enforced before a request reaches the ring; the
        // kernel enforces it again, so even a bug in the library cannot
        // issue anything else. The ring was created disabled for this.
        ring.ring()
            .submitter()
            .register_restrictions(&mut kernel_restrictions(&ops))
            .map_err(errno)?;
        ring.ring()
            .submitter()
            .register_enable_rings()
            .map_err(errno)?;
    }
    Ok(Owner::new(ring, shared))
}

/// The kernel-side allow-list: the allowed operations plus what the owner
/// itself issues (its wake-up read, cancels, link timeouts).
fn kernel_restrictions(ops: &[Opcode]) -> Vec<register::Restriction> {
    let own = [
        opcode::Read::CODE,
        opcode::AsyncCancel::CODE,
        opcode::LinkTimeout::CODE,
    ];
    let mut codes: Vec<u8> = ops.iter().map(|c| c.kernel_opcode()).chain(own).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut r: Vec<register::Restriction> = codes
        .into_iter()
        .map(register::Restriction::sqe_op)
        .collect();
    let link_and_buffers = (Flags::IO_LINK | Flags::BUFFER_SELECT).bits();
    r.push(register::Restriction::sqe_flags_allowed(link_and_buffers));
    r
}

fn build(shared: &Shared, disabled: bool) -> std::io::Result<IoUring> {
    let cfg = &shared.config;
    let mut b = IoUring::builder();
    b.dontfork();
    if disabled {
        b.setup_r_disabled();
    }
    b.setup_cqsize(cfg.cq_entries);
    if let Some(idle) = cfg.sqpoll_idle_ms {
        b.setup_sqpoll(idle);
    } else {
        // TASKRUN_FLAG: the kernel flags deferred completions in the SQ ring,
        // which lets the spinning owner see them without a system call.
        b.setup_single_issuer()
            .setup_defer_taskrun()
            .setup_submit_all()
            .setup_taskrun_flag();
    }
    match b.build(cfg.entries) {
        Ok(r) => Ok(r),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            // An older kernel without the optional flags.
            let mut b = IoUring::builder();
            b.dontfork().setup_cqsize(cfg.cq_entries);
            if disabled {
                b.setup_r_disabled();
            }
            if let Some(idle) = cfg.sqpoll_idle_ms {
                b.setup_sqpoll(idle);
            }
            b.build(cfg.entries)
        }
        Err(e) => Err(e),
    }
}

/// What [`Owner::drive`] does after queueing.
#[derive(Clone, Copy, Debug)]
pub enum Turn {
    /// Nothing more: the next turn that enters submits them.
    Queue,
    /// Submit, and take what finished, without waiting.
    Poll,
    /// Submit, and wait for a CQE (at most this long, if given).
    Wait(Option<Duration>),
}

fn is_linked(r: &Request) -> bool {
    matches!(r, Request::Op { linked: true, .. })
}

impl Owner {
    pub fn new(ring: RegisteredRing, shared: Arc<Shared>) -> Owner {
        let sqpoll = ring.ring().params().is_setup_sqpoll();
        Owner {
            ring,
            shared,
            slots: Vec::new(),
            free: Vec::new(),
            in_flight: 0,
            wake_buf: Box::new(0),
            wake_armed: false,
            cancelled_all: false,
            taken: Vec::new(),
            taken_done: 0,
            fatal: None,
            holding: false,
            held: Vec::new(),
            batch: Vec::new(),
            cqes: Vec::new(),
            seen_overflow: 0,
            sqpoll,
            unsubmitted: false,
        }
    }

    /// Serves the ring until it is freed. A panic or an `io_uring_enter`
    /// error that retrying cannot mend ends the ring loudly instead of
    /// leaving waiters hanging: see [`Owner::fail`].
    pub fn run(mut self) {
        loop {
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.step())) {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => return,
                Ok(Err(e)) => return self.fail(e),
                Err(_) => return self.fail(crate::errors::PANICKED),
            }
        }
    }

    /// One turn: take requests, submit, sleep or not, reap. `Ok(false)` once
    /// the ring is freed and nothing is left in flight.
    fn step(&mut self) -> Result<bool, i32> {
        self.shared.injected_panic();
        self.shared.registry.serve(self.ring.ring());
        self.shared.inbox.take(&mut self.taken);
        let had_work = self.taken_done < self.taken.len();
        self.accept_taken();
        let closing = self.shared.inbox.is_closing();
        if closing {
            if self.in_flight == 0 && !self.wake_armed {
                return Ok(false);
            }
            if !self.cancelled_all {
                self.push(
                    opcode::AsyncCancel2::new(types::CancelBuilder::any()).build(),
                    TAG_CANCEL,
                    0,
                );
                self.cancelled_all = true;
                for slot in self.slots.iter_mut().flatten() {
                    slot.cancelled = true;
                }
            }
        } else if !self.wake_armed {
            self.arm_wake();
        }
        if !had_work && !closing {
            match self.spin_for_work() {
                Spun::Requests => return self.fatal.map_or(Ok(true), Err),
                Spun::Completions => {
                    self.enter(0);
                    self.reap();
                    return self.fatal.map_or(Ok(true), Err);
                }
                Spun::Nothing => {}
            }
        }
        let sleep =
            !had_work && !closing && self.fatal.is_none() && self.shared.inbox.prepare_sleep();
        self.enter(if sleep { 1 } else { 0 });
        if sleep {
            self.shared.inbox.woke();
        }
        self.reap();
        self.fatal.map_or(Ok(true), Err)
    }

    /// Moves what `taken` holds into the SQ (chains whole).
    fn accept_taken(&mut self) {
        let mut chain_left = 0;
        while self.taken_done < self.taken.len() {
            let i = self.taken_done;
            if chain_left == 0 {
                // A chain must reach the kernel in one submission: make
                // room for all of it before its first SQE.
                chain_left = self.taken[i..].iter().take_while(|r| is_linked(r)).count() + 1;
                if chain_left > 1 {
                    self.reserve(chain_left);
                    self.hold();
                }
            }
            chain_left -= 1;
            let req = self.taken[i];
            self.accept(req);
            self.taken_done = i + 1;
            if chain_left == 0 && self.holding {
                self.publish_held();
            }
        }
        self.taken.clear();
        self.taken_done = 0;
    }

    /// A `URB_RING_SINGLE_THREAD` ring, driven by its own thread inside
    /// its calls: queues `reqs` in the SQ (after what a callback queued in
    /// the inbox), then, unless `turn` only queues, enters once — which
    /// submits everything queued since the last enter — waiting as `turn`
    /// says, reaps and delivers. Err: the error the ring fails with (see
    /// [`Owner::fail`]).
    pub fn drive(&mut self, reqs: &[Request], turn: Turn) -> Result<(), i32> {
        self.shared.injected_panic();
        self.shared.registry.serve(self.ring.ring());
        self.shared.inbox.take(&mut self.taken);
        self.taken.extend_from_slice(reqs);
        self.accept_taken();
        match turn {
            Turn::Queue => {
                self.unsubmitted = !self.ring.ring_mut().submission().is_empty();
                return self.fatal.map_or(Ok(()), Err);
            }
            Turn::Poll => self.enter(0),
            Turn::Wait(None) => self.enter(1),
            Turn::Wait(Some(limit)) => self.enter_for(limit),
        }
        self.unsubmitted = false;
        self.reap();
        // What callbacks submitted while their completions were delivered.
        while self.fatal.is_none() && self.shared.inbox.has_pending() {
            self.shared.inbox.take(&mut self.taken);
            self.accept_taken();
            self.enter(0);
            self.reap();
        }
        self.fatal.map_or(Ok(()), Err)
    }

    /// Whether requests wait in the SQ for the next enter.
    pub fn unsubmitted(&self) -> bool {
        self.unsubmitted
    }

    /// `urb_ring_free` on a `URB_RING_SINGLE_THREAD` ring's own thread:
    /// cancels what is in flight and waits until the kernel is done with
    /// every request (their completions are delivered as on other rings).
    pub fn close_inline(&mut self) {
        if self.in_flight > 0 && self.fatal.is_none() {
            self.push(
                opcode::AsyncCancel2::new(types::CancelBuilder::any()).build(),
                TAG_CANCEL,
                0,
            );
            for slot in self.slots.iter_mut().flatten() {
                slot.cancelled = true;
            }
        }
        while self.in_flight > 0 && self.fatal.is_none() {
            self.enter(1);
            self.reap();
        }
    }

    /// Before a drop on another thread than the ring's, once that thread
    /// has exited: the kernel has ended its requests, and the ring's slot
    /// in the exited thread's table went with it.
    pub fn disown_thread(&mut self) {
        self.ring.disown_thread();
    }

    /// The owner can no longer serve the ring. From now on every request is
    /// refused with `err`; requests taken but not yet submitted complete
    /// with `err`; requests in the kernel are cancelled and drained (a few
    /// tries, as far as the ring still works), and whatever is still
    /// unaccounted for completes with `err`. Then the owner thread ends (the
    /// kernel cancels anything left when the ring's descriptor closes).
    pub fn fail(mut self, err: i32) {
        eprintln!(
            "uringbridge: an async ring failed ({}); its requests complete with that error",
            crate::errors::describe(err)
        );
        self.shared.inbox.fail(err);
        let mut undelivered = std::mem::take(&mut self.batch);
        let pending: Vec<Request> = self
            .taken
            .drain(self.taken_done.min(self.taken.len())..)
            .collect();
        let mut late = Vec::new();
        self.shared.inbox.take(&mut late);
        for req in pending.into_iter().chain(late) {
            if let Request::Op { token, .. } | Request::Multishot { token, .. } = req {
                undelivered.push(urb_completion {
                    token,
                    res: err,
                    flags: 0,
                });
            }
        }
        let drained = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if self.in_flight == 0 {
                return;
            }
            self.fatal = None;
            self.push(
                opcode::AsyncCancel2::new(types::CancelBuilder::any()).build(),
                TAG_CANCEL,
                0,
            );
            for _ in 0..100 {
                if self.in_flight == 0 || self.fatal.is_some() {
                    break;
                }
                self.enter(1);
                self.reap();
            }
        }));
        let _ = drained;
        for slot in self.slots.iter_mut().filter_map(|s| s.take()) {
            undelivered.push(urb_completion {
                token: slot.token,
                res: err,
                flags: 0,
            });
        }
        self.in_flight = 0;
        self.shared
            .stats
            .in_flight
            .store(0, std::sync::atomic::Ordering::Relaxed);
        Stats::bump(&self.shared.stats.completions, undelivered.len() as u64);
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.shared.delivery.deliver(&undelivered)
        }));
        self.shared.delivery.wake_waiters();
    }

    /// Before paying for a sleep and a wake-up (several microseconds each
    /// way), watch briefly for new requests or finished kernel work: a busy
    /// submitter then hands over without any system call.
    fn spin_for_work(&self) -> Spun {
        let start = Instant::now();
        loop {
            for _ in 0..64 {
                if self.shared.inbox.has_pending() {
                    return Spun::Requests;
                }
                // SAFETY: only the owner thread touches the SQ.
                if unsafe { self.ring.ring().submission_shared() }.taskrun() {
                    return Spun::Completions;
                }
                std::hint::spin_loop();
            }
            if start.elapsed() >= super::spin_budget() {
                return Spun::Nothing;
            }
        }
    }

    fn enter(&mut self, want: u32) {
        self.enter_with(want, None)
    }

    /// Waits for one CQE for at most `limit` (a timeout is not an error).
    fn enter_for(&mut self, limit: Duration) {
        self.enter_with(1, Some(limit))
    }

    fn enter_with(&mut self, want: u32, limit: Option<Duration>) {
        Stats::bump(&self.shared.stats.enters, 1);
        let to_submit = self.ring.ring_mut().submission().len() as u32;
        // GETEVENTS even when not waiting: with DEFER_TASKRUN that is what
        // runs completions.
        let mut flags = IORING_ENTER_GETEVENTS;
        // On an SQPOLL ring the kernel's SQ thread submits, and it goes to
        // sleep after `sqpoll_idle_ms` without work: then only
        // IORING_ENTER_SQ_WAKEUP makes it look at the SQ again. Without it
        // the SQEs just pushed (the wake-up read included) are never seen
        // and the owner sleeps for ever.
        if self.sqpoll && self.ring.ring_mut().submission().need_wakeup() {
            flags |= IORING_ENTER_SQ_WAKEUP;
        }
        let r = match (self.shared.take_enter_fault(), limit) {
            (Some(errno), _) => Err(std::io::Error::from_raw_os_error(errno)),
            (None, None) => self.ring.enter(to_submit, want, flags),
            (None, Some(limit)) => self.ring.enter_timeout(to_submit, want, flags, limit),
        };
        if let Err(e) = r {
            match e.raw_os_error() {
                Some(libc::EINTR) | Some(libc::EAGAIN) | Some(libc::EBUSY) | Some(libc::ETIME) => {}
                other => self.fatal = Some(-other.unwrap_or(libc::EIO)),
            }
        }
    }

    /// Pushes one SQE, flushing the SQ first if it is full.
    fn push(&mut self, e: Entry, tag: u64, index: u32) {
        let e = e.user_data(tag << TAG_SHIFT | index as u64);
        if self.holding {
            self.held.push(e);
            return;
        }
        loop {
            // SAFETY: pointers in `e` live in slots (boxed) or in the caller's
            // buffers, which the caller keeps valid until completion.
            if unsafe { self.ring.ring_mut().submission().push(&e) }.is_ok() {
                return;
            }
            if self.fatal.is_some() {
                return; // the ring is failing: its slot completes with the error
            }
            self.flush_full_sq();
        }
    }

    /// SQEs that must reach the kernel together (a chain, a request and
    /// its link timeout) are held and published with one tail update: on an
    /// SQPOLL ring the kernel's SQ thread takes SQEs as soon as the tail
    /// moves, and a chain it saw half of would run as two. Room for them
    /// was reserved before the first was held.
    fn hold(&mut self) {
        self.holding = true;
    }

    fn publish_held(&mut self) {
        self.holding = false;
        let held = std::mem::take(&mut self.held);
        loop {
            // SAFETY: as in `push`.
            if unsafe { self.ring.ring_mut().submission().push_multiple(&held) }.is_ok()
                || self.fatal.is_some()
            {
                break;
            }
            self.flush_full_sq();
        }
        self.held = held;
        self.held.clear();
    }

    fn flush_full_sq(&mut self) {
        Stats::bump(&self.shared.stats.sq_full_waits, 1);
        self.enter(0);
        self.reap();
    }

    /// Room for `n` consecutive SQEs (a chain must go in one submission).
    fn reserve(&mut self, n: usize) {
        loop {
            let sq = self.ring.ring_mut().submission();
            if sq.capacity() - sq.len() >= n || self.fatal.is_some() {
                return;
            }
            drop(sq);
            self.flush_full_sq();
        }
    }

    fn new_slot(&mut self, token: u64, code: Option<Opcode>, outstanding: u8) -> u32 {
        let slot = Slot {
            token,
            code,
            outstanding,
            res: 0,
            timer_fired: false,
            cancelled: false,
            poll_events: 0,
            flags: 0,
            uses: 0,
            kernel_mem: None,
        };
        self.in_flight += 1;
        Stats::bump(&self.shared.stats.in_flight, 1);
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn release_slot(&mut self, i: u32) {
        if let Some(slot) = self.slots[i as usize].take() {
            self.shared.registry.end(slot.uses);
        }
        self.free.push(i);
        self.in_flight -= 1;
        self.shared
            .stats
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn accept(&mut self, req: Request) {
        match req {
            Request::Op {
                op,
                token,
                timeout_ns,
                linked,
            } => self.accept_op(&op, token, timeout_ns, linked),
            Request::Multishot { kind, token } => {
                let i = self.new_slot(token, None, 1);
                let e = match kind {
                    Multishot::Accept { fd, flags } => {
                        opcode::AcceptMulti::new(types::Fd(fd)).flags(flags).build()
                    }
                    Multishot::Poll { fd, events } => opcode::PollAdd::new(types::Fd(fd), events)
                        .multi(true)
                        .build(),
                    Multishot::Recv { fd, flags } => {
                        opcode::RecvMulti::new(types::Fd(fd), super::buffers::GROUP_ID)
                            .flags(flags)
                            .build()
                    }
                };
                self.push(e, TAG_OP, i);
            }
            Request::Cancel { token } => {
                let targets: Vec<u32> = (0..self.slots.len() as u32)
                    .filter(|&i| {
                        self.slots[i as usize]
                            .as_ref()
                            .is_some_and(|s| s.token == token)
                    })
                    .collect();
                for i in targets {
                    if let Some(slot) = self.slots[i as usize].as_mut() {
                        slot.cancelled = true;
                    }
                    let e = opcode::AsyncCancel::new(TAG_OP << TAG_SHIFT | i as u64).build();
                    self.push(e, TAG_CANCEL, 0);
                }
            }
        }
    }

    fn accept_op(&mut self, op: &ValidOp, token: u64, timeout_ns: Option<u64>, linked: bool) {
        let outstanding = if timeout_ns.is_some() { 2 } else { 1 };
        let i = self.new_slot(token, Some(op.code), outstanding);
        if op.code == Opcode::Poll {
            if let Some(slot) = self.slots[i as usize].as_mut() {
                slot.poll_events = op.raw.op_flags as i16;
            }
        }
        let slot = self.slots[i as usize].as_mut().unwrap();
        slot.uses = super::registry::Registry::uses(op);
        let mut scratch = SqeArgs::default(); // encode() fills it only for sleeps
        if op.code == Opcode::Timeout || timeout_ns.is_some() {
            slot.kernel_mem = Some(Box::default());
        }
        let mut e = match slot.kernel_mem.as_deref_mut() {
            Some(mem) => encode(op, &mut mem.args),
            None => encode(op, &mut scratch),
        };
        if linked {
            e = e.flags(Flags::IO_LINK);
        }
        match timeout_ns {
            None => self.push(e, TAG_OP, i),
            Some(ns) => {
                let mem = slot.kernel_mem.as_deref_mut().expect("allocated above");
                mem.timer = timespec(ns);
                let t = link_timeout(&mem.timer);
                self.reserve(2);
                let in_chain = self.holding;
                self.hold();
                self.push(e.flags(Flags::IO_LINK), TAG_OP, i);
                self.push(t, TAG_TIMER, i);
                if !in_chain {
                    self.publish_held();
                }
            }
        }
    }

    fn arm_wake(&mut self) {
        let fd = self.shared.inbox.wake_fd();
        let buf = &mut *self.wake_buf as *mut u64 as *mut u8;
        self.push(
            opcode::Read::new(types::Fd(fd), buf, 8).build(),
            TAG_WAKE,
            0,
        );
        self.wake_armed = true;
    }

    fn reap(&mut self) {
        let overflow = self.ring.ring_mut().completion().overflow();
        if overflow != self.seen_overflow {
            Stats::bump(
                &self.shared.stats.cq_overflows,
                overflow.wrapping_sub(self.seen_overflow) as u64,
            );
            self.seen_overflow = overflow;
        }
        let mut cqes = std::mem::take(&mut self.cqes);
        cqes.extend(self.ring.ring_mut().completion());
        for cqe in cqes.drain(..) {
            self.complete(cqe.user_data(), cqe.result(), cqe.flags());
        }
        self.cqes = cqes;
        let batch = std::mem::take(&mut self.batch);
        Stats::bump(&self.shared.stats.completions, batch.len() as u64);
        self.shared.delivery.deliver(&batch);
        self.batch = batch;
        self.batch.clear();
    }

    fn complete(&mut self, user_data: u64, res: i32, flags: u32) {
        let tag = user_data >> TAG_SHIFT;
        let i = (user_data & INDEX_MASK) as u32;
        match tag {
            TAG_WAKE => self.wake_armed = false,
            TAG_CANCEL => {}
            TAG_OP | TAG_TIMER => {
                let Some(slot) = self.slots.get_mut(i as usize).and_then(|s| s.as_mut()) else {
                    return;
                };
                if tag == TAG_TIMER {
                    slot.timer_fired = res == -libc::ETIME;
                } else if matches!(slot.code, Some(Opcode::SendZc | Opcode::SendmsgZc)) {
                    // One completion, once the kernel let go of the buffer.
                    match super::registry::zero_copy_cqe(&mut slot.res, res, flags) {
                        Some(sent) => slot.res = sent,
                        None => return,
                    }
                } else if cqueue::more(flags) {
                    // A multishot shot: deliver now, the slot stays armed.
                    let c = urb_completion {
                        token: slot.token,
                        res,
                        flags: flags | URB_CQE_F_MORE,
                    };
                    self.batch.push(c);
                    return;
                } else {
                    // A cancel that reaches a request already running in an
                    // io-wq worker (the SQPOLL thread punts blocking reads
                    // there) interrupts it: -EINTR, with nothing moved. It
                    // is the cancellation the caller asked for.
                    slot.res = if slot.cancelled && res == -libc::EINTR {
                        -libc::ECANCELED
                    } else {
                        res
                    };
                    slot.flags = flags;
                }
                slot.outstanding -= 1;
                if slot.outstanding > 0 {
                    return;
                }
                let own = match slot.code {
                    // As poll(2) reports it: the events asked for, plus
                    // POLLERR/POLLHUP (io_uring adds others, e.g. POLLRDHUP).
                    Some(Opcode::Poll) if slot.res > 0 => {
                        slot.res & (slot.poll_events | libc::POLLERR | libc::POLLHUP) as i32
                    }
                    Some(code) => code.finish(slot.res),
                    None => slot.res,
                };
                let res = if slot.timer_fired {
                    crate::uring::encode::timed_result(own, -libc::ETIME)
                } else {
                    own
                };
                let c = urb_completion {
                    token: slot.token,
                    res,
                    flags: slot.flags,
                };
                self.batch.push(c);
                self.release_slot(i);
            }
            _ => {}
        }
    }
}
