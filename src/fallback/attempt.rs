//! One try at a request that waits for readiness, never blocking the owner
//! thread: sockets get `MSG_DONTWAIT`, reads and writes `RWF_NOWAIT`, and
//! what has no such flag (accept, descriptors without nowait support) is
//! only called once poll(2) says it is ready. What would block is `Again`.
//!
//! Results follow io_uring's: a read or write on a pipe or socket may be
//! short, a `MSG_WAITALL` receive or send on a stream keeps going until it
//! is complete, and a caller's own `RWF_NOWAIT`/`MSG_DONTWAIT` gets `-EAGAIN`.

use crate::op::{Opcode, ValidOp};
use crate::ops::Readiness;
use crate::sys::poll::poll_now;
use crate::sys::{io, retry, socket};

pub enum Attempt {
    Done(i32),
    Again,
}

/// Tries `op` once (its `OpSpec`'s attempt). `progress` carries what
/// earlier tries achieved (bytes of a `MSG_WAITALL` transfer, or that a
/// connect is under way). Only operations that wait for readiness are
/// tried; the others are performed.
pub fn try_op(op: &ValidOp, progress: &mut u32) -> Attempt {
    match op.code.spec().readiness {
        Readiness::Waits { attempt, .. } => attempt(op, progress),
        // SAFETY: `op` passed validation; its memory is the caller's promise.
        Readiness::Never => Attempt::Done(unsafe { (op.code.spec().perform)(op, None) }),
    }
}

/// Runs `call` only if `fd` is ready for `events`.
fn when_ready(fd: i32, events: u32, call: impl FnOnce() -> i32) -> Attempt {
    match poll_now(fd, events) {
        0 => Attempt::Again,
        e if e < 0 => Attempt::Done(e),
        _ => match call() {
            e if e == -libc::EAGAIN => Attempt::Again,
            n => Attempt::Done(n),
        },
    }
}

pub fn transfer(fd: i32, iovs: &[libc::iovec], offset: u64, flags: i32, write: bool) -> Attempt {
    if flags & libc::RWF_NOWAIT != 0 {
        // SAFETY: the caller's buffers, checked by validation, valid until completion.
        return Attempt::Done(unsafe { io::rw(fd, iovs, offset, flags, write) });
    }
    // SAFETY: the caller's buffers, checked by validation, valid until completion.
    match unsafe { io::rw(fd, iovs, offset, flags | libc::RWF_NOWAIT, write) } {
        e if e == -libc::EAGAIN => Attempt::Again,
        // This kind of file cannot promise not to block (a tty, an old kernel).
        e if e == -libc::EOPNOTSUPP => {
            let events = if write { libc::POLLOUT } else { libc::POLLIN };
            // SAFETY: the caller's buffers, checked by validation, valid until completion.
            when_ready(fd, events as u32, || unsafe {
                io::rw(fd, iovs, offset, flags, write)
            })
        }
        n => Attempt::Done(n),
    }
}

/// recv/send, resuming a `MSG_WAITALL` transfer on a stream where the
/// previous try left off.
pub fn stream(op: &ValidOp, progress: &mut u32) -> Attempt {
    let r = &op.raw;
    let send = op.code == Opcode::Send;
    let flags = r.op_flags as i32 | if send { libc::MSG_NOSIGNAL } else { 0 };
    // SAFETY: the caller's buffer of r.len bytes, valid until completion.
    let call = |done: u32, flags: i32| {
        let (buf, len) = (
            r.buf.cast::<u8>().wrapping_add(done as usize).cast(),
            (r.len - done) as usize,
        );
        // SAFETY: the caller's buffers, checked by validation, valid until completion.
        retry(|| unsafe {
            if send {
                libc::send(r.fd, buf, len, flags)
            } else {
                libc::recv(r.fd, buf, len, flags)
            }
        })
    };
    // recv(MSG_ERRQUEUE) never waits in the kernel: an empty queue is -EAGAIN.
    if flags & (libc::MSG_DONTWAIT | libc::MSG_ERRQUEUE) != 0 {
        return Attempt::Done(call(0, flags));
    }
    let mut done = *progress;
    loop {
        let n = call(done, flags | libc::MSG_DONTWAIT);
        if n == -libc::EAGAIN {
            *progress = done;
            return Attempt::Again;
        }
        if n < 0 {
            return Attempt::Done(if done > 0 { done as i32 } else { n });
        }
        done += n as u32;
        let whole =
            n == 0 || done >= r.len || flags & libc::MSG_WAITALL == 0 || !socket::is_stream(r.fd);
        if whole {
            return Attempt::Done(done as i32);
        }
    }
}

/// accept4 has no per-call non-blocking flag: wait for the listener's
/// readiness first. (Another process accepting in between could still make
/// a blocking listener's accept wait.) A socket that is not listening (a
/// connected or datagram socket) never becomes ready for accept, and
/// accept4 fails on it at once: it is called then, so the request fails as
/// the system call does instead of waiting forever.
pub fn accept(
    fd: i32,
    addr: *mut libc::sockaddr,
    addrlen: *mut libc::socklen_t,
    flags: i32,
) -> Attempt {
    match when_ready(fd, libc::POLLIN as u32, || {
        socket::accept4(fd, addr, addrlen, flags)
    }) {
        Attempt::Again if !socket::is_listening(fd) => {
            Attempt::Done(socket::accept4(fd, addr, addrlen, flags))
        }
        other => other,
    }
}

/// accept on a listener known to be in `O_NONBLOCK` mode: it cannot wait,
/// so no readiness check is needed first.
pub fn accept_nonblocking(
    fd: i32,
    addr: *mut libc::sockaddr,
    addrlen: *mut libc::socklen_t,
    flags: i32,
) -> Attempt {
    match socket::accept4(fd, addr, addrlen, flags) {
        e if e == -libc::EAGAIN => Attempt::Again,
        n => Attempt::Done(n),
    }
}

/// Starts the connection without waiting, then waits until the socket is
/// writable and reports how it went — so a connect can be cancelled or time
/// out like any parked request, as under io_uring.
pub fn connect(op: &ValidOp, progress: &mut u32) -> Attempt {
    let r = &op.raw;
    if *progress == 0 {
        // io_uring connects without blocking whatever the socket's mode. A
        // blocking socket is switched for this one call only: nothing else
        // does I/O on a socket that is not connected yet.
        // SAFETY: plain fcntl calls; validate() checked the address pointer
        // and the caller keeps it alive.
        let res = unsafe {
            let mode = libc::fcntl(r.fd, libc::F_GETFL);
            let switched = mode >= 0
                && mode & libc::O_NONBLOCK == 0
                && libc::fcntl(r.fd, libc::F_SETFL, mode | libc::O_NONBLOCK) == 0;
            let res = socket::connect_once(r.fd, r.buf as *const libc::sockaddr, r.len);
            if switched {
                libc::fcntl(r.fd, libc::F_SETFL, mode);
            }
            res
        };
        match res {
            0 => return Attempt::Done(0),
            // An interrupted connect keeps going in the kernel.
            e if e == -libc::EINPROGRESS || e == -libc::EINTR => *progress = 1,
            e => return Attempt::Done(e),
        }
    }
    match poll_now(r.fd, libc::POLLOUT as u32) {
        0 => Attempt::Again,
        e if e < 0 => Attempt::Done(e),
        _ => Attempt::Done(socket::connect_outcome(r.fd)),
    }
}
