//! Reads, writes and close, as io_uring performs them.

use super::errno;

/// preadv2/pwritev2 until not interrupted; offset `u64::MAX` is "current
/// position" (-1), and a descriptor without a position (pipe, socket)
/// ignores the offset, as io_uring does (preadv2 alone says `ESPIPE`).
///
/// # Safety
/// `iovs` must name memory valid for the transfer's direction.
pub unsafe fn rw(fd: i32, iovs: &[libc::iovec], offset: u64, flags: i32, write: bool) -> i32 {
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

/// close(2) is never retried: on Linux the descriptor is gone even when it
/// reports EINTR.
pub fn close(fd: i32) -> i32 {
    // SAFETY: closing a number is memory-safe; which descriptor is the caller's.
    if unsafe { libc::close(fd) } == 0 {
        return 0;
    }
    match errno() {
        libc::EINTR => 0,
        e => -e,
    }
}
