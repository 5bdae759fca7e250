//! Waiting with a deadline, the fallback engine's stand-in for
//! `IORING_OP_LINK_TIMEOUT`: `EINTR` is absorbed and the remaining time
//! recomputed, so no signal shortens or fails a wait.

use std::time::{Duration, Instant};

/// `None` waits forever.
pub type Deadline = Option<Instant>;

pub fn deadline_after(ns: u64) -> Instant {
    // checked_add: a huge timeout is "practically never", not an overflow.
    Instant::now()
        .checked_add(Duration::from_nanos(ns))
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// Milliseconds to pass to poll(2), rounded up so we never wake early.
fn poll_timeout_ms(deadline: Deadline) -> i32 {
    match deadline {
        None => -1,
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            let ms = left.as_nanos().div_ceil(1_000_000);
            ms.min(i32::MAX as u128) as i32
        }
    }
}

/// Waits until `fd` reports one of `events` (plus error/hang-up). Returns the
/// ready events, `-ETIME` when the deadline passes first, or `-EBADF` for a
/// descriptor poll(2) calls invalid.
pub fn poll_fd(fd: i32, events: i16, deadline: Deadline) -> i32 {
    loop {
        let mut p = libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        let timeout = poll_timeout_ms(deadline);
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut p, 1, timeout) };
        if n < 0 {
            let e = errno();
            if e == libc::EINTR {
                continue;
            }
            return -e;
        }
        if n == 0 {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return -libc::ETIME;
            }
            continue;
        }
        if p.revents & libc::POLLNVAL != 0 {
            return -libc::EBADF;
        }
        let wanted = events | libc::POLLERR | libc::POLLHUP;
        return (p.revents & wanted) as u16 as i32;
    }
}

/// Sleeps until `until` or `deadline`, whichever is first: 0 when `until`
/// came first, `-ETIME` when the deadline did.
pub fn sleep_until(until: Instant, deadline: Deadline) -> i32 {
    let (end, res) = match deadline {
        Some(d) if d < until => (d, -libc::ETIME),
        _ => (until, 0),
    };
    loop {
        let now = Instant::now();
        if now >= end {
            return res;
        }
        std::thread::sleep(end - now);
    }
}

pub fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}
