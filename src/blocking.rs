//! The blocking face: one request (or one linked chain) in, its result out.
//! Each call picks the engine, and on io_uring falls back per call when the
//! thread cannot have a ring, so a result always comes back.

use crate::engine::{self, Engine};
use crate::fallback::exec;
use crate::fallback::sigpipe::SigpipeGuard;
use crate::op::{self, urb_op, Opcode, ValidOp, URB_CHAIN_MAX};
use crate::ops::{BlockingRule, Finish, Readiness};
use crate::sqe::{io_uring_sqe, urb_sqe_fill_fn};
use crate::sys::descriptor::{self, is_pollable, seekable};
use crate::sys::socket;
use crate::sys::time::{self as wait, Deadline};
use crate::tryfirst::{accept_nowait_in_mode, try_at_hand};
use crate::uring::encode::{encode, SqeArgs};
use crate::uring::probe::TaskWork;
use crate::uring::thread_ring::{task_work, with_ring_for};
use io_uring::squeue::Flags;

/// One request, optionally bounded by `timeout_ns` (`-ETIME` if the timeout
/// fired and cancelled it).
pub fn submit(op: &urb_op, timeout_ns: Option<u64>) -> i32 {
    // SAFETY: the caller's request; the header makes its pointers the caller's promise.
    let v = match unsafe { op::validate(op) } {
        Ok(v) => v,
        Err(e) => return e,
    };
    if let Err(e) = engine::supported(v.code) {
        return e;
    }
    submit_valid(&v, timeout_ns)
}

/// One request with the system call's semantics, on either engine.
fn submit_valid(v: &ValidOp, timeout_ns: Option<u64>) -> i32 {
    let deadline = timeout_ns.map(wait::deadline_after);
    // Only pipes, FIFOs and sockets raise SIGPIPE (and only they wait for
    // readiness): asking which a descriptor is spares a file's write the
    // two signal-mask calls and the O_NONBLOCK check. A write of the
    // read/write family asks with one lseek (pipes, sockets and ttys have
    // no position), a third of an fstat's cost here; splice and tee look at
    // their input with the fstat, as the fallback routes them.
    let spec = v.code.spec();
    let writes = spec.may_raise_sigpipe;
    let write_to_pollable = match (writes, spec.blocking) {
        (false, _) => false,
        (true, BlockingRule::ReadWrite) if seekable(v.raw.fd) => return file_write(v, deadline),
        (true, BlockingRule::ReadWrite) => true,
        (true, _) => is_pollable(v.raw.fd),
    };
    let guard = write_to_pollable.then(SigpipeGuard::block);
    if writes && !write_to_pollable {
        return engine::perform(v, deadline);
    }
    let res = if engine::engine() != Engine::IoUring && deadline.is_none() {
        // The fallback's untimed request is the system call itself.
        exec::execute(v, None)
    } else {
        match v.code.spec().blocking {
            BlockingRule::Stream => stream_call(v, deadline),
            BlockingRule::ReadWrite => rw_call(v, deadline),
            BlockingRule::Accept => accept_call(v, deadline),
            BlockingRule::Connect => connect_call(v, deadline),
            BlockingRule::Message => message_call(v, deadline),
            BlockingRule::Once => engine::perform(v, deadline),
        }
    };
    match guard {
        Some(g) => g.finish(res),
        None => res,
    }
}

/// A write to a regular file or block device. io_uring sends a buffered
/// write it cannot do without blocking to one of its workers — every one on
/// ext4 — and the caller waits for that thread: about 22 µs a 4 KiB write
/// against 1.2 µs for `pwritev2` (2026-12-02, 20,000 writes a round). The
/// untimed write is therefore the system call itself, on this thread (an
/// `O_DIRECT` one too: both wait for the device, and telling them apart
/// would cost an `fcntl`); a timed one (its deadline can cancel it) and the
/// caller's `RWF_NOWAIT` go to the ring.
fn file_write(v: &ValidOp, deadline: Deadline) -> i32 {
    let direct =
        deadline.is_none() && v.raw.op_flags & libc::RWF_NOWAIT as u32 == 0 && !v.fixed_file();
    if !direct {
        return engine::perform(v, deadline);
    }
    // SAFETY: validation checked the buffer or iovecs; the caller owns them.
    unsafe { (v.code.spec().perform)(v, None) }
}

