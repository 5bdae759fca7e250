//! The readiness vtables: one table per implementation, each entry a thin
//! C-ABI shim over the `Readiness` trait.

use super::ffi_boundary;
use crate::engine::{self, Engine};
use crate::readiness::epoll::Epoll;
use crate::readiness::uring_poll::{self, UringPoll};
use crate::readiness::{urb_backend_vtable, urb_event, Readiness};
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

const fn table<R: Readiness>(name: &'static std::ffi::CStr) -> urb_backend_vtable {
    urb_backend_vtable {
        name: name.as_ptr(),
        create: create::<R>,
        poll: poll::<R>,
        modify_fd: modify_fd::<R>,
        modify_fd_once: modify_fd_once::<R>,
        destroy: destroy::<R>,
    }
}

static EPOLL: urb_backend_vtable = table::<Epoll>(c"epoll");
static IO_URING: urb_backend_vtable = table::<UringPoll>(c"io_uring");

fn io_uring_table() -> Option<&'static urb_backend_vtable> {
    (engine::engine() == Engine::IoUring && uring_poll::supported()).then_some(&IO_URING)
}

/// The readiness backend of the engine chosen at load: io_uring's, or epoll's
/// where `urb_backend_io_uring` is NULL. Static; never NULL.
#[no_mangle]
pub extern "C" fn urb_backend_default() -> *const urb_backend_vtable {
    ffi_boundary! { io_uring_table().unwrap_or(&EPOLL) }
}

/// The io_uring readiness backend (`IORING_OP_POLL_ADD`), or NULL where the
/// engine is not io_uring or the kernel predates multishot poll (5.13).
/// Static.
#[no_mangle]
pub extern "C" fn urb_backend_io_uring() -> *const urb_backend_vtable {
    ffi_boundary! { io_uring_table().map_or(std::ptr::null(), |t| t as *const _) }
}

/// The epoll readiness backend; always available. Static.
#[no_mangle]
pub extern "C" fn urb_backend_epoll() -> *const urb_backend_vtable {
    ffi_boundary! { &EPOLL }
}
