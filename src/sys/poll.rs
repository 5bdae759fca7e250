//! poll(2) on one descriptor: waiting with a deadline, or asking "ready
//! now?". `EINTR` is absorbed and the remaining time recomputed, so no
//! signal shortens or fails a wait.

use super::errno;
use super::time::{timeout_ms, Deadline};
use std::time::Instant;

/// One poll(2) call: the ready events among `events` (plus error and
/// hang-up), 0 for none before `timeout` ms, `-EBADF` for a descriptor
/// poll(2) calls invalid, `-errno` (including `-EINTR`) on failure.
fn poll_once(fd: i32, events: i16, timeout: i32) -> i32 {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    if unsafe { libc::poll(&mut p, 1, timeout) } < 0 {
        return -errno();
    }
    if p.revents & libc::POLLNVAL != 0 {
        return -libc::EBADF;
    }
    (p.revents & (events | libc::POLLERR | libc::POLLHUP)) as u16 as i32
}

/// Waits until `fd` reports one of `events` (plus error/hang-up). Returns the
/// ready events, `-ETIME` when the deadline passes first, or `-EBADF` for a
/// descriptor poll(2) calls invalid.
pub fn poll_fd(fd: i32, events: i16, deadline: Deadline) -> i32 {
    loop {
        match poll_once(fd, events, timeout_ms(deadline)) {
            e if e == -libc::EINTR => continue,
            0 if deadline.is_some_and(|d| Instant::now() >= d) => return -libc::ETIME,
            0 => continue,
            res => return res,
        }
    }
}

/// The ready events among `events` (plus error and hang-up) right now, 0 for
/// none, `-EBADF` for a descriptor poll(2) calls invalid.
pub fn poll_now(fd: i32, events: u32) -> i32 {
    loop {
        match poll_once(fd, events as u16 as i16, 0) {
            e if e == -libc::EINTR => continue,
            res => return res,
        }
    }
}