/// `v` with extra `op_flags` bits.
fn with_flags(v: &ValidOp, bits: u32) -> ValidOp {
    let mut w = *v;
    w.raw.op_flags |= bits;
    w
}

/// What the request gives when it stops after moving `done` bytes with
/// `res`: the bytes if any moved (as the system call reports a partial
/// transfer), the error otherwise.
fn partial_or(done: u32, res: i32) -> i32 {
    if done > 0 {
        done as i32
    } else {
        res
    }
}

/// The rest of a transfer after `done` bytes, and the iovecs it points to.
fn remainder(v: &ValidOp, done: u32) -> (ValidOp, Vec<libc::iovec>) {
    let mut w = *v;
    let mut iovs = Vec::new();
    if done == 0 {
        return (w, iovs);
    }
    let positioned = v.code.spec().blocking == BlockingRule::ReadWrite;
    if w.raw.offset != op::URB_OFFSET_CURRENT && positioned {
        w.raw.offset += done as u64;
    }
    match v.code.spec().vectored {
        true => {
            let mut skip = done as usize;
            // SAFETY: validate() checked the array; the caller keeps it alive.
            for iov in unsafe { op::iovecs(&v.raw) } {
                if skip >= iov.iov_len {
                    skip -= iov.iov_len;
                    continue;
                }
                iovs.push(libc::iovec {
                    iov_base: iov.iov_base.cast::<u8>().wrapping_add(skip).cast(),
                    iov_len: iov.iov_len - skip,
                });
                skip = 0;
            }
            w.raw.buf = iovs.as_mut_ptr().cast();
            w.raw.len = iovs.len() as u32;
        }
        false => {
            w.raw.buf = w.raw.buf.cast::<u8>().wrapping_add(done as usize).cast();
            w.raw.len -= done;
        }
    }
    w.expected_len -= done as u64;
    (w, iovs)
}

/// A request that found nothing to do on a blocking descriptor waits, as
/// the system call does, bounded by the caller's deadline and the socket's
/// own `SO_RCVTIMEO`/`SO_SNDTIMEO` (whose expiry is `-EAGAIN`).
fn wait_as_blocking(v: &ValidOp, deadline: Deadline, sockopt: Option<i32>) -> i32 {
    let sock = sockopt.and_then(|which| socket::socket_timeout(v.raw.fd, which));
    let (bound, by_socket) = wait::earliest(deadline, sock);
    match engine::perform(v, bound) {
        e if e == -libc::ETIME && by_socket => -libc::EAGAIN,
        res => res,
    }
}

/// recv/send: tried with `MSG_DONTWAIT` first, so a descriptor in
/// `O_NONBLOCK` mode answers `-EAGAIN` as recv(2)/send(2) do (io_uring
/// itself would wait); a send on a blocking stream socket goes on until
/// everything is sent and a `MSG_WAITALL` receive until the buffer is full,
/// as the system calls do (io_uring returns short counts there).
fn stream_call(v: &ValidOp, deadline: Deadline) -> i32 {
    let flags = v.raw.op_flags;
    let send = v.code == Opcode::Send;
    let never_waits = flags & (libc::MSG_DONTWAIT | libc::MSG_ERRQUEUE) as u32 != 0;
    if never_waits {
        return engine::perform(v, deadline);
    }
    let waitall = flags & libc::MSG_WAITALL as u32 != 0;
    let peek = flags & libc::MSG_PEEK as u32 != 0;
    let sockopt = Some(if send {
        libc::SO_SNDTIMEO
    } else {
        libc::SO_RCVTIMEO
    });
    let dontwait = libc::MSG_DONTWAIT as u32;
    if peek && waitall {
        // A peek cannot be resumed part way: the kernel's own wait does it.
        return match engine::perform(&with_flags(v, dontwait), None) {
            res if res == -libc::EAGAIN || (res >= 0 && (res as u32) < v.raw.len) => {
                if descriptor::nonblocking(v.raw.fd) == Some(true) {
                    res
                } else {
                    wait_as_blocking(v, deadline, sockopt)
                }
            }
            res => res,
        };
    }
    let total = v.raw.len;
    let mut done = 0u32;
    loop {
        let (part, _iovs) = remainder(v, done);
        let mut res = engine::perform(&with_flags(&part, dontwait), None);
        if res == -libc::EAGAIN {
            if descriptor::nonblocking(v.raw.fd) != Some(false) {
                return partial_or(done, res);
            }
            res = wait_as_blocking(&part, deadline, sockopt);
        }
        if res <= 0 {
            return partial_or(done, res);
        }
        done += res as u32;
        if done >= total {
            return done as i32;
        }
        let goes_on = if send {
            descriptor::nonblocking(v.raw.fd) == Some(false)
        } else {
            waitall && socket::is_stream(v.raw.fd)
        };
        if !goes_on {
            return done as i32;
        }
    }
}

