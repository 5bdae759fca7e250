//! Requests waiting for a descriptor to become ready, on one epoll set.
//!
//! Each descriptor has one edge-triggered registration covering what its
//! waiters want, and a list of waiters (several requests may wait on one
//! descriptor). Edge-triggered because that is what io_uring's multishot
//! poll reports — one event per new readiness, not one per loop while the
//! data sits unread — and because every waiter is tried until it would block
//! before it parks, so no edge can be missed. A new waiter always re-arms the
//! registration: epoll then reports readiness that already exists, and a
//! registration the kernel dropped when its file was closed is made again.

use super::JobId;
use crate::sys::errno;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Keys of the level-triggered registrations that are not parked requests
/// (parked descriptors use their own number as the key).
pub const WAKE_KEY: u64 = u64::MAX;
pub const POOL_KEY: u64 = u64::MAX - 1;

const ALWAYS_REPORTED: u32 = (libc::EPOLLERR | libc::EPOLLHUP) as u32;

pub struct Parking {
    epoll: OwnedFd,
    /// Waiters per descriptor: (request, the events it waits for).
    waiters: HashMap<i32, Vec<(JobId, u32)>>,
}

impl Parking {
    pub fn new() -> Result<Parking, i32> {
        // SAFETY: plain syscall.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(-errno());
        }
        Ok(Parking {
            // SAFETY: a descriptor just created, owned by nothing else.
            epoll: unsafe { OwnedFd::from_raw_fd(fd) },
            waiters: HashMap::new(),
        })
    }

    fn ctl(&self, op: i32, fd: i32, events: u32, key: u64) -> Result<(), i32> {
        let mut ev = libc::epoll_event { events, u64: key };
        // SAFETY: ev is a valid epoll_event for the call's duration.
        if unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut ev) } == 0 {
            Ok(())
        } else {
            Err(-errno())
        }
    }

    /// Watches one of the owner's own descriptors, level-triggered.
    pub fn watch(&self, fd: i32, key: u64) -> Result<(), i32> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, libc::EPOLLIN as u32, key)
    }

    /// Parks request `id` on `fd` until one of `interest` (or an error or
    /// hang-up) is reported. `-EPERM`: `fd` cannot be polled at all.
    pub fn park(&mut self, fd: i32, id: JobId, interest: u32) -> Result<(), i32> {
        let list = self.waiters.entry(fd).or_default();
        let fresh = list.is_empty();
        list.push((id, interest));
        let wanted = list.iter().fold(0, |all, w| all | w.1) | libc::EPOLLET as u32;
        let key = fd as u64;
        let armed = if fresh {
            match self.ctl(libc::EPOLL_CTL_ADD, fd, wanted, key) {
                Err(e) if e == -libc::EEXIST => self.ctl(libc::EPOLL_CTL_MOD, fd, wanted, key),
                r => r,
            }
        } else {
            match self.ctl(libc::EPOLL_CTL_MOD, fd, wanted, key) {
                Err(e) if e == -libc::ENOENT => self.ctl(libc::EPOLL_CTL_ADD, fd, wanted, key),
                r => r,
            }
        };
        if armed.is_err() {
            self.unpark(fd, id);
        }
        armed
    }

    /// Forgets request `id`; the last waiter of a descriptor unregisters it.
    pub fn unpark(&mut self, fd: i32, id: JobId) {
        let Some(list) = self.waiters.get_mut(&fd) else {
            return;
        };
        list.retain(|w| w.0 != id);
        if list.is_empty() {
            self.waiters.remove(&fd);
            let _ = self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0);
        }
    }

    /// The requests on `fd` that the reported `events` concern.
    pub fn concerned(&self, fd: i32, events: u32, into: &mut Vec<JobId>) {
        into.clear();
        if let Some(list) = self.waiters.get(&fd) {
            into.extend(
                list.iter()
                    .filter(|w| events & (w.1 | ALWAYS_REPORTED) != 0)
                    .map(|w| w.0),
            );
        }
    }

    /// Waits up to `timeout_ms` (-1: no limit) for events; a signal just
    /// ends the wait early with none.
    pub fn wait(&self, events: &mut [libc::epoll_event], timeout_ms: i32) -> usize {
        // SAFETY: `events` has room for its length.
        let n = unsafe {
            libc::epoll_wait(
                self.epoll.as_raw_fd(),
                events.as_mut_ptr(),
                events.len() as i32,
                timeout_ms,
            )
        };
        n.max(0) as usize
    }
}
