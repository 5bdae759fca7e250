//! The readiness face: a poller, a table of functions shaped like GHC's
//! event-manager `Backend` (new / poll / modifyFd / modifyFdOnce / delete),
//! with two implementations of the same semantics — io_uring poll requests
//! and epoll.
//! `poll` fills an array, so no runtime is ever re-entered from C.

pub mod epoll;
mod ring_entry;
pub mod uring_poll;
pub mod user_data;

use libc::c_void;

/// The descriptor can be read (or accepted on).
pub const URB_EV_READ: u32 = 1;
/// The descriptor can be written.
pub const URB_EV_WRITE: u32 = 2;
/// Error or hang-up; reported whatever was asked for.
pub const URB_EV_ERROR: u32 = 4;
const KNOWN_EVENTS: u32 = URB_EV_READ | URB_EV_WRITE;

/// One ready descriptor, as `poll` reports it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct urb_event {
    pub fd: i32,
    /// `URB_EV_*` bits.
    pub events: u32,
}

/// A readiness poller: a table of functions that watch descriptors for
/// readiness. Obtain one with `urb_poller_default`, `urb_poller_io_uring` or
/// `urb_poller_epoll`; the table is static (never free it). A poller
/// *instance* is the `void *state` that `create` returns: pass it to the
/// other functions, free it with `destroy`. (The poller has nothing to do
/// with the *engine* that serves requests, `urb_engine_name`, except that the
/// default poller follows it.)
///
/// Threading, as GHC's I/O manager uses it: one thread at a time calls `poll`
/// on an instance, while any threads call `modify_fd` / `modify_fd_once` on it
/// concurrently; a registration made while `poll` sleeps wakes it when the
/// descriptor is ready.
///
/// A persistent registration (`modify_fd`) reports an fd when it *becomes*
/// ready — when data arrives or room frees up — not again on every `poll`
/// while it stays ready (epoll's `EPOLLET`; io_uring's multishot poll): read
/// or write until `EAGAIN`. A one-shot registration (`modify_fd_once`) reports
/// an fd that is ready when registered, or as soon as it becomes ready, once.
/// An fd has at most one registration: each `modify_fd`/`modify_fd_once`
/// replaces the previous one, persistent or one-shot. A registration lasts
/// until it is replaced or removed, whichever thread made it and whether or
/// not that thread still exists. Both implementations behave alike; the same
/// tests run on both.
///
/// Remove an fd's registration before closing the fd: an io_uring poll
/// request holds a reference to the open file, so closing the fd alone
/// neither ends the registration nor really closes the file (a socket's peer
/// would not see the connection end). An instance belongs to the process
/// that created it: in a child after `fork`, `poll` and `modify_fd*` refuse
/// with `-ECHILD` (`destroy` is allowed).
///
/// The io_uring poller survives a program's stray `close` of its ring's
/// descriptor number (a double close whose second call hit the ring): each
/// thread enters the ring by its own registered index, so the threads that
/// used the instance before go on as if nothing happened, a thread using it
/// for the first time afterwards gets `-EBADFD` from `poll`/`modify_fd*`
/// (the number names somebody else's file now: it is never entered, nor
/// closed by `destroy`), and the instance should be destroyed and replaced.
/// On kernels before 5.18 (or a thread with 16 registered rings already)
/// the ring is entered by its number, and such a close breaks it.
#[repr(C)]
pub struct urb_poller_vtable {
    /// `"io_uring"` or `"epoll"`. Static.
    pub name: *const libc::c_char,
    /// A new instance, or NULL if the kernel refused one.
    pub create: extern "C" fn() -> *mut c_void,
    /// Waits up to `timeout_ms` (-1: no limit, 0: do not wait) for ready
    /// descriptors and writes up to `max` of them to `out`. Returns how many
    /// (0 after the timeout), or `-errno` (`-EINVAL` for NULL `state`/`out` or
    /// `max == 0`). Ready descriptors beyond `max` are reported by the next
    /// call; one call reports each fd at most once. A signal never makes it
    /// fail.
    pub poll:
        extern "C" fn(state: *mut c_void, timeout_ms: i32, out: *mut urb_event, max: u32) -> i32,
    /// Changes the persistent interest in `fd` from `old_events` to
    /// `new_events` (`URB_EV_READ`/`URB_EV_WRITE`); `new_events == 0` removes
    /// the fd's registration (0 also when it had none). `old_events` is a
    /// hint: whatever the fd had is replaced. Returns 0 or `-errno` (`-EBADF`
    /// for a closed fd, `-EINVAL` for a negative fd or unknown bits).
    pub modify_fd:
        extern "C" fn(state: *mut c_void, fd: i32, old_events: u32, new_events: u32) -> i32,
    /// Registers interest in `events` on `fd` for one report, replacing the
    /// fd's registration: after `poll` has reported it once, the
    /// registration is gone. Returns 0 or `-errno`.
    pub modify_fd_once: extern "C" fn(state: *mut c_void, fd: i32, events: u32) -> i32,
    /// Frees an instance and everything registered on it. NULL is a no-op. No
    /// other call on the instance may be running or follow.
    pub destroy: extern "C" fn(state: *mut c_void),
}