/// sendmsg/recvmsg as [`stream_call`] does recv/send: `O_NONBLOCK` and
/// `SO_*TIMEO` answer `-EAGAIN`, and a send on a blocking stream socket
/// goes on until every byte is sent (the rest without the address and the
/// ancillary data, which went with the first part). A `MSG_WAITALL`
/// receive is one request of the engine's (io_uring's recvmsg fills the
/// buffer itself on streams, recvmsg(2) waits), never parts: the caller's
/// msghdr then gets the one answer recvmsg(2) writes back.
fn message_call(v: &ValidOp, deadline: Deadline) -> i32 {
    let flags = v.raw.op_flags;
    if flags & (libc::MSG_DONTWAIT | libc::MSG_ERRQUEUE) as u32 != 0 {
        return engine::perform(v, deadline);
    }
    let fd = v.raw.fd;
    let send = v.code == Opcode::Sendmsg;
    let sockopt = Some(if send {
        libc::SO_SNDTIMEO
    } else {
        libc::SO_RCVTIMEO
    });
    let dontwait = libc::MSG_DONTWAIT as u32;
    if !send && flags & libc::MSG_WAITALL as u32 != 0 {
        return match descriptor::nonblocking(fd) {
            Some(true) => engine::perform(&with_flags(v, dontwait), deadline),
            Some(false) => wait_as_blocking(v, deadline, sockopt),
            None => engine::perform(v, deadline),
        };
    }
    let mut res = engine::perform(&with_flags(v, dontwait), None);
    if res == -libc::EAGAIN {
        if descriptor::nonblocking(fd) != Some(false) {
            return res;
        }
        res = wait_as_blocking(v, deadline, sockopt);
    }
    let short_send = send && res > 0 && (res as u64) < v.expected_len;
    if !short_send || descriptor::nonblocking(fd) != Some(false) || !socket::is_stream(fd) {
        return res;
    }
    let mut done = res as u32;
    loop {
        // SAFETY: validate() checked the msghdr; the caller keeps it alive.
        let mut rest = unsafe { crate::ops::msg::Rest::after(v, done) };
        let part = rest.op(v, done);
        let mut res = engine::perform(&with_flags(&part, dontwait), None);
        if res == -libc::EAGAIN {
            res = wait_as_blocking(&part, deadline, sockopt);
        }
        if res <= 0 {
            return partial_or(done, res);
        }
        done += res as u32;
        if done as u64 >= v.expected_len {
            return done as i32;
        }
    }
}

