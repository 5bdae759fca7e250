//! Deadlines: the fallback engine's stand-in for `IORING_OP_LINK_TIMEOUT`.

use std::time::{Duration, Instant};

/// `None` waits forever.
pub type Deadline = Option<Instant>;

pub fn deadline_after(ns: u64) -> Instant {
    // checked_add: a huge timeout is "practically never", not an overflow.
    Instant::now()
        .checked_add(Duration::from_nanos(ns))
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// Milliseconds to pass to poll(2) or epoll_wait(2) for `deadline` (-1 for
/// none), rounded up: waking early would only mean another wait.
pub fn timeout_ms(deadline: Deadline) -> i32 {
    match deadline {
        None => -1,
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            let ms = left.as_nanos().div_ceil(1_000_000);
            ms.min(i32::MAX as u128) as i32
        }
    }
}

/// Sleeps until `until` or `deadline`, whichever is first: 0 when `until`
/// came first, `-ETIME` when the deadline did. A signal does not shorten it.
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

/// The earlier of the caller's deadline and a socket timeout starting now,
/// and whether the socket timeout is the earlier one (its expiry is
/// `-EAGAIN`, as the system call reports it, not `-ETIME`).
pub fn earliest(deadline: Deadline, socket: Option<Duration>) -> (Deadline, bool) {
    let sock = socket.and_then(|d| Instant::now().checked_add(d));
    match (deadline, sock) {
        (Some(d), Some(s)) if s < d => (Some(s), true),
        (None, Some(s)) => (Some(s), true),
        (d, _) => (d, false),
    }
}
