//! Writes never kill the process with `SIGPIPE`: a pipe or socket without a
//! reader gives `-EPIPE`, as `send` with `MSG_NOSIGNAL` does. A library
//! loaded into a runtime (Go's cannot turn a SIGPIPE on a thread it does not
//! own into EPIPE) must not let the kernel's default action end its host.
//!
//! The kernel sends that `SIGPIPE` to the writing thread itself, so a write
//! made with the signal blocked leaves it pending on that thread, where it
//! is taken back before the mask is restored.

/// Blocks `SIGPIPE` on the calling thread for its lifetime; on drop, takes
/// back a `SIGPIPE` the write left pending (when the result was `-EPIPE`)
/// and restores the thread's mask. A caller that had `SIGPIPE` blocked
/// already keeps its pending signal, exactly as after a plain write(2).
pub struct SigpipeGuard {
    old: libc::sigset_t,
    was_blocked: bool,
}

fn sigpipe_set() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; the calls initialise it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        set
    }
}

impl SigpipeGuard {
    /// Blocks SIGPIPE on this thread until [`SigpipeGuard::finish`].
    pub fn block() -> SigpipeGuard {
        let set = sigpipe_set();
        // SAFETY: valid sigsets; pthread_sigmask changes this thread only.
        unsafe {
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
            let was_blocked = libc::sigismember(&old, libc::SIGPIPE) == 1;
            SigpipeGuard { old, was_blocked }
        }
    }

    /// Call with the write's result before the guard is dropped.
    pub fn finish(self, res: i32) -> i32 {
        if res == -libc::EPIPE && !self.was_blocked {
            let set = sigpipe_set();
            let zero = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: valid sigset and timespec; takes at most one pending SIGPIPE.
            unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) };
        }
        res
    }
}

impl Drop for SigpipeGuard {
    fn drop(&mut self) {
        if !self.was_blocked {
            // SAFETY: restores the mask saved in new().
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut()) };
        }
    }
}

/// For the library's own threads (ring owners, workers): `SIGPIPE` stays
/// blocked for good, so a write they make for a caller gives `-EPIPE`. The
/// pending signal, if any, is harmless on a thread that never unblocks it.
pub fn block_on_library_thread() {
    let set = sigpipe_set();
    // SAFETY: a valid sigset; changes this thread's mask only.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}
