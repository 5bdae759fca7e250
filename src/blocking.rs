//! The blocking face: one request (or one linked chain) in, its result out.
//! Each call picks the engine, and on io_uring falls back per call when the
//! thread cannot have a ring, so a result always comes back.

use crate::engine::{self, Engine};
use crate::fallback::{exec, wait};
use crate::op::{self, urb_op, Opcode, ValidOp, URB_CHAIN_MAX};
use crate::ring::fallback_owner::attempt::{self, Attempt};
use crate::sqe::{io_uring_sqe, urb_sqe_fill_fn};
use crate::uring::encode::{encode, link_timeout, timespec, SqeArgs};
use crate::uring::thread_ring::with_ring;
use io_uring::squeue::Flags;

/// `-ENOSYS` if the engine in use cannot perform `code`.
fn check_supported(code: Opcode) -> Result<(), i32> {
    match engine::engine() {
        Engine::Refused(e) => Err(e),
        Engine::Fallback => Ok(()),
        Engine::IoUring => {
            let probe = engine::selection()
                .probe
                .as_ref()
                .expect("io_uring engine has a probe");
            if probe.supports(code.kernel_opcode()) {
                Ok(())
            } else {
                Err(-libc::ENOSYS)
            }
        }
    }
}

pub fn op_supported(code: u8) -> bool {
    Opcode::from_u8(code).is_some_and(|c| check_supported(c).is_ok())
}

/// One request, optionally bounded by `timeout_ns` (`-ETIME` if the timeout
/// fired and cancelled it).
pub fn submit(op: &urb_op, timeout_ns: Option<u64>) -> i32 {
    let v = match op::validate(op) {
        Ok(v) => v,
        Err(e) => return e,
    };
    if let Err(e) = check_supported(v.code) {
        return e;
    }
    submit_valid(&v, timeout_ns)
}

fn submit_valid(v: &ValidOp, timeout_ns: Option<u64>) -> i32 {
    match engine::engine() {
        Engine::IoUring => {
            uring_single(v, timeout_ns).unwrap_or_else(|| fallback_single(v, timeout_ns))
        }
        _ => fallback_single(v, timeout_ns),
    }
}

/// Performs `op` on the calling thread only if it finishes without waiting:
/// `Some(result)`, or `None` when it would have to wait (nothing was done,
/// no byte moved) or is not of a kind tried this way.
///
/// This is the "try first" of green-thread runtimes (GHC's and Go's own I/O
/// managers try the syscall before parking): a request that can finish at
/// once costs one `io_uring_enter` on the caller's ring instead of two
/// cross-thread wake-ups through an async ring. Because the request is
/// complete when the call returns, nothing is left on a ring whose thread
/// may exit afterwards.
///
/// Tried: NOP, recv/send without `MSG_WAITALL` (with `MSG_DONTWAIT`, which
/// io_uring answers with `-EAGAIN` instead of arming a poll), accept where
/// it can be asked not to wait (see [`accept_nowait`]), and reads at an
/// explicit offset (see [`read_nowait`]). Writes are not: a write split into
/// a part done here and a rest done later could be overtaken by the
/// caller's next write to the same stream.
pub fn submit_nowait(op: &urb_op) -> Option<i32> {
    let mut v = match op::validate(op) {
        Ok(v) => v,
        Err(e) => return Some(e),
    };
    if let Err(e) = check_supported(v.code) {
        return Some(e);
    }
    let dontwait = libc::MSG_DONTWAIT as u32;
    match v.code {
        Opcode::Nop => Some(submit_valid(&v, None)),
        Opcode::Recv | Opcode::Send if v.raw.op_flags & libc::MSG_WAITALL as u32 == 0 => {
            // A caller's own MSG_DONTWAIT asks for -EAGAIN as the answer.
            let callers_own = v.raw.op_flags & dontwait != 0;
            v.raw.op_flags |= dontwait;
            match submit_valid(&v, None) {
                e if e == -libc::EAGAIN && !callers_own => None,
                res => Some(res),
            }
        }
        Opcode::Accept => accept_nowait(&v),
        Opcode::Read | Opcode::Readv if v.raw.offset != op::URB_OFFSET_CURRENT => {
            read_nowait(&mut v)
        }
        _ => None,
    }
}

