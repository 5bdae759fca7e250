//! What a descriptor's own settings say about waiting, asked of the kernel
//! only on the paths that would otherwise wait or stop short: `O_NONBLOCK`,
//! `SO_RCVTIMEO`/`SO_SNDTIMEO`, listening, stream type.

use std::time::{Duration, Instant};

/// Whether `fd` is in `O_NONBLOCK` mode; `None` if `fcntl` refuses the
/// descriptor (the request itself then reports why).
pub fn nonblocking(fd: i32) -> Option<bool> {
    // SAFETY: F_GETFL only reads the descriptor's flags.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    (fl >= 0).then_some(fl & libc::O_NONBLOCK != 0)
}

/// A socket's `SO_RCVTIMEO` or `SO_SNDTIMEO` (`which`), `None` when unset
/// or `fd` is not a socket.
pub fn socket_timeout(fd: i32, which: i32) -> Option<Duration> {
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut len = std::mem::size_of::<libc::timeval>() as libc::socklen_t;
    // SAFETY: tv/len are valid out-parameters of the right size.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            which,
            (&mut tv as *mut libc::timeval).cast(),
            &mut len,
        )
    };
    if rc != 0 || (tv.tv_sec == 0 && tv.tv_usec == 0) {
        return None;
    }
    Some(Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64))
}

/// Whether `fd` is a listening socket (`SO_ACCEPTCONN`); false for anything
/// else, including descriptors that are not sockets.
pub fn is_listening(fd: i32) -> bool {
    int_sockopt(fd, libc::SO_ACCEPTCONN).is_some_and(|v| v != 0)
}

/// Whether a partial transfer on `fd` may continue: stream and seqpacket
/// sockets (as io_uring's `MSG_WAITALL` does), not datagrams.
pub fn is_stream(fd: i32) -> bool {
    int_sockopt(fd, libc::SO_TYPE)
        .is_some_and(|t| t == libc::SOCK_STREAM || t == libc::SOCK_SEQPACKET)
}

fn int_sockopt(fd: i32, name: i32) -> Option<i32> {
    let mut v: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: v/len are valid out-parameters.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            name,
            (&mut v as *mut i32).cast(),
            &mut len,
        )
    };
    (rc == 0).then_some(v)
}

/// The earlier of the caller's deadline and a socket timeout starting now,
/// and whether the socket timeout is the earlier one (its expiry is
/// `-EAGAIN`, as the system call reports it, not `-ETIME`).
pub fn earliest(deadline: Option<Instant>, socket: Option<Duration>) -> (Option<Instant>, bool) {
    let sock = socket.and_then(|d| Instant::now().checked_add(d));
    match (deadline, sock) {
        (Some(d), Some(s)) if s < d => (Some(s), true),
        (None, Some(s)) => (Some(s), true),
        (d, _) => (d, false),
    }
}
