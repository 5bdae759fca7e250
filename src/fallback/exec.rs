//! One `ValidOp` performed with plain system calls, giving the result an
//! io_uring CQE would carry for it.

use super::wait::{deadline_after, errno, poll_fd, sleep_until, Deadline};
use crate::op::{self, Opcode, ValidOp, URB_FSYNC_DATASYNC};
use libc::c_void;

/// Performs `op`, giving up with `-ETIME` at `deadline` where the operation
/// waits on a pollable descriptor (sockets, pipes) or sleeps. Operations on
/// regular files do not wait for readiness and run to completion, as they
/// would under io_uring in practice.
pub fn execute(op: &ValidOp, deadline: Deadline) -> i32 {
    let fd = op.raw.fd;
    let waits_for = readiness_needed(op.code, op.raw.op_flags);
    loop {
        if let Some(events) = waits_for {
            if deadline.is_some() && is_pollable(fd) {
                let ready = poll_fd(fd, events, deadline);
                if ready < 0 || op.code == Opcode::Poll {
                    return ready;
                }
            }
        }
        let res = perform(op, deadline);
        match waits_for {
            // An O_NONBLOCK descriptor (Go and GHC make every socket one):
            // io_uring waits for readiness instead of failing, and so do we.
            Some(events) if res == -libc::EAGAIN => {
                let ready = poll_fd(fd, events, deadline);
                if ready < 0 {
                    return ready;
                }
            }
            _ => return res,
        }
    }
}

fn perform(op: &ValidOp, deadline: Deadline) -> i32 {
    let r = &op.raw;
    let fd = r.fd;
    // SAFETY (all arms): the pointers were supplied by the caller for
    // exactly these calls; validate() checked them for NULL.
    unsafe {
        match op.code {
            Opcode::Nop => 0,
            Opcode::Read => {
                let iov = libc::iovec {
                    iov_base: r.buf,
                    iov_len: r.len as usize,
                };
                rw(fd, &iov, 1, r.offset, r.op_flags, false)
            }
            Opcode::Write => {
                let iov = libc::iovec {
                    iov_base: r.buf,
                    iov_len: r.len as usize,
                };
                rw(fd, &iov, 1, r.offset, r.op_flags, true)
            }
            Opcode::Readv | Opcode::Writev => {
                let iovs = op::iovecs(r);
                rw(
                    fd,
                    iovs.as_ptr(),
                    iovs.len() as i32,
                    r.offset,
                    r.op_flags,
                    op.code == Opcode::Writev,
                )
            }
            Opcode::Fsync => retry(|| {
                if r.op_flags & URB_FSYNC_DATASYNC != 0 {
                    libc::fdatasync(fd) as isize
                } else {
                    libc::fsync(fd) as isize
                }
            }),
            Opcode::Openat => retry(|| {
                libc::openat(fd, r.buf as *const libc::c_char, r.op_flags as i32, r.mode) as isize
            }),
            Opcode::Close => close(fd),
            Opcode::Statx => retry(|| {
                libc::statx(
                    fd,
                    r.buf as *const libc::c_char,
                    r.op_flags as i32,
                    r.mode,
                    r.buf2 as *mut libc::statx,
                ) as isize
            }),
            Opcode::Recv => {
                let flags = r.op_flags as i32;
                socket_io(fd, libc::POLLIN, flags, deadline, |f| {
                    libc::recv(fd, r.buf, r.len as usize, f)
                })
            }
            Opcode::Send => {
                let flags = r.op_flags as i32 | libc::MSG_NOSIGNAL;
                socket_io(fd, libc::POLLOUT, flags, deadline, |f| {
                    libc::send(fd, r.buf, r.len as usize, f)
                })
            }
            Opcode::Accept => retry(|| {
                libc::accept4(
                    fd,
                    r.buf as *mut libc::sockaddr,
                    r.buf2 as *mut libc::socklen_t,
                    r.op_flags as i32,
                ) as isize
            }),
            Opcode::Connect => connect(fd, r.buf as *const libc::sockaddr, r.len, deadline),
            Opcode::Shutdown => retry(|| libc::shutdown(fd, r.op_flags as i32) as isize),
            Opcode::Poll => poll_fd(fd, r.op_flags as i16, deadline),
            Opcode::Timeout => sleep_until(deadline_after(r.offset), deadline),
        }
    }
}

