//! One request on the calling thread's ring, start to finish.

use crate::op::ValidOp;
use crate::uring::encode::{encode, link_timeout, timed_result, timespec, SqeArgs};
use crate::uring::thread_ring::{task_work, with_ring_for};
use io_uring::squeue::Flags;

/// `v` on the calling thread's ring, bounded by `timeout_ns` if given (a
/// linked timeout: `-ETIME` when it fired); the result as the operation's
/// `OpSpec::finish` has it. `None` when the thread cannot have a ring (the
/// caller then uses the fallback engine).
pub fn run(v: &ValidOp, timeout_ns: Option<u64>) -> Option<i32> {
    let mut args = SqeArgs::default();
    let entry = encode(v, &mut args);
    let work = task_work(std::slice::from_ref(v));
    match timeout_ns {
        None => with_ring_for(work, 1, |ring| v.finish(ring.run_one(entry))),
        Some(ns) => {
            let ts = timespec(ns);
            with_ring_for(work, 2, |ring| {
                let mut res = [0; 2];
                ring.run(
                    &mut [entry.flags(Flags::IO_LINK), link_timeout(&ts)],
                    &mut res,
                );
                timed_result(v.finish(res[0]), res[1])
            })
        }
    }
}
