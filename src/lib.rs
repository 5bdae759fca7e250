//! uringbridge: Linux io_uring behind a small C ABI.
//!
//! Layers, bottom up: `op` (the request description and its validation),
//! `uring` (the kernel engine) and `fallback` (plain syscalls), `engine`
//! (which of the two serves this process), `blocking` (the blocking face),
//! and `ffi` (every exported function, each behind a panic guard).

#![allow(non_camel_case_types)]

pub mod blocking;
pub mod engine;
pub mod errors;
pub mod fallback;
pub mod ffi;
pub mod op;
pub mod prep;
pub mod readiness;
pub mod ring;
pub mod sqe;
pub mod uring;

pub use op::urb_op;