/// read/write and their vectored forms. A descriptor in `O_NONBLOCK` mode
/// (a pipe, socket, tty: regular files ignore the flag) is asked with
/// `RWF_NOWAIT`, so it answers `-EAGAIN` as read(2)/write(2) do where
/// io_uring would wait; a write to a blocking pipe or socket goes on until
/// everything is written, as write(2) does (io_uring returns short counts).
fn rw_call(v: &ValidOp, deadline: Deadline) -> i32 {
    let nowait = libc::RWF_NOWAIT as u32;
    if v.raw.op_flags & nowait != 0 {
        return engine::perform(v, deadline);
    }
    // Cached file data, or a pipe or socket with data waiting: the plain
    // preadv2(RWF_NOWAIT) on this thread, the result the ring's read would
    // give (`tryfirst::try_at_hand`), without the ring.
    if let Some(res) = try_at_hand(v) {
        return res;
    }
    let fd = v.raw.fd;
    match descriptor::nonblocking(fd) {
        None => return engine::perform(v, deadline),
        Some(true) if is_pollable(fd) => return engine::perform(&with_flags(v, nowait), deadline),
        _ => {}
    }
    // Of the read/write family, the writes are the ones that may raise SIGPIPE.
    if !v.code.spec().may_raise_sigpipe {
        return engine::perform(v, deadline);
    }
    let total = v.expected_len;
    let mut done = 0u32;
    loop {
        let (part, _iovs) = remainder(v, done);
        let res = engine::perform(&part, deadline);
        if res <= 0 {
            return partial_or(done, res);
        }
        done += res as u32;
        if done as u64 >= total {
            return done as i32;
        }
    }
}

/// accept: a listener in `O_NONBLOCK` mode answers `-EAGAIN` as accept4(2)
/// does (io_uring would wait); a blocking one waits, bounded by its
/// `SO_RCVTIMEO`.
fn accept_call(v: &ValidOp, deadline: Deadline) -> i32 {
    let nonblocking = descriptor::nonblocking(v.raw.fd);
    if let Some(res) = accept_nowait_in_mode(v, nonblocking) {
        return res;
    }
    match nonblocking {
        // The try was accept4 itself, and it found no connection.
        Some(true) => -libc::EAGAIN,
        Some(false) => wait_as_blocking(v, deadline, Some(libc::SO_RCVTIMEO)),
        None => engine::perform(v, deadline),
    }
}

/// connect: a socket in `O_NONBLOCK` mode gets connect(2)'s own answer
/// (`-EINPROGRESS`, with `SO_ERROR` left for the caller to read); io_uring
/// would wait for the connection.
fn connect_call(v: &ValidOp, deadline: Deadline) -> i32 {
    let r = &v.raw;
    if descriptor::nonblocking(r.fd) == Some(true) {
        // SAFETY: validate() checked the address; the call cannot wait.
        return unsafe { socket::connect_once(r.fd, r.buf as *const libc::sockaddr, r.len) };
    }
    engine::perform(v, deadline)
}

/// A linked chain: each request starts after the previous one succeeded;
/// after a failure (an error, or a short read/write) the rest get
/// `-ECANCELED`. Returns the first negative result, or 0.
pub fn submit_chain(ops: &[urb_op], results: &mut [i32]) -> i32 {
    if ops.is_empty() || ops.len() > URB_CHAIN_MAX as usize || results.len() != ops.len() {
        return -libc::EINVAL;
    }
    let mut valid = Vec::with_capacity(ops.len());
    for (i, o) in ops.iter().enumerate() {
        let is_last = i + 1 == ops.len();
        // SAFETY: the caller's request; the header makes its pointers the caller's promise.
        match unsafe { op::validate(o) }
            .and_then(|v| v.check_chain_position(is_last).map(|_| v))
            .and_then(|v| engine::supported(v.code).map(|_| v))
        {
            Ok(v) => valid.push(v),
            Err(e) => {
                // Nothing was submitted: say which request was refused.
                results.fill(-libc::ECANCELED);
                results[i] = e;
                return e;
            }
        }
    }
    if valid.len() == 1 {
        // A chain of one is the request alone, with the same semantics.
        results[0] = submit_valid(&valid[0], None);
        return results[0].min(0);
    }
    let writes = valid.iter().any(|v| v.code.spec().may_raise_sigpipe);
    let guard = writes.then(SigpipeGuard::block);
    let ran_on_uring = engine::engine() == Engine::IoUring && {
        for v in valid.iter_mut() {
            honour_nonblocking(v);
        }
        uring_chain(&valid, results).is_some()
    };
    if ran_on_uring {
        for (v, r) in valid.iter().zip(results.iter_mut()) {
            *r = v.finish(*r);
        }
    } else {
        fallback_chain(&valid, results);
    }
    if let Some(g) = guard {
        g.finish(if results.contains(&-libc::EPIPE) {
            -libc::EPIPE
        } else {
            0
        });
    }
    results.iter().copied().find(|r| *r < 0).unwrap_or(0)
}

