//! The readiness face on epoll: persistent interest is edge-triggered, one-shot
//! interest uses `EPOLLONESHOT` (re-armed with `MOD`, or `ADD` on first use),
//! as GHC's own EPoll backend does.

use super::{
    check_fd, check_process, events_from_mask, mask_from_events, remaining_ms, urb_event, Readiness,
};
use crate::engine;
use crate::sys::errno;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

/// Most events one `epoll_wait` returns; more are reported by the next call.
const BATCH: usize = 512;

pub struct Epoll {
    fd: OwnedFd,
    fork_generation: u64,
}

impl Epoll {
    fn ctl(&self, op: i32, fd: i32, mask: u32) -> Result<(), i32> {
        let mut ev = libc::epoll_event {
            events: mask,
            u64: fd as u32 as u64,
        };
        // SAFETY: a valid epoll fd and event.
        if unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut ev) } == 0 {
            Ok(())
        } else {
            Err(-errno())
        }
    }

    /// MOD, or ADD when the fd is not registered yet (and the reverse).
    fn set(&self, fd: i32, mask: u32, first_try_add: bool) -> Result<(), i32> {
        let (first, second, retry_on) = if first_try_add {
            (libc::EPOLL_CTL_ADD, libc::EPOLL_CTL_MOD, -libc::EEXIST)
        } else {
            (libc::EPOLL_CTL_MOD, libc::EPOLL_CTL_ADD, -libc::ENOENT)
        };
        match self.ctl(first, fd, mask) {
            Err(e) if e == retry_on => self.ctl(second, fd, mask),
            r => r,
        }
    }
}

impl Readiness for Epoll {
    fn create() -> Result<Epoll, i32> {
        // SAFETY: plain syscall.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(-errno());
        }
        Ok(Epoll {
            // SAFETY: a descriptor just created, owned by nothing else.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            fork_generation: engine::fork_generation(),
        })
    }

    fn poll(&self, timeout_ms: i32, out: &mut [urb_event]) -> Result<usize, i32> {
        check_process(self.fork_generation)?;
        let mut evs = [libc::epoll_event { events: 0, u64: 0 }; BATCH];
        let max = out.len().min(BATCH);
        let start = Instant::now();
        loop {
            let wait = remaining_ms(timeout_ms, start);
            // SAFETY: evs has room for `max` entries.
            let n = unsafe {
                libc::epoll_wait(self.fd.as_raw_fd(), evs.as_mut_ptr(), max as i32, wait)
            };
            if n < 0 {
                match errno() {
                    libc::EINTR => continue,
                    e => return Err(-e),
                }
            }
            for (o, e) in out.iter_mut().zip(&evs[..n as usize]) {
                *o = urb_event {
                    fd: e.u64 as i32,
                    events: events_from_mask(e.events),
                };
            }
            return Ok(n as usize);
        }
    }

    fn modify(&self, fd: i32, old_events: u32, new_events: u32) -> Result<(), i32> {
        check_fd(fd, old_events | new_events)?;
        check_process(self.fork_generation)?;
        if new_events == 0 {
            return match self.ctl(libc::EPOLL_CTL_DEL, fd, 0) {
                Err(e) if e == -libc::ENOENT => Ok(()),
                r => r,
            };
        }
        let mask = mask_from_events(new_events) | libc::EPOLLET as u32;
        self.set(fd, mask, old_events == 0)
    }

    fn modify_once(&self, fd: i32, events: u32) -> Result<(), i32> {
        check_fd(fd, events)?;
        check_process(self.fork_generation)?;
        if events == 0 {
            return Err(-libc::EINVAL);
        }
        self.set(
            fd,
            mask_from_events(events) | libc::EPOLLONESHOT as u32,
            false,
        )
    }
}
