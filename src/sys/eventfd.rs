//! Non-blocking eventfds, the wake-up signal between the library's threads.

use super::errno;
use std::os::fd::{FromRawFd, OwnedFd};

/// A new non-blocking, close-on-exec eventfd, or `-errno`.
pub fn create() -> Result<OwnedFd, i32> {
    // SAFETY: plain system call.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(-errno());
    }
    // SAFETY: a descriptor we just created and own alone.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Makes `fd` readable (adds one to its counter).
pub fn signal(fd: i32) {
    let one: u64 = 1;
    // SAFETY: an 8-byte write from a local; a full counter only means it is readable already.
    unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
}

/// Resets `fd` to unreadable; nothing happens if it already was.
pub fn drain(fd: i32) {
    let mut count: u64 = 0;
    // SAFETY: an 8-byte read into a local from a non-blocking eventfd.
    unsafe { libc::read(fd, (&mut count as *mut u64).cast(), 8) };
}