/// In a chain on io_uring: a transfer on a pipe or socket in `O_NONBLOCK`
/// mode is asked not to wait (`RWF_NOWAIT`/`MSG_DONTWAIT`), so it answers
/// `-EAGAIN` (and ends the chain) as the system call would, where io_uring
/// would wait. The fallback's chain members are the system calls already.
fn honour_nonblocking(v: &mut ValidOp) {
    let Readiness::Waits {
        dont_wait,
        sockets_only,
        ..
    } = v.code.spec().readiness
    else {
        return;
    };
    if dont_wait != 0
        && descriptor::nonblocking(v.raw.fd) == Some(true)
        && (sockets_only || is_pollable(v.raw.fd))
    {
        v.raw.op_flags |= dont_wait;
    }
}

fn uring_chain(valid: &[ValidOp], results: &mut [i32]) -> Option<()> {
    let mut args: Vec<SqeArgs> = valid.iter().map(|_| SqeArgs::default()).collect();
    let last = valid.len() - 1;
    let mut entries: Vec<_> = valid
        .iter()
        .zip(args.iter_mut())
        .enumerate()
        .map(|(i, (v, a))| {
            let e = encode(v, a);
            if i < last {
                e.flags(Flags::IO_LINK)
            } else {
                e
            }
        })
        .collect();
    with_ring_for(task_work(valid), valid.len() as u32, |ring| {
        ring.run(&mut entries, results)
    })
}

fn fallback_chain(valid: &[ValidOp], results: &mut [i32]) {
    let mut broken = false;
    for (v, r) in valid.iter().zip(results.iter_mut()) {
        *r = if broken {
            -libc::ECANCELED
        } else {
            exec::execute(v, None)
        };
        broken = broken || v.breaks_chain(*r);
    }
}

/// `submitBlocking` of the URingManager design: the caller fills a raw SQE,
/// the library owns `user_data`, and the call returns the CQE's result.
///
/// # Safety
/// `fill` must be callable with `ctx` and a writable SQE, and the SQE it
/// fills must name only memory that stays valid until the call returns.
pub unsafe fn submit_sqe(fill: urb_sqe_fill_fn, ctx: *mut libc::c_void) -> i32 {
    let Some(fill) = fill else {
        return -libc::EINVAL;
    };
    let mut sqe = io_uring_sqe::zeroed();
    // SAFETY: the caller promises `fill` accepts `ctx` and a writable SQE.
    let rc = unsafe { fill(ctx, &mut sqe) };
    if rc < 0 {
        return rc;
    }
    match engine::engine() {
        Engine::Refused(e) => e,
        // Whatever the caller's opcode is, it may run in a kernel worker.
        Engine::IoUring => with_ring_for(TaskWork::Prompt, 1, |ring| {
            let mut res = [0];
            ring.run(&mut [sqe.take_over()], &mut res);
            res[0]
        })
        .unwrap_or_else(|| fallback_sqe(&sqe)),
        Engine::Fallback => fallback_sqe(&sqe),
    }
}

/// Results keep the kernel's shape here (a raw TIMEOUT reports `-ETIME`).
fn fallback_sqe(sqe: &io_uring_sqe) -> i32 {
    // SAFETY: the raw SQE's pointers are the caller's promise (submit_sqe).
    match unsafe { sqe.to_op() } {
        Ok(v) => {
            let res = exec::execute(&v, None);
            if v.code.spec().finish == Finish::SleepDone && res == 0 {
                -libc::ETIME
            } else {
                res
            }
        }
        Err(e) => e,
    }
}
