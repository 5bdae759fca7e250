//! nop, poll, timeout: the operations that move no data.

use super::{
    no_fields, on_fd, BlockingRule, ChainRule, Extra, FdUse, Finish, OpSpec, Readiness, RingRoute,
    SqeFields, Tried, EVENTS_ASKED,
};
use crate::fallback::attempt::Attempt;
use crate::op::urb_op;
use crate::sys::poll::{poll_fd, poll_now};
use crate::sys::time::{deadline_after, sleep_until};
use crate::uring::encode::timespec;
use io_uring::{opcode, types};

/// Does nothing; completes with 0.
pub const NOP: OpSpec = OpSpec {
    name: "URB_OP_NOP",
    kernel_opcode: opcode::Nop::CODE,
    since: "5.1",
    fd: FdUse::None,
    vectored: false,
    validate: no_fields,
    encode: |_, _| opcode::Nop::new().build(),
    decode: |f| Ok(on_fd(f)),
    perform: |_, _| 0,
    readiness: Readiness::Never,
    ring_route: RingRoute::Inline,
    tried: Tried::Always,
    chain: ChainRule::ErrorOnly,
    finish: Finish::AsIs,
    may_raise_sigpipe: false,
    blocking: BlockingRule::Once,
    extra: Extra::Unused,
};

/// One-shot poll for the events in `op_flags`.
pub const POLL: OpSpec = OpSpec {
    name: "URB_OP_POLL",
    kernel_opcode: opcode::PollAdd::CODE,
    since: "5.1",
    fd: FdUse::Required,
    vectored: false,
    // events == 0 is poll(2)'s "error or hang-up only".
    validate: |op| match op.op_flags > u16::MAX as u32 {
        true => Err(-libc::EINVAL),
        false => Ok(0),
    },
    encode: |op, _| opcode::PollAdd::new(types::Fd(op.raw.fd), op.raw.op_flags).build(),
    // A non-zero len is a multishot or update poll: not emulated.
    decode: |f| match f.len {
        0 => Ok(urb_op {
            op_flags: f.op_flags,
            ..on_fd(f)
        }),
        _ => Err(-libc::ENOSYS),
    },
    perform: |op, deadline| poll_fd(op.raw.fd, op.raw.op_flags as i16, deadline),
    readiness: Readiness::Waits {
        events: EVENTS_ASKED,
        unless: 0,
        dont_wait: 0,
        sockets_only: false,
        perform_waits: true,
        progress_is_bytes: false,
        attempt: |op, _| match poll_now(op.raw.fd, op.raw.op_flags) {
            0 => Attempt::Again,
            n => Attempt::Done(n),
        },
    },
    ring_route: RingRoute::Readiness,
    tried: Tried::Never,
    chain: ChainRule::ErrorOnly,
    finish: Finish::PollEvents,
    may_raise_sigpipe: false,
    blocking: BlockingRule::Once,
    extra: Extra::Unused,
};

/// Sleeps for `offset` nanoseconds.
pub const TIMEOUT: OpSpec = OpSpec {
    name: "URB_OP_TIMEOUT",
    kernel_opcode: opcode::Timeout::CODE,
    since: "5.4",
    fd: FdUse::None,
    vectored: false,
    validate: |op| match op.offset > i64::MAX as u64 {
        true => Err(-libc::EINVAL),
        false => Ok(0),
    },
    encode: |op, args| {
        args.timespec = timespec(op.raw.offset);
        opcode::Timeout::new(&args.timespec)
            .flags(types::TimeoutFlags::ETIME_SUCCESS)
            .build()
    },
    decode: decode_timeout,
    perform: |op, deadline| sleep_until(deadline_after(op.raw.offset), deadline),
    readiness: Readiness::Never,
    ring_route: RingRoute::Sleep,
    tried: Tried::Never,
    chain: ChainRule::ErrorOnly,
    finish: Finish::SleepDone,
    may_raise_sigpipe: false,
    blocking: BlockingRule::Once,
    extra: Extra::Unused,
};

const TIMEOUT_ABS: u32 = 1 << 0;
const TIMEOUT_ETIME_SUCCESS: u32 = 1 << 5;

fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-parameter.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

/// A relative or `CLOCK_MONOTONIC`-absolute single timeout.
///
/// # Safety
/// `addr` is the caller's readable `__kernel_timespec`.
unsafe fn decode_timeout(f: &SqeFields) -> Result<urb_op, i32> {
    if f.op_flags & !(TIMEOUT_ABS | TIMEOUT_ETIME_SUCCESS) != 0 || f.off != 0 {
        // Boot-time, realtime, multishot or counting timeouts are not
        // emulated.
        return Err(-libc::ENOSYS);
    }
    if f.len != 1 || f.addr.is_null() {
        return Err(-libc::EINVAL);
    }
    let ts = *(f.addr as *const [i64; 2]);
    if ts[0] < 0 || !(0..1_000_000_000).contains(&ts[1]) {
        return Err(-libc::EINVAL);
    }
    let at = (ts[0] as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts[1] as u64);
    // An absolute timeout is a CLOCK_MONOTONIC instant, as in the kernel.
    let offset = if f.op_flags & TIMEOUT_ABS != 0 {
        at.saturating_sub(monotonic_ns())
    } else {
        at
    };
    Ok(urb_op { offset, ..on_fd(f) })
}
