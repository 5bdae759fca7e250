//! uringbridge: Linux io_uring behind a small C ABI.
//!
//! Layers, bottom up, each using only those below it: `sys` (the system
//! calls, each written once), `op` (the request description and its
//! validation) and `ops` (the operations table: one `OpSpec` per
//! operation, with its encoding and its fallback execution), `uring` (the
//! kernel engine) and `fallback` (plain syscalls), `engine` (which of the
//! two serves this process), the faces `blocking` and `ring`, and `ffi`
//! (every exported function, each behind a panic guard).

#![allow(non_camel_case_types)]
// Every unsafe block says why it is sound (make lint denies warnings).
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod blocking;
pub mod engine;
pub mod errors;
pub mod fallback;
pub mod ffi;
pub mod op;
pub mod ops;
pub mod prep;
pub mod readiness;
pub mod ring;
pub mod sqe;
pub(crate) mod sys;
pub mod tryfirst;
pub mod uring;

pub use op::urb_op;
