//! `urb_ring_config`: how an async ring is sized and what it may do.

use crate::op::{Opcode, URB_OP_COUNT};

/// Opt in to a kernel submission-queue polling thread: the kernel's SQ thread
/// takes requests from the ring without an `io_uring_enter` per batch (the
/// owner still wakes it when it has gone idle after `sqpoll_idle_ms`). Off by
/// default: SQPOLL work runs with the credentials of the ring's creator
/// (CVE-2024-22017), and the SQ thread spins on a core while work arrives.
/// Ignored by the fallback engine.
pub const URB_RING_SQPOLL: u32 = 1;
/// Run this ring on the fallback engine even where io_uring works (tests,
/// comparisons). `URB_ENGINE=fallback` does the same for every ring.
pub const URB_RING_FALLBACK: u32 = 2;
/// One thread uses this ring: the one that creates it, as with liburing.
/// On io_uring that thread then drives the ring itself, with no library
/// thread, and a request that must wait costs no hand-over between threads
/// (on other rings the owner thread takes it and wakes the waiter when it
/// completes: a few microseconds each way, two context switches).
///
/// How it runs: `urb_ring_submit*` put requests in the ring's submission
/// queue (requests finished on the spot, as on other rings, are queued as
/// completions at once); they reach the kernel together at the thread's
/// next `urb_ring_wait` or `urb_ring_reap` on the ring, in the same system
/// call that waits or reaps (liburing's `io_uring_submit_and_wait`), or
/// earlier when the queue is full. So a timeout's clock starts at that
/// call, and a request does not start while the thread is busy elsewhere:
/// an event loop that submits and then waits — what this is for — sees no
/// difference.
///
/// Rules: every call on the ring comes from the creating thread (others
/// get `-EPERM`), except `urb_ring_stats`, `urb_ring_buffer`,
/// `urb_ring_buffer_release` and `urb_ring_free`; completions arrive
/// only during that thread's calls on the ring, so `urb_ring_fd` is refused
/// (`-EOPNOTSUPP`), and a callback runs on that thread inside its
/// `urb_ring_submit*`/`urb_ring_wait`/`urb_ring_reap` calls (there it may
/// submit and reap; `urb_ring_wait` with `min > 0` gives `-EDEADLK`). When
/// the creating thread exits, the kernel ends what it had in flight (no
/// thread is left that could reap those completions) and only
/// `urb_ring_free` remains: from another thread it then closes the ring;
/// while the creating thread lives, it must free the ring itself (from
/// another thread the ring is left open, and the mistake is printed on
/// stderr, rather than have the kernel write into buffers being freed).
/// The fallback engine keeps its owner thread for such a ring (it needs one
/// to wait), with the same rules. The Go and Haskell bindings do not use
/// it: goroutines and Haskell threads move between OS threads.
pub const URB_RING_SINGLE_THREAD: u32 = 4;
const KNOWN_FLAGS: u32 = URB_RING_SQPOLL | URB_RING_FALLBACK | URB_RING_SINGLE_THREAD;

/// How an async ring is built. Zero every field you do not set: 0 means the
/// default, and the `reserved` fields must stay 0. `urb_ring_new` copies what
/// it needs; the struct and the `allowed_ops` array may be freed after it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct urb_ring_config {
    /// Submission queue size, rounded up to a power of two of at least 2
    /// (1..=32768 accepted); 0 = 256. Also the longest chain this ring
    /// accepts.
    pub entries: u32,
    /// Completion queue size (>= entries); 0 = twice `entries`. A full CQ
    /// never loses completions: the kernel holds the overflow and the owner
    /// thread drains it.
    pub cq_entries: u32,
    /// `URB_RING_*` flags.
    pub flags: u32,
    /// With `URB_RING_SQPOLL`: idle time in ms before the kernel thread sleeps
    /// (0 = 1000).
    pub sqpoll_idle_ms: u32,
    /// Provided buffers for multishot receive: how many (a power of two up to
    /// 32768; 0 = none, multishot receive then gives `-EINVAL`).
    pub buf_count: u32,
    /// Size of each provided buffer in bytes (0 = 4096).
    pub buf_size: u32,
    /// Opcode allow-list: `n_allowed_ops` `URB_OP_*` values; NULL = all. A
    /// request outside it is refused with `-EACCES`.
    pub allowed_ops: *const u8,
    pub n_allowed_ops: u32,
    /// Must be 0.
    pub reserved: [u32; 5],
}

