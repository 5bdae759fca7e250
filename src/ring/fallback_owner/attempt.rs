//! One try at a request that waits for readiness, never blocking the owner
//! thread: sockets get `MSG_DONTWAIT`, reads and writes `RWF_NOWAIT`, and
//! what has no such flag (accept, descriptors without nowait support) is
//! only called once poll(2) says it is ready. What would block is `Again`.
//!
//! Results follow io_uring's: a read or write on a pipe or socket may be
//! short, a `MSG_WAITALL` receive or send on a stream keeps going until it
//! is complete, and a caller's own `RWF_NOWAIT`/`MSG_DONTWAIT` gets `-EAGAIN`.

use crate::fallback::wait::errno;
use crate::op::{self, Opcode, ValidOp};

pub enum Attempt {
    Done(i32),
    Again,
}

/// The epoll events `op` waits for (epoll and poll share these bits).
pub fn interest(op: &ValidOp) -> u32 {
    match op.code {
        Opcode::Read | Opcode::Readv | Opcode::Recv | Opcode::Accept => libc::EPOLLIN as u32,
        Opcode::Write | Opcode::Writev | Opcode::Send | Opcode::Connect => libc::EPOLLOUT as u32,
        Opcode::Poll => op.raw.op_flags,
        _ => 0,
    }
}

/// Tries `op` once. `progress` carries what earlier tries achieved (bytes of
/// a `MSG_WAITALL` transfer, or that a connect is under way).
pub fn try_op(op: &ValidOp, progress: &mut u32) -> Attempt {
    let r = &op.raw;
    match op.code {
        Opcode::Read | Opcode::Write => {
            let iov = [libc::iovec {
                iov_base: r.buf,
                iov_len: r.len as usize,
            }];
            transfer(
                r.fd,
                &iov,
                r.offset,
                r.op_flags as i32,
                op.code == Opcode::Write,
            )
        }
        Opcode::Readv | Opcode::Writev => {
            // SAFETY: validate() checked the iovec array; the caller keeps it alive.
            let iovs = unsafe { op::iovecs(r) };
            transfer(
                r.fd,
                iovs,
                r.offset,
                r.op_flags as i32,
                op.code == Opcode::Writev,
            )
        }
        Opcode::Recv | Opcode::Send => stream(op, progress),
        Opcode::Accept => accept(
            r.fd,
            r.buf as *mut libc::sockaddr,
            r.buf2 as *mut libc::socklen_t,
            r.op_flags as i32,
        ),
        Opcode::Poll => match poll_now(r.fd, r.op_flags) {
            0 => Attempt::Again,
            n => Attempt::Done(n),
        },
        Opcode::Connect => connect(op, progress),
        _ => Attempt::Done(-libc::EINVAL),
    }
}

/// The ready events among `events` (plus error and hang-up) right now, 0 for
/// none, `-EBADF` for a descriptor poll(2) calls invalid.
pub fn poll_now(fd: i32, events: u32) -> i32 {
    let mut p = libc::pollfd {
        fd,
        events: events as u16 as i16,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut p, 1, 0) } >= 0 {
            break;
        }
        match errno() {
            libc::EINTR => continue,
            e => return -e,
        }
    }
    if p.revents & libc::POLLNVAL != 0 {
        return -libc::EBADF;
    }
    (p.revents & (p.events | libc::POLLERR | libc::POLLHUP)) as u16 as i32
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

/// Runs a syscall until it is not interrupted; `-errno` on failure.
fn retry(mut call: impl FnMut() -> isize) -> i32 {
    loop {
        let n = call();
        if n >= 0 {
            return n.min(i32::MAX as isize) as i32;
        }
        match errno() {
            libc::EINTR => continue,
            e => return -e,
        }
    }
}

fn transfer(fd: i32, iovs: &[libc::iovec], offset: u64, flags: i32, write: bool) -> Attempt {
    // SAFETY (all calls): the caller's buffers, valid until completion.
    if flags & libc::RWF_NOWAIT != 0 {
        return Attempt::Done(unsafe { rw(fd, iovs, offset, flags, write) });
    }
    match unsafe { rw(fd, iovs, offset, flags | libc::RWF_NOWAIT, write) } {
        e if e == -libc::EAGAIN => Attempt::Again,
        // This kind of file cannot promise not to block (a tty, an old kernel).
        e if e == -libc::EOPNOTSUPP => {
            let events = if write { libc::POLLOUT } else { libc::POLLIN };
            when_ready(fd, events as u32, || unsafe {
                rw(fd, iovs, offset, flags, write)
            })
        }
        n => Attempt::Done(n),
    }
}

