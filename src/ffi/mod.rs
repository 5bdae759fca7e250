//! Every `extern "C"` function of the library lives under this module, and
//! every body runs inside [`ffi_boundary!`]: a panic becomes
//! `-ENOTRECOVERABLE` (or NULL / false) instead of unwinding into C.
//!
//! The functions here take raw pointers from C callers, who cannot see a
//! Rust `unsafe`: each checks NULL itself ([`try_ref`], [`try_mut`]) and
//! its header comment states what a non-NULL pointer must point to.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod blocking;
pub mod info;
pub mod prep;
pub mod readiness;
pub mod ring;

/// The value an exported function returns if its body panicked.
pub trait OnPanic {
    fn on_panic() -> Self;
}
impl OnPanic for i32 {
    fn on_panic() -> i32 {
        crate::errors::PANICKED
    }
}
impl OnPanic for bool {
    fn on_panic() -> bool {
        false
    }
}
impl<T> OnPanic for *const T {
    fn on_panic() -> *const T {
        std::ptr::null()
    }
}
impl<T> OnPanic for *mut T {
    fn on_panic() -> *mut T {
        std::ptr::null_mut()
    }
}
impl OnPanic for () {
    fn on_panic() {}
}

/// Runs an exported function's body with panics caught. The body is written
/// inline (not in a closure at the call site) so cbindgen still reads the
/// function's signature.
macro_rules! ffi_boundary {
    ($($body:tt)*) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(value) => value,
            Err(_) => $crate::ffi::OnPanic::on_panic(),
        }
    };
}
pub(crate) use ffi_boundary;

/// A caller's pointer as a reference, or `-EINVAL` for NULL.
///
/// # Safety
/// A non-NULL `p` must point to a valid `T` for the duration of the call.
pub unsafe fn try_ref<'a, T>(p: *const T) -> Result<&'a T, i32> {
    p.as_ref().ok_or(-libc::EINVAL)
}

/// A caller's output pointer as a mutable reference, or `-EINVAL` for NULL.
///
/// # Safety
/// A non-NULL `p` must point to writable memory for a `T`.
pub unsafe fn try_mut<'a, T>(p: *mut T) -> Result<&'a mut T, i32> {
    p.as_mut().ok_or(-libc::EINVAL)
}

/// `Ok(v)` and `Err(-errno)` both become the CQE-style `int32_t`.
pub fn flatten(r: Result<i32, i32>) -> i32 {
    r.unwrap_or_else(|e| e)
}