/// A read of cached file data, or of a pipe or socket with data waiting,
/// finishes here with `RWF_NOWAIT`, which io_uring answers with `-EAGAIN`
/// instead of waiting. The result is the waiting read's, because:
/// - a short count from a regular file or block device (part of the range
///   cached) is not taken: the whole read goes to the ring, which reads the
///   range again (only positional reads are tried, so the descriptor's
///   state is unchanged; the buffer's bytes are rewritten);
/// - a short count from anything else is what the waiting read returns too
///   (a pipe or socket read returns what is there);
/// - `O_DIRECT` descriptors are not tried: their `RWF_NOWAIT` reads still
///   wait for the device.
///
/// Costs one `fcntl` and one `io_uring_enter`; a `fstat` only after a short
/// count. io_uring only: the fallback engine's rings run their own attempts.
fn read_nowait(v: &mut ValidOp) -> Option<i32> {
    if engine::engine() != Engine::IoUring {
        return None;
    }
    let nowait = libc::RWF_NOWAIT as u32;
    if v.raw.op_flags & nowait != 0 {
        // The caller's own RWF_NOWAIT asks for -EAGAIN as the answer.
        return Some(submit_valid(v, None));
    }
    if !buffered(v.raw.fd) {
        return None;
    }
    v.raw.op_flags |= nowait;
    let res = uring_single(v, None)?;
    v.raw.op_flags &= !nowait;
    match res {
        r if r == -libc::EAGAIN || r == -libc::EOPNOTSUPP => None,
        r if r > 0 && (r as u64) < v.expected_len && positional_file(v.raw.fd) => None,
        r => Some(r),
    }
}

/// What `urb_ring_submit` and `urb_ring_submit_batch` finish on the caller:
/// requests whose result is at hand — NOPs, and reads that
/// [`read_nowait`] would try (cached file data). Sockets are left to the
/// ring there: an event loop submits a receive when it expects to wait, and
/// `urb_ring_submit_try` is the call that tries them. `out[i]` is
/// `Some(result)` for a request finished here, `None` for one to hand over.
/// Every request tried goes to the kernel in one submission (per 64).
pub fn try_at_hand(ops: &[ValidOp], out: &mut [Option<i32>]) {
    out.fill(None);
    if engine::engine() != Engine::IoUring {
        return;
    }
    if let [v] = ops {
        // The common case, without the batch's bookkeeping.
        out[0] = match v.code {
            Opcode::Nop => uring_single(v, None),
            Opcode::Read | Opcode::Readv if v.raw.op_flags & libc::RWF_NOWAIT as u32 == 0 => {
                (v.raw.offset != op::URB_OFFSET_CURRENT)
                    .then(|| read_nowait(&mut v.clone()))
                    .flatten()
            }
            _ => None,
        };
        return;
    }
    const CHUNK: usize = 64;
    let nowait = libc::RWF_NOWAIT as u32;
    let mut picked = [0usize; CHUNK];
    let mut entries = Vec::with_capacity(ops.len().min(CHUNK));
    let mut results = [0i32; CHUNK];
    let mut start = 0;
    while start < ops.len() {
        let mut n = 0;
        let mut i = start;
        while i < ops.len() && n < CHUNK {
            let v = &ops[i];
            let tried = match v.code {
                Opcode::Nop => true,
                Opcode::Read | Opcode::Readv => {
                    v.raw.offset != op::URB_OFFSET_CURRENT
                        && v.raw.op_flags & nowait == 0
                        && buffered(v.raw.fd)
                }
                _ => false,
            };
            if tried {
                let mut copy = *v;
                copy.raw.op_flags |= nowait * (v.code != Opcode::Nop) as u32;
                entries.push(encode(&copy, &mut SqeArgs::default()));
                picked[n] = i;
                n += 1;
            }
            i += 1;
        }
        start = i;
        if n == 0 {
            continue;
        }
        let ran = with_ring(n as u32, |ring| match n {
            1 => results[0] = ring.run_one(entries[0].clone()),
            _ => ring.run(&mut entries, &mut results[..n]),
        });
        entries.clear();
        if ran.is_none() {
            continue; // no ring on this thread: the owner does it all
        }
        for (&i, &res) in picked[..n].iter().zip(&results[..n]) {
            let v = &ops[i];
            out[i] = match res {
                r if v.code == Opcode::Nop => Some(r),
                r if r == -libc::EAGAIN || r == -libc::EOPNOTSUPP => None,
                r if r > 0 && (r as u64) < v.expected_len && positional_file(v.raw.fd) => None,
                r => Some(r),
            };
        }
    }
}

/// Not `O_DIRECT` (whose non-waiting reads still wait for the device), and
/// a descriptor at all.
fn buffered(fd: i32) -> bool {
    // SAFETY: F_GETFL reads the descriptor's flags only.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    fl >= 0 && fl & libc::O_DIRECT == 0
}

/// Regular files and block devices: a short read there means "not all of it
/// without waiting", not "that is all there is".
fn positional_file(fd: i32) -> bool {
    // SAFETY: fstat fills the zeroed struct we own.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return true; // unknown: let the ring read it whole
    }
    matches!(st.st_mode & libc::S_IFMT, libc::S_IFREG | libc::S_IFBLK)
}

