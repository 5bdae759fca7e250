//! A ring that a stray close(2) of its descriptor number cannot break.
//!
//! User programs close numbers twice (a common bug): if one of the library's
//! rings took the number in between, the second close closes the ring's
//! descriptor, and whatever is opened next gets the number. Entering the
//! ring by that number then reaches a regular file (-EOPNOTSUPP) or another
//! thread's ring (a wait on the wrong ring: a hang). So the ring is entered
//! by its index in the calling thread's registered-ring table
//! (`IORING_REGISTER_RING_FDS`, 5.18+), which only the kernel holds: the
//! number no longer matters. And the number is closed only while it is
//! still this ring's, so the library never closes somebody else's file.
//!
//! The registration belongs to the thread that made it: a [`RegisteredRing`]
//! is entered, and dropped, only on the thread that created it (a thread
//! ring's own thread, an async ring's owner).
//!
//! Kernels without the registration (or a full table: 16 per thread) keep
//! today's behaviour: the ring is entered by its number.

use io_uring::IoUring;
use std::mem::ManuallyDrop;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

static BY_NUMBER: AtomicBool = AtomicBool::new(false);

/// For tests: rings made from now on are entered by their number, as on a
/// kernel without the registered-ring table, so that path stays tested.
#[doc(hidden)]
pub fn enter_by_number_from_now_on() {
    BY_NUMBER.store(true, Relaxed);
}

const IORING_REGISTER_RING_FDS: libc::c_uint = 20;
const IORING_UNREGISTER_RING_FDS: libc::c_uint = 21;
const IORING_REGISTER_USE_REGISTERED_RING: libc::c_uint = 1 << 31;
const IORING_ENTER_GETEVENTS: u32 = 1;
const IORING_ENTER_REGISTERED_RING: u32 = 1 << 4;
/// The kernel picks a free slot in the table.
const ANY_SLOT: u32 = u32::MAX;

/// `struct io_uring_rsrc_update`.
#[repr(C)]
struct RsrcUpdate {
    offset: u32,
    resv: u32,
    data: u64,
}

pub struct RegisteredRing {
    ring: ManuallyDrop<IoUring>,
    /// The slot in this thread's registered-ring table; None on kernels
    /// without the table (then the number is used, as before).
    index: Option<u32>,
    /// Which file the descriptor number named when the ring was made
    /// (device, inode), to tell at drop whether it still does.
    identity: Option<(u64, u64)>,
}

/// Which file `fd` names: (device, inode); None if it names none.
pub fn identity(fd: i32) -> Option<(u64, u64)> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes a stat into the buffer it is given.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: fstat succeeded, so it filled the struct.
    let st = unsafe { st.assume_init() };
    Some((st.st_dev, st.st_ino))
}

/// Puts ring `fd` in the calling thread's registered-ring table: its slot,
/// or None (a kernel without the table, a full table, or not a ring).
pub fn register_in_this_thread(fd: i32) -> Option<u32> {
    let mut up = RsrcUpdate {
        offset: ANY_SLOT,
        resv: 0,
        data: fd as u64,
    };
    // SAFETY: one rsrc_update, which the kernel reads and writes back.
    let r = unsafe {
        libc::syscall(
            libc::SYS_io_uring_register,
            fd,
            IORING_REGISTER_RING_FDS,
            &mut up as *mut RsrcUpdate,
            1u32,
        )
    };
    (r == 1).then_some(up.offset)
}

fn unregister_call(fd: i32, op: libc::c_uint, index: u32) -> bool {
    let up = RsrcUpdate {
        offset: index,
        resv: 0,
        data: 0,
    };
    // SAFETY: one rsrc_update, read by the kernel.
    let r = unsafe {
        libc::syscall(
            libc::SYS_io_uring_register,
            fd,
            op,
            &up as *const RsrcUpdate,
            1u32,
        )
    };
    r == 1
}

/// Frees slot `index` of the calling thread's table through the slot itself
/// (6.3+). False where the kernel cannot: then only the ring's number can
/// ([`unregister_by_number`]), and only while it is still the ring's.
pub fn unregister_in_this_thread(index: u32) -> bool {
    let by_index = IORING_UNREGISTER_RING_FDS | IORING_REGISTER_USE_REGISTERED_RING;
    unregister_call(index as i32, by_index, index)
}

/// Frees slot `index` of the calling thread's table through ring `fd`'s
/// number, which the caller knows still names the ring.
pub fn unregister_by_number(fd: i32, index: u32) -> bool {
    unregister_call(fd, IORING_UNREGISTER_RING_FDS, index)
}

