//! The system calls every engine and face shares, each written once: the
//! lowest layer, which knows nothing of requests, rings or engines.
//!
//! Layers point one way: `sys` <- the engines (`uring`, `fallback`, and the
//! operations table in `ops`) <- the faces (`blocking`, `ring`) <- `ffi`.

pub mod descriptor;
pub mod eventfd;
pub mod io;
pub mod poll;
pub mod socket;
pub mod splice;
pub mod time;

/// The calling thread's `errno`.
pub fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// Runs a system call until it is not interrupted; `-errno` on failure, the
/// result (at most `i32::MAX`) otherwise.
pub fn retry(mut call: impl FnMut() -> isize) -> i32 {
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
