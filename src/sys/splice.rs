//! splice(2) and tee(2) as io_uring performs them: an offset of -1 (`u64::MAX`)
//! is "no offset" (the system call's NULL), and the offsets are copies the
//! call may advance but the caller never sees change.

use super::retry;

/// splice(2) until not interrupted.
///
/// # Safety
/// Plain descriptors and offsets: nothing of the caller's memory is read.
pub unsafe fn splice(
    fd_in: i32,
    off_in: u64,
    fd_out: i32,
    off_out: u64,
    len: u32,
    flags: u32,
) -> i32 {
    let (mut off_in, mut off_out) = (off_in as i64, off_out as i64);
    let at = |off: &mut i64| {
        if *off == -1 {
            std::ptr::null_mut()
        } else {
            off as *mut i64
        }
    };
    let (p_in, p_out) = (at(&mut off_in), at(&mut off_out));
    retry(|| {
        // SAFETY: the offsets are this frame's own; descriptors are plain numbers.
        unsafe { libc::splice(fd_in, p_in, fd_out, p_out, len as usize, flags) as isize }
    })
}

/// tee(2) until not interrupted.
pub fn tee(fd_in: i32, fd_out: i32, len: u32, flags: u32) -> i32 {
    // SAFETY: plain descriptors; nothing of the caller's memory is read.
    retry(|| unsafe { libc::tee(fd_in, fd_out, len as usize, flags) as isize })
}

/// io_uring looks both descriptors up even for a length of 0 (splice(2)
/// returns 0 without looking): `-EBADF` unless both are open.
pub fn both_open(fd_in: i32, fd_out: i32) -> i32 {
    // SAFETY: F_GETFD only reads the descriptor table.
    let open = |fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0;
    if open(fd_in) && open(fd_out) {
        0
    } else {
        -libc::EBADF
    }
}