/// preadv2/pwritev2; a descriptor without a position (pipe, socket) ignores
/// the offset, as io_uring does.
unsafe fn rw(fd: i32, iovs: &[libc::iovec], offset: u64, flags: i32, write: bool) -> i32 {
    let mut off = offset as i64;
    loop {
        let n = if write {
            libc::pwritev2(fd, iovs.as_ptr(), iovs.len() as i32, off, flags)
        } else {
            libc::preadv2(fd, iovs.as_ptr(), iovs.len() as i32, off, flags)
        };
        if n >= 0 {
            return n.min(i32::MAX as isize) as i32;
        }
        match errno() {
            libc::EINTR => continue,
            libc::ESPIPE if off != -1 => off = -1,
            e => return -e,
        }
    }
}

/// recv/send, resuming a `MSG_WAITALL` transfer on a stream where the
/// previous try left off.
fn stream(op: &ValidOp, progress: &mut u32) -> Attempt {
    let r = &op.raw;
    let send = op.code == Opcode::Send;
    let flags = r.op_flags as i32 | if send { libc::MSG_NOSIGNAL } else { 0 };
    // SAFETY: the caller's buffer of r.len bytes, valid until completion.
    let call = |done: u32, flags: i32| {
        let (buf, len) = (
            r.buf.cast::<u8>().wrapping_add(done as usize).cast(),
            (r.len - done) as usize,
        );
        retry(|| unsafe {
            if send {
                libc::send(r.fd, buf, len, flags)
            } else {
                libc::recv(r.fd, buf, len, flags)
            }
        })
    };
    if flags & libc::MSG_DONTWAIT != 0 {
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
        let whole = n == 0 || done >= r.len || flags & libc::MSG_WAITALL == 0 || !is_stream(r.fd);
        if whole {
            return Attempt::Done(done as i32);
        }
    }
}

/// Whether a partial transfer continues (as io_uring's `MSG_WAITALL` does
/// for stream and seqpacket sockets only).
fn is_stream(fd: i32) -> bool {
    let mut kind: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: kind/len are valid out-parameters.
    let ok = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut kind as *mut i32).cast(),
            &mut len,
        )
    } == 0;
    ok && (kind == libc::SOCK_STREAM || kind == libc::SOCK_SEQPACKET)
}

/// accept4 has no per-call non-blocking flag: wait for the listener's
/// readiness first. (Another process accepting in between could still make
/// a blocking listener's accept wait.)
pub fn accept(
    fd: i32,
    addr: *mut libc::sockaddr,
    addrlen: *mut libc::socklen_t,
    flags: i32,
) -> Attempt {
    when_ready(fd, libc::POLLIN as u32, || {
        accept4(fd, addr, addrlen, flags)
    })
}

/// accept on a listener known to be in `O_NONBLOCK` mode: it cannot wait,
/// so no readiness check is needed first.
pub fn accept_nonblocking(
    fd: i32,
    addr: *mut libc::sockaddr,
    addrlen: *mut libc::socklen_t,
    flags: i32,
) -> Attempt {
    match accept4(fd, addr, addrlen, flags) {
        e if e == -libc::EAGAIN => Attempt::Again,
        n => Attempt::Done(n),
    }
}

fn accept4(fd: i32, addr: *mut libc::sockaddr, addrlen: *mut libc::socklen_t, flags: i32) -> i32 {
    // SAFETY: NULL or the caller's address buffers, valid until completion.
    retry(|| unsafe { libc::accept4(fd, addr, addrlen, flags) as isize })
}

/// Starts the connection without waiting, then waits until the socket is
/// writable and reports how it went — so a connect can be cancelled or time
/// out like any parked request, as under io_uring.
fn connect(op: &ValidOp, progress: &mut u32) -> Attempt {
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
            let res = match libc::connect(r.fd, r.buf as *const libc::sockaddr, r.len) {
                0 => 0,
                _ => -errno(),
            };
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
        _ => {
            let mut err: i32 = 0;
            let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
            // SAFETY: err/len are valid out-parameters.
            let rc = unsafe {
                libc::getsockopt(
                    r.fd,
                    libc::SOL_SOCKET,
                    libc::SO_ERROR,
                    (&mut err as *mut i32).cast(),
                    &mut len,
                )
            };
            Attempt::Done(if rc != 0 { -errno() } else { -err })
        }
    }
}