/// accept has no per-call `MSG_DONTWAIT`. io_uring has
/// `IORING_ACCEPT_DONTWAIT` (Linux 6.10+; older kernels: not tried). The
/// fallback engine tries only a listener in `O_NONBLOCK` mode, where
/// `accept4` itself answers `EAGAIN` instead of waiting.
fn accept_nowait(v: &ValidOp) -> Option<i32> {
    let res = match engine::engine() {
        Engine::IoUring => {
            if !*ACCEPT_DONTWAIT.get_or_init(probe_accept_dontwait) {
                return None;
            }
            let mut args = SqeArgs::default();
            let entry = io_uring_sqe::with_ioprio(encode(v, &mut args), ACCEPT_DONTWAIT_BIT);
            v.finish(with_ring(1, |ring| ring.run_one(entry))?)
        }
        _ => {
            // SAFETY: F_GETFL reads the descriptor's flags only.
            let fl = unsafe { libc::fcntl(v.raw.fd, libc::F_GETFL) };
            if fl < 0 || fl & libc::O_NONBLOCK == 0 {
                return None;
            }
            let r = &v.raw;
            match attempt::accept_nonblocking(r.fd, r.buf.cast(), r.buf2.cast(), r.op_flags as i32)
            {
                Attempt::Done(res) => res,
                Attempt::Again => return None,
            }
        }
    };
    (res != -libc::EAGAIN).then_some(res)
}

/// `IORING_ACCEPT_DONTWAIT` from the kernel's uapi header (the io-uring crate keeps it private).
const ACCEPT_DONTWAIT_BIT: u16 = 1 << 1;
static ACCEPT_DONTWAIT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Kernels without the flag refuse it in the request's preparation
/// (`-EINVAL`); kernels with it get as far as the descriptor (`-EBADF`).
fn probe_accept_dontwait() -> bool {
    let entry = io_uring::opcode::Accept::new(
        io_uring::types::Fd(-1),
        std::ptr::null_mut(),
        std::ptr::null_mut(),
    )
    .build();
    let entry = io_uring_sqe::with_ioprio(entry, ACCEPT_DONTWAIT_BIT);
    with_ring(1, |ring| ring.run_one(entry)) == Some(-libc::EBADF)
}

fn uring_single(v: &ValidOp, timeout_ns: Option<u64>) -> Option<i32> {
    let mut args = SqeArgs::default();
    let entry = encode(v, &mut args);
    match timeout_ns {
        None => with_ring(1, |ring| v.finish(ring.run_one(entry))),
        Some(ns) => {
            let ts = timespec(ns);
            with_ring(2, |ring| {
                let mut res = [0; 2];
                ring.run(
                    &mut [entry.flags(Flags::IO_LINK), link_timeout(&ts)],
                    &mut res,
                );
                timed_result(v.finish(res[0]), res[1])
            })
        }
    }
}

/// The result of a request bounded by an `IORING_OP_LINK_TIMEOUT`, given
/// both CQEs: `-ETIME` when the timer fired and cancelled the request.
pub fn timed_result(op_res: i32, timer_res: i32) -> i32 {
    let cancelled = op_res == -libc::ECANCELED || op_res == -libc::EINTR;
    if timer_res == -libc::ETIME && cancelled {
        -libc::ETIME
    } else {
        op_res
    }
}

/// The fallback engine reports a finished sleep as 0 itself.
fn fallback_single(v: &ValidOp, timeout_ns: Option<u64>) -> i32 {
    exec::execute(v, timeout_ns.map(wait::deadline_after))
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
        match op::validate(o).and_then(|v| check_supported(v.code).map(|_| v)) {
            Ok(v) => valid.push(v),
            Err(e) => {
                // Nothing was submitted: say which request was refused.
                results.fill(-libc::ECANCELED);
                results[i] = e;
                return e;
            }
        }
    }
    let ran_on_uring =
        engine::engine() == Engine::IoUring && uring_chain(&valid, results).is_some();
    if ran_on_uring {
        for (v, r) in valid.iter().zip(results.iter_mut()) {
            *r = v.finish(*r);
        }
    } else {
        fallback_chain(&valid, results);
    }
    results.iter().copied().find(|r| *r < 0).unwrap_or(0)
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
    with_ring(valid.len() as u32, |ring| ring.run(&mut entries, results))
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

/// The thesis's `submitBlocking`: the caller fills a raw SQE, the library
/// owns `user_data`, and the call returns the CQE's result.
pub fn submit_sqe(fill: urb_sqe_fill_fn, ctx: *mut libc::c_void) -> i32 {
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
        Engine::IoUring => with_ring(1, |ring| {
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
    match sqe.to_op() {
        Ok(v) => {
            let res = exec::execute(&v, None);
            if v.code == Opcode::Timeout && res == 0 {
                -libc::ETIME
            } else {
                res
            }
        }
        Err(e) => e,
    }
}
