//! Socket calls and options shared by the engines and faces.

use super::{errno, retry};
use std::time::Duration;

/// accept4(2) until not interrupted.
pub fn accept4(
    fd: i32,
    addr: *mut libc::sockaddr,
    addrlen: *mut libc::socklen_t,
    flags: i32,
) -> i32 {
    // SAFETY: NULL or the caller's address buffers, valid until completion.
    retry(|| unsafe { libc::accept4(fd, addr, addrlen, flags) as isize })
}

/// One connect(2) call, `-errno` on failure (`-EINTR` included: an
/// interrupted connect keeps going in the kernel, and the caller waits).
///
/// # Safety
/// `addr` must point to `len` readable bytes.
pub unsafe fn connect_once(fd: i32, addr: *const libc::sockaddr, len: u32) -> i32 {
    match libc::connect(fd, addr, len) {
        0 => 0,
        _ => -errno(),
    }
}

/// How a connection under way ended: `-SO_ERROR` (0 when connected).
pub fn connect_outcome(fd: i32) -> i32 {
    match int_sockopt(fd, libc::SO_ERROR) {
        Ok(err) => -err,
        Err(e) => e,
    }
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
    int_sockopt(fd, libc::SO_ACCEPTCONN).is_ok_and(|v| v != 0)
}

/// Whether a partial transfer on `fd` may continue: stream and seqpacket
/// sockets (as io_uring's `MSG_WAITALL` does), not datagrams.
pub fn is_stream(fd: i32) -> bool {
    int_sockopt(fd, libc::SO_TYPE)
        .is_ok_and(|t| t == libc::SOCK_STREAM || t == libc::SOCK_SEQPACKET)
}

/// An `int` socket option at `SOL_SOCKET`, or `-errno`.
fn int_sockopt(fd: i32, name: i32) -> Result<i32, i32> {
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
    if rc == 0 {
        Ok(v)
    } else {
        Err(-errno())
    }
}