/// `io_uring_enter(2)` on `fd` (a descriptor, or with
/// `IORING_ENTER_REGISTERED_RING` in `flags` a slot of the calling thread's
/// table), waiting at most `timeout` when one is given (with
/// `min_complete`; `IORING_ENTER_EXT_ARG`).
pub fn enter(
    fd: i32,
    to_submit: u32,
    min_complete: u32,
    flags: u32,
    timeout: Option<std::time::Duration>,
) -> std::io::Result<usize> {
    const IORING_ENTER_EXT_ARG: u32 = 1 << 3;
    /// `struct io_uring_getevents_arg`.
    #[repr(C)]
    struct GeteventsArg {
        sigmask: u64,
        sigmask_sz: u32,
        min_wait_usec: u32,
        ts: u64,
    }
    /// `struct __kernel_timespec`.
    #[repr(C)]
    struct KernelTimespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    let ts = timeout.map(|d| KernelTimespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: d.subsec_nanos() as i64,
    });
    let arg = ts.as_ref().map(|ts| GeteventsArg {
        sigmask: 0,
        sigmask_sz: 0,
        min_wait_usec: 0,
        ts: ts as *const KernelTimespec as u64,
    });
    let (arg_ptr, arg_size, ext) = match &arg {
        Some(a) => (
            a as *const GeteventsArg as *const libc::c_void,
            std::mem::size_of::<GeteventsArg>(),
            IORING_ENTER_EXT_ARG,
        ),
        None => (std::ptr::null(), 0, 0),
    };
    // SAFETY: `arg`, when given, is an io_uring_getevents_arg whose timespec
    // lives until the call returns; no sigset is passed; what the SQEs point
    // to is the caller's to keep valid.
    let r = unsafe {
        libc::syscall(
            libc::SYS_io_uring_enter,
            fd,
            to_submit,
            min_complete,
            flags | ext,
            arg_ptr,
            arg_size,
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// `IORING_ENTER_REGISTERED_RING`: the `fd` argument of `io_uring_enter` is
/// a slot of the calling thread's table.
pub const ENTER_REGISTERED_RING: u32 = IORING_ENTER_REGISTERED_RING;

impl RegisteredRing {
    /// Registers `ring` in the calling thread's table. Must run before
    /// restrictions are enabled on the ring (they would refuse it).
    pub fn new(ring: IoUring) -> RegisteredRing {
        let fd = ring.as_raw_fd();
        if BY_NUMBER.load(Relaxed) {
            return RegisteredRing {
                index: None,
                identity: identity(fd),
                ring: ManuallyDrop::new(ring),
            };
        }
        RegisteredRing {
            index: register_in_this_thread(fd),
            identity: identity(fd),
            ring: ManuallyDrop::new(ring),
        }
    }

    pub fn ring(&self) -> &IoUring {
        &self.ring
    }

    pub fn ring_mut(&mut self) -> &mut IoUring {
        &mut self.ring
    }

    /// Whether the ring is entered without its descriptor number.
    pub fn is_registered(&self) -> bool {
        self.index.is_some()
    }

    /// `io_uring_enter` without an extra argument. The SQ tail the kernel
    /// reads is the shared one: the crate's `SubmissionQueue` publishes its
    /// pushes when it is dropped, so no queue may be borrowed across this.
    pub fn enter(&self, to_submit: u32, min_complete: u32, flags: u32) -> std::io::Result<usize> {
        let (fd, flags) = self.target(flags);
        enter(fd, to_submit, min_complete, flags, None)
    }

    /// [`RegisteredRing::enter`] waiting for `min_complete` CQEs for at
    /// most `limit` (`ETIME` once it passed).
    pub fn enter_timeout(
        &self,
        to_submit: u32,
        min_complete: u32,
        flags: u32,
        limit: std::time::Duration,
    ) -> std::io::Result<usize> {
        let (fd, flags) = self.target(flags);
        enter(fd, to_submit, min_complete, flags, Some(limit))
    }

    /// The `fd` argument and flags that enter this ring.
    fn target(&self, flags: u32) -> (i32, u32) {
        match self.index {
            Some(i) => (i as i32, flags | IORING_ENTER_REGISTERED_RING),
            None => (self.ring.as_raw_fd(), flags),
        }
    }

    /// For a drop on another thread than the one that registered the ring,
    /// after that thread exited: its table went with it, and the same slot
    /// in the dropping thread's table is some other ring's.
    pub fn disown_thread(&mut self) {
        self.index = None;
    }

    /// Submits what is queued and waits for `want` CQEs. GETEVENTS always:
    /// with DEFER_TASKRUN that is what runs completions, and with `want` 0
    /// it does not wait.
    pub fn submit_and_wait(&mut self, want: u32) -> std::io::Result<usize> {
        let queued = self.ring.submission().len() as u32;
        self.enter(queued, want, IORING_ENTER_GETEVENTS)
    }

    fn unregister(&mut self, index: u32) {
        // A failure (e.g. a restricted ring refusing it) leaves the slot to
        // the thread's exit, which releases it.
        if !unregister_in_this_thread(index) && self.number_is_still_ours() {
            unregister_by_number(self.ring.as_raw_fd(), index);
        }
    }

    /// In a child after `fork`: the parent's ring, whose mappings the child
    /// does not have (dontfork) and whose table slot is the parent's. Only
    /// the child's copy of the number is closed, if it is still the ring.
    pub fn forget_in_child(self) {
        let this = ManuallyDrop::new(self);
        if this.number_is_still_ours() {
            // SAFETY: the child's own copy of the ring's descriptor, closed
            // once; the forgotten ring never touches it again.
            unsafe { libc::close(this.ring.as_raw_fd()) };
        }
    }

    /// Whether the ring's number still names the file it named at creation.
    /// On kernels that give every ring its own inode (6.6+) that is this
    /// ring; on older ones it is at least an io_uring, never a user's file.
    fn number_is_still_ours(&self) -> bool {
        self.identity.is_some() && identity(self.ring.as_raw_fd()) == self.identity
    }
}

impl Drop for RegisteredRing {
    fn drop(&mut self) {
        if let Some(i) = self.index.take() {
            self.unregister(i);
        }
        if self.number_is_still_ours() {
            // SAFETY: dropped once, here; the crate unmaps and closes it.
            unsafe { ManuallyDrop::drop(&mut self.ring) };
        }
        // Otherwise a stray close took the number and someone else has it
        // now: closing it would close their file. The ring's memory stays
        // mapped (the crate frees it only together with the close) and the
        // kernel frees the ring when the process exits: a few pages, only
        // after a program's double close.
    }
}
