//! The readiness pollers: one table per implementation, each entry a thin
//! C-ABI shim over the `Readiness` trait, and the functions that hand the
//! tables out (under their names and their former `urb_backend_*` names).

use super::ffi_boundary;
use crate::engine::{self, Engine};
use crate::readiness::epoll::Epoll;
use crate::readiness::uring_poll::{self, UringPoll};
use crate::readiness::{urb_event, urb_poller_vtable, Readiness};
use libc::c_void;

extern "C" fn create<R: Readiness>() -> *mut c_void {
    ffi_boundary! {
        match R::create() {
            Ok(r) => Box::into_raw(Box::new(r)).cast(),
            Err(_) => std::ptr::null_mut(),
        }
    }
}

fn instance<'a, R>(state: *mut c_void) -> Result<&'a R, i32> {
    // SAFETY: a non-NULL state came from `create::<R>` of the same table.
    unsafe { (state as *const R).as_ref() }.ok_or(-libc::EINVAL)
}

extern "C" fn poll<R: Readiness>(
    state: *mut c_void,
    timeout_ms: i32,
    out: *mut urb_event,
    max: u32,
) -> i32 {
    ffi_boundary! {
        let r = match instance::<R>(state) { Ok(r) => r, Err(e) => return e };
        if out.is_null() || max == 0 || max > i32::MAX as u32 {
            return -libc::EINVAL;
        }
        // SAFETY: the caller promises room for `max` events.
        let out = unsafe { std::slice::from_raw_parts_mut(out, max as usize) };
        match r.poll(timeout_ms, out) { Ok(n) => n as i32, Err(e) => e }
    }
}

extern "C" fn modify_fd<R: Readiness>(
    state: *mut c_void,
    fd: i32,
    old_events: u32,
    new_events: u32,
) -> i32 {
    ffi_boundary! {
        match instance::<R>(state).and_then(|r| r.modify(fd, old_events, new_events)) { Ok(()) => 0, Err(e) => e }
    }
}

extern "C" fn modify_fd_once<R: Readiness>(state: *mut c_void, fd: i32, events: u32) -> i32 {
    ffi_boundary! {
        match instance::<R>(state).and_then(|r| r.modify_once(fd, events)) { Ok(()) => 0, Err(e) => e }
    }
}

extern "C" fn destroy<R: Readiness>(state: *mut c_void) {
    ffi_boundary! {
        if !state.is_null() {
            // SAFETY: made by Box::into_raw in `create::<R>`; the caller gives it up.
            drop(unsafe { Box::from_raw(state as *mut R) });
        }
    }
}

const fn table<R: Readiness>(name: &'static std::ffi::CStr) -> urb_poller_vtable {
    urb_poller_vtable {
        name: name.as_ptr(),
        create: create::<R>,
        poll: poll::<R>,
        modify_fd: modify_fd::<R>,
        modify_fd_once: modify_fd_once::<R>,
        destroy: destroy::<R>,
    }
}

static EPOLL: urb_poller_vtable = table::<Epoll>(c"epoll");
static IO_URING: urb_poller_vtable = table::<UringPoll>(c"io_uring");

fn io_uring_table() -> Option<&'static urb_poller_vtable> {
    (engine::engine() == Engine::IoUring && uring_poll::supported()).then_some(&IO_URING)
}

/// The poller that suits the engine chosen at load: io_uring's, or epoll's
/// where `urb_poller_io_uring` is NULL. Static; never NULL.
#[no_mangle]
pub extern "C" fn urb_poller_default() -> *const urb_poller_vtable {
    ffi_boundary! { io_uring_table().unwrap_or(&EPOLL) }
}

/// The io_uring poller (`IORING_OP_POLL_ADD`), or NULL where the engine is
/// not io_uring or the kernel predates multishot poll (5.13). Static.
#[no_mangle]
pub extern "C" fn urb_poller_io_uring() -> *const urb_poller_vtable {
    ffi_boundary! { io_uring_table().map_or(std::ptr::null(), |t| t as *const _) }
}

/// The epoll poller; always available. Static.
#[no_mangle]
pub extern "C" fn urb_poller_epoll() -> *const urb_poller_vtable {
    ffi_boundary! { &EPOLL }
}

/// Former name of `urb_poller_default`, kept for existing programs: returns
/// exactly what `urb_poller_default` returns.
#[no_mangle]
pub extern "C" fn urb_backend_default() -> *const urb_poller_vtable {
    urb_poller_default()
}

/// Former name of `urb_poller_io_uring`, kept for existing programs:
/// returns exactly what `urb_poller_io_uring` returns.
#[no_mangle]
pub extern "C" fn urb_backend_io_uring() -> *const urb_poller_vtable {
    urb_poller_io_uring()
}

/// Former name of `urb_poller_epoll`, kept for existing programs: returns
/// exactly what `urb_poller_epoll` returns.
#[no_mangle]
pub extern "C" fn urb_backend_epoll() -> *const urb_poller_vtable {
    urb_poller_epoll()
}
