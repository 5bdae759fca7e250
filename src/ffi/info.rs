//! What the library runs on and what its results mean.

use super::ffi_boundary;
use crate::engine::{self, Engine};
use libc::c_char;

/// True when requests in this process run on io_uring: the kernel allowed a
/// ring at load time and `URB_ENGINE` (or `URB_BACKEND`) does not force the
/// fallback engine.
#[no_mangle]
pub extern "C" fn urb_supported() -> bool {
    ffi_boundary! { engine::engine() == Engine::IoUring }
}

/// The engine serving requests: `"io_uring"`, `"fallback"`, or `"none"` when
/// `URB_ENGINE=io_uring` was demanded on a kernel that refuses io_uring (every
/// request then fails with that refusal's errno). The string is static: do not
/// free it.
#[no_mangle]
pub extern "C" fn urb_engine_name() -> *const c_char {
    ffi_boundary! {
        match engine::engine() {
            Engine::IoUring => c"io_uring".as_ptr(),
            Engine::Fallback => c"fallback".as_ptr(),
            Engine::Refused(_) => c"none".as_ptr(),
        }
    }
}

/// Former name of `urb_engine_name`, kept for existing programs: returns
/// exactly what `urb_engine_name` returns (the same static string).
#[no_mangle]
pub extern "C" fn urb_backend_name() -> *const c_char {
    urb_engine_name()
}

/// True when `opcode` (a `URB_OP_*` value) can be performed by the engine in
/// use. False for unknown opcodes and for operations this kernel's io_uring
/// lacks (submitting one of those gives `-ENOSYS`).
#[no_mangle]
pub extern "C" fn urb_op_supported(opcode: u8) -> bool {
    ffi_boundary! { crate::engine::op_supported(opcode) }
}

/// Text for a result: `"success"` for values `>= 0`, the errno's description
/// for `-errno`, `"unknown error"` otherwise. Static: never NULL, do not free.
#[no_mangle]
pub extern "C" fn urb_strerror(res: i32) -> *const c_char {
    ffi_boundary! { crate::errors::text(res).as_ptr() }
}

/// The library's version, `"MAJOR.MINOR.PATCH"`. Static: do not free.
#[no_mangle]
pub extern "C" fn urb_version() -> *const c_char {
    ffi_boundary! { concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast() }
}