/// The events an operation waits for; None for those that do not wait, and
/// for those the caller asked not to (`MSG_DONTWAIT`, `RWF_NOWAIT`: they get
/// `-EAGAIN` at once, as on io_uring).
fn readiness_needed(code: Opcode, op_flags: u32) -> Option<i16> {
    let no_wait = match code {
        Opcode::Recv | Opcode::Send => op_flags & libc::MSG_DONTWAIT as u32 != 0,
        Opcode::Read | Opcode::Readv | Opcode::Write | Opcode::Writev => {
            op_flags & libc::RWF_NOWAIT as u32 != 0
        }
        _ => false,
    };
    if no_wait {
        return None;
    }
    match code {
        Opcode::Read | Opcode::Readv | Opcode::Recv | Opcode::Accept => Some(libc::POLLIN),
        Opcode::Write | Opcode::Writev | Opcode::Send => Some(libc::POLLOUT),
        Opcode::Poll => Some(op_flags as i16),
        _ => None,
    }
}

/// Regular files, directories and block devices are always "ready".
pub(crate) fn is_pollable(fd: i32) -> bool {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is a valid out-parameter.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return true; // let the operation itself report the bad descriptor
    }
    !matches!(
        st.st_mode & libc::S_IFMT,
        libc::S_IFREG | libc::S_IFDIR | libc::S_IFBLK
    )
}

/// Runs a syscall until it is not interrupted; `-errno` on failure.
fn retry(mut call: impl FnMut() -> isize) -> i32 {
    loop {
        let n = call();
        if n >= 0 {
            return n.min(i32::MAX as isize) as i32;
        }
        let e = errno();
        if e != libc::EINTR {
            return -e;
        }
    }
}

/// preadv2/pwritev2; offset `u64::MAX` is "current position" (-1), and a
/// non-seekable descriptor ignores the offset, as io_uring does.
unsafe fn rw(
    fd: i32,
    iov: *const libc::iovec,
    cnt: i32,
    offset: u64,
    flags: u32,
    write: bool,
) -> i32 {
    let mut off = offset as i64;
    loop {
        let n = if write {
            libc::pwritev2(fd, iov, cnt, off, flags as i32)
        } else {
            libc::preadv2(fd, iov, cnt, off, flags as i32)
        };
        if n >= 0 {
            return n as i32;
        }
        match errno() {
            libc::EINTR => continue,
            libc::ESPIPE if off != -1 => off = -1,
            e => return -e,
        }
    }
}

/// recv/send: with a deadline, non-blocking attempts between readiness waits
/// so the deadline holds even if another reader wins the race.
unsafe fn socket_io(
    fd: i32,
    events: i16,
    flags: i32,
    deadline: Deadline,
    call: impl Fn(i32) -> isize,
) -> i32 {
    if deadline.is_none() {
        return retry(|| call(flags));
    }
    loop {
        let n = retry(|| call(flags | libc::MSG_DONTWAIT));
        if n != -libc::EAGAIN || flags & libc::MSG_DONTWAIT != 0 {
            return n;
        }
        let ready = poll_fd(fd, events, deadline);
        if ready < 0 {
            return ready;
        }
    }
}

/// close(2) is never retried: on Linux the descriptor is gone even when it
/// reports EINTR.
unsafe fn close(fd: i32) -> i32 {
    if libc::close(fd) == 0 {
        return 0;
    }
    match errno() {
        libc::EINTR => 0,
        e => -e,
    }
}

/// A connect interrupted by a signal keeps going in the kernel; wait for it
/// to finish instead of retrying (which would report EALREADY).
unsafe fn connect(fd: i32, addr: *const libc::sockaddr, len: u32, deadline: Deadline) -> i32 {
    if libc::connect(fd, addr, len) == 0 {
        return 0;
    }
    match errno() {
        libc::EINTR | libc::EINPROGRESS => {}
        e => return -e,
    }
    let ready = poll_fd(fd, libc::POLLOUT, deadline);
    if ready < 0 {
        return ready;
    }
    let mut err: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    if libc::getsockopt(
        fd,
        libc::SOL_SOCKET,
        libc::SO_ERROR,
        &mut err as *mut i32 as *mut c_void,
        &mut len,
    ) != 0
    {
        return -errno();
    }
    -err
}