/// Every field 0 (or NULL): every default. For Rust callers and tests; C
/// callers zero the struct.
impl Default for urb_ring_config {
    fn default() -> Self {
        urb_ring_config {
            entries: 0,
            cq_entries: 0,
            flags: 0,
            sqpoll_idle_ms: 0,
            buf_count: 0,
            buf_size: 0,
            allowed_ops: std::ptr::null(),
            n_allowed_ops: 0,
            reserved: [0; 5],
        }
    }
}

/// The validated, owned form of a configuration.
#[derive(Clone, Debug)]
pub struct RingConfig {
    pub entries: u32,
    pub cq_entries: u32,
    pub sqpoll_idle_ms: Option<u32>,
    pub force_fallback: bool,
    /// `URB_RING_SINGLE_THREAD`.
    pub single_thread: bool,
    pub buf_count: u32,
    pub buf_size: u32,
    allowed: [bool; URB_OP_COUNT as usize],
}

impl RingConfig {
    /// `None` takes every default.
    pub fn from_c(cfg: Option<&urb_ring_config>) -> Result<RingConfig, i32> {
        let einval = Err(-libc::EINVAL);
        let mut out = RingConfig {
            entries: 256,
            cq_entries: 512,
            sqpoll_idle_ms: None,
            force_fallback: false,
            single_thread: false,
            buf_count: 0,
            buf_size: 4096,
            allowed: [true; URB_OP_COUNT as usize],
        };
        let Some(c) = cfg else { return Ok(out) };
        if c.flags & !KNOWN_FLAGS != 0 || c.reserved != [0; 5] {
            return einval;
        }
        if c.entries > 32768 || c.cq_entries > 65536 {
            return einval;
        }
        if c.entries != 0 {
            // At least 2: a request with a timeout is two SQEs that must go
            // in together (with 1, the owner waited for room for ever).
            out.entries = c.entries.next_power_of_two().max(2);
        }
        out.cq_entries = if c.cq_entries == 0 {
            out.entries * 2
        } else {
            c.cq_entries.next_power_of_two()
        };
        if out.cq_entries < out.entries {
            return einval;
        }
        if c.flags & URB_RING_SQPOLL != 0 {
            out.sqpoll_idle_ms = Some(if c.sqpoll_idle_ms == 0 {
                1000
            } else {
                c.sqpoll_idle_ms
            });
        }
        out.force_fallback = c.flags & URB_RING_FALLBACK != 0;
        out.single_thread = c.flags & URB_RING_SINGLE_THREAD != 0;
        if c.buf_count != 0 {
            if !c.buf_count.is_power_of_two() || c.buf_count > 32768 {
                return einval;
            }
            out.buf_count = c.buf_count;
            if c.buf_size != 0 {
                out.buf_size = c.buf_size;
            }
            if out.buf_size > 1 << 24 {
                return einval;
            }
        }
        if !c.allowed_ops.is_null() {
            out.allowed = [false; URB_OP_COUNT as usize];
            // SAFETY: the caller promises n_allowed_ops readable bytes.
            let ops =
                unsafe { std::slice::from_raw_parts(c.allowed_ops, c.n_allowed_ops as usize) };
            for &code in ops {
                if Opcode::from_u8(code).is_none() {
                    return einval;
                }
                out.allowed[code as usize] = true;
            }
        } else if c.n_allowed_ops != 0 {
            return einval;
        }
        Ok(out)
    }

    pub fn allows(&self, code: Opcode) -> bool {
        self.allowed[code as usize]
    }

    /// The allow-list, when the caller gave one.
    pub fn allow_list(&self) -> Option<Vec<Opcode>> {
        if self.allowed.iter().all(|&a| a) {
            return None;
        }
        Some(
            Opcode::ALL
                .iter()
                .copied()
                .filter(|&c| self.allows(c))
                .collect(),
        )
    }
}