// SAFETY: the tables are immutable statics holding a static string.
unsafe impl Sync for urb_poller_vtable {}

/// The poller table's former name, kept so existing programs build:
/// `urb_backend_vtable` is the same type as `urb_poller_vtable`. Only the
/// typedef name remains; code that spelled it `struct urb_backend_vtable`
/// must drop the `struct` or say `struct urb_poller_vtable`.
pub type urb_backend_vtable = urb_poller_vtable;

/// What each implementation provides; the tables are generated from it.
pub trait Readiness: Sized + Send + Sync {
    fn create() -> Result<Self, i32>;
    fn poll(&self, timeout_ms: i32, out: &mut [urb_event]) -> Result<usize, i32>;
    fn modify(&self, fd: i32, old_events: u32, new_events: u32) -> Result<(), i32>;
    fn modify_once(&self, fd: i32, events: u32) -> Result<(), i32>;
}

/// `URB_EV_*` from a poll(2)/epoll event mask (the bits are the same).
pub fn events_from_mask(mask: u32) -> u32 {
    let mut ev = 0;
    if mask & (libc::POLLIN | libc::POLLPRI | libc::POLLRDHUP) as u32 != 0 {
        ev |= URB_EV_READ;
    }
    if mask & libc::POLLOUT as u32 != 0 {
        ev |= URB_EV_WRITE;
    }
    if mask & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) as u32 != 0 {
        ev |= URB_EV_ERROR;
    }
    ev
}

/// The poll(2)/epoll mask for `URB_EV_*` interest.
pub fn mask_from_events(events: u32) -> u32 {
    let mut mask = 0;
    if events & URB_EV_READ != 0 {
        mask |= (libc::POLLIN | libc::POLLRDHUP) as u32;
    }
    if events & URB_EV_WRITE != 0 {
        mask |= libc::POLLOUT as u32;
    }
    mask
}

/// Argument checks shared by both implementations, so they refuse alike.
pub fn check_fd(fd: i32, events: u32) -> Result<(), i32> {
    if fd < 0 || events & !KNOWN_EVENTS != 0 {
        return Err(-libc::EINVAL);
    }
    // SAFETY: F_GETFD only inspects the descriptor table.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(-libc::EBADF);
    }
    Ok(())
}

/// `-ECHILD` in a child after `fork`: an instance belongs to its process.
pub fn check_process(created_in: u64) -> Result<(), i32> {
    if created_in != crate::engine::fork_generation() {
        return Err(-libc::ECHILD);
    }
    Ok(())
}

/// Milliseconds left until `deadline` for a retried wait.
pub fn remaining_ms(timeout_ms: i32, start: std::time::Instant) -> i32 {
    if timeout_ms < 0 {
        return -1;
    }
    let spent = start.elapsed().as_millis().min(i32::MAX as u128) as i32;
    (timeout_ms - spent).max(0)
}
