//! The io_uring engine: what the kernel supports, how a request becomes an
//! SQE, and the per-thread rings of the blocking face.

pub mod encode;
pub mod probe;
pub mod registered;
pub mod single;
pub mod thread_ring;
