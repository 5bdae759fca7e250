//! The fallback engine: the same operations with plain system calls, for
//! processes where io_uring is switched off or forced off.

pub mod attempt;
pub mod exec;
pub mod sigpipe;
