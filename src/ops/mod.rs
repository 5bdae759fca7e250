//! The operations table: for each `URB_OP_*`, one [`OpSpec`] that says
//! everything the library does with it — which fields it uses and how they
//! are checked, its SQE and how a raw SQE decodes back into it, how the
//! fallback engine performs it (blocking, and tried without waiting), the
//! readiness it waits for there, where the fallback ring runs it, whether
//! the "try first" calls try it, and which kernel opcode the probe must
//! find. Validation (`op::validate`), encoding (`uring::encode`), the raw
//! SQE decoder (`sqe::to_op`), the fallback (`fallback::exec`,
//! `fallback::attempt`, the fallback ring's routes) and the probe
//! (`urb_op_supported`) all read it; nothing else matches on the opcode to
//! learn these things.
//!
//! Adding an operation: its number in `op.rs`, one `OpSpec` in the module
//! of its family here, its arm in [`spec`], a `prep` constructor and its
//! `urb_prep_*`/convenience call in `ffi/`. The compiler points at every
//! place that has to decide something about it (each match over
//! [`Opcode`] is exhaustive).

mod file;
mod file_space;
mod fixed;
mod misc;
pub(crate) mod msg;
mod net;
mod rw;
mod splice;
mod xattr;

pub(crate) use splice::{pipe_beside_file, without_waiting, PipeSide};

use crate::fallback::attempt::Attempt;
use crate::op::{urb_op, Opcode, ValidOp};
use crate::sys::time::Deadline;
use crate::uring::encode::SqeArgs;
use io_uring::squeue::Entry;

/// Everything the library knows about one operation.
pub struct OpSpec {
    /// The C constant, for messages and documentation.
    pub name: &'static str,
    /// The kernel opcode that carries it: `urb_op_supported` and every
    /// submission on io_uring ask the probe for this one.
    pub kernel_opcode: u8,
    /// The oldest kernel whose io_uring has it (documentation: the probe,
    /// not the version, decides).
    pub since: &'static str,
    /// How `fd` is checked.
    pub fd: FdUse,
    /// `buf`/`len` are an iovec array and its length (else, where used, a
    /// buffer and its byte count).
    pub vectored: bool,
    /// The checks of the fields the operation uses (beyond `fd` and the
    /// reserved fields); `Ok` carries the length a complete transfer
    /// returns (0 for what moves no data).
    ///
    /// # Safety
    /// As `op::validate`: the pointers the operation reads are the caller's
    /// promise.
    pub validate: unsafe fn(&urb_op) -> Result<u64, i32>,
    /// The SQE. `args` must outlive its submission.
    pub encode: fn(&ValidOp, &mut SqeArgs) -> Entry,
    /// A raw SQE of `kernel_opcode` read back as this operation's fields
    /// (the caller sets `opcode` and validates); `-ENOSYS` for a form the
    /// fallback does not emulate.
    ///
    /// # Safety
    /// The SQE's pointers must be what its opcode says they are.
    pub decode: unsafe fn(&SqeFields) -> Result<urb_op, i32>,
    /// The fallback's blocking execution: the system call itself, bounded
    /// by `deadline` where it waits on its own (a connect, a poll, a sleep).
    ///
    /// # Safety
    /// `op` passed validation; its memory is the caller's promise.
    pub perform: unsafe fn(&ValidOp, Deadline) -> i32,
    /// Whether and how it waits for readiness on the fallback engine.
    pub readiness: Readiness,
    /// Where the fallback engine's async ring runs it.
    pub ring_route: RingRoute,
    /// Whether the calls that finish at once what can be finished at once
    /// (`urb_submit_try`, `urb_ring_submit`'s inline try) try it.
    pub tried: Tried,
    /// How its result bears on an `IOSQE_IO_LINK` chain.
    pub chain: ChainRule,
    /// The result the caller sees for the raw result (the kernel's CQE or
    /// the fallback's system call).
    pub finish: Finish,
    /// Writes to a pipe or socket, which could raise `SIGPIPE` (the library
    /// blocks it around the call).
    pub may_raise_sigpipe: bool,
    /// What the blocking face adds to io_uring's behaviour for it.
    pub blocking: BlockingRule,
    /// Which of `reserved1`/`reserved2[0]` it gives a meaning to (the
    /// others must be 0).
    pub extra: Extra,
}

impl OpSpec {
    /// Whether io_uring may run it on `fd` in one of its kernel workers:
    /// what the fallback sends to its pool (a file-system call, which may
    /// block however it is issued), splice and tee (io_uring never issues
    /// them without blocking), and a read or write of a regular file or
    /// block device (the kernel sends one to a worker when it cannot be
    /// done without blocking: every buffered write on ext4, a read on a
    /// file system without asynchronous buffered reads). On the
    /// blocking face these run on the thread's ring with prompt task work
    /// (`probe::TaskWork`). Costs an `lseek` for the read/write family
    /// (a seekable character device counts as a file: harmless here).
    pub fn may_run_in_kernel_worker(&self, fd: i32) -> bool {
        match self.ring_route {
            RingRoute::Pool | RingRoute::ReadinessIfBothPollable => true,
            RingRoute::ReadinessIfPollable => crate::sys::descriptor::seekable(fd),
            RingRoute::Inline | RingRoute::Sleep | RingRoute::Readiness => false,
        }
    }
}

/// The second descriptor and second 64-bit value of `urb_op` (the fields
/// named `reserved1` and `reserved2[0]`), for the operations that need them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    /// Both must be 0.
    Unused,
    /// `reserved2[0]` is a 64-bit length (fallocate).
    Length,
    /// `reserved1` is the output descriptor (tee).
    OutputFd,
    /// `reserved1` is the output descriptor, `reserved2[0]` its offset
    /// (splice).
    OutputFdAndOffset,
    /// `reserved2[0]` points to a NUL-terminated name (getxattr, setxattr).
    Name,
}

/// How an operation uses `urb_op.fd`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum FdUse {
    /// Ignored.
    None,
    /// A descriptor: negative is `-EBADF`.
    Required,
    /// A directory descriptor, `AT_FDCWD` or ignored beside an absolute
    /// path: checked with the path (see `op::bad_dirfd`).
    Directory,
}

/// Readiness on the fallback engine.
#[derive(Clone, Copy)]
pub enum Readiness {
    /// Never waits for a descriptor (files, metadata, sleeps).
    Never,
    /// Waits for `events` (poll(2)/epoll bits; `EVENTS_ASKED` for a poll's
    /// own `op_flags`). `unless` are the `op_flags` bits that ask for
    /// `-EAGAIN` instead (`MSG_DONTWAIT`, `RWF_NOWAIT`), `dont_wait` the one
    /// the library sets to make a try not wait. `sockets_only`: every
    /// descriptor it accepts can wait (no regular file ever reaches it, or,
    /// for splice and tee, a regular file is one of two descriptors and
    /// never the one waited for: poll(2) reports it ready at once).
    /// `attempt` is one non-blocking try (`progress` carries what earlier
    /// tries did).
    Waits {
        events: u32,
        unless: u32,
        dont_wait: u32,
        sockets_only: bool,
        /// `perform` waits for readiness itself, bounded by its deadline.
        perform_waits: bool,
        /// `progress` counts bytes moved: a request cut short (timeout,
        /// cancel) reports them instead of its error, never losing data.
        progress_is_bytes: bool,
        attempt: fn(&ValidOp, &mut u32) -> Attempt,
    },
}

/// How a raw result becomes the caller's.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    AsIs,
    /// A sleep that ran its course (`-ETIME` from the kernel) is a success.
    SleepDone,
    /// A poll reports what poll(2) would: the requested events plus
    /// `POLLERR`/`POLLHUP` (io_uring adds `POLLRDHUP` on its own).
    PollEvents,
}

/// `Readiness::Waits::events` meaning "the events in `op_flags`".
pub(crate) const EVENTS_ASKED: u32 = u32::MAX;
/// `Readiness::Waits::events` meaning "`fd` readable, then the output
/// descriptor (`reserved1`) writable" (splice, tee): see [`wait_target`].
pub(crate) const EVENTS_IN_THEN_OUT: u32 = u32::MAX - 1;

/// Where the fallback ring runs a request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RingRoute {
    /// Never blocks: done on the owner thread.
    Inline,
    /// A sleep: a timer of the owner's.
    Sleep,
    /// Tried without waiting, parked on epoll until ready.
    Readiness,
    /// Readiness on a pipe, socket or tty; the worker pool on a file.
    ReadinessIfPollable,
    /// As `ReadinessIfPollable`, for `fd` and the output descriptor
    /// (`reserved1`) both: readiness only when neither is a file.
    ReadinessIfBothPollable,
    /// May block however it is issued: the worker pool.
    Pool,
}

/// Whether the "try first" calls try an operation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tried {
    Never,
    /// Its result is at hand (a NOP).
    Always,
    /// A receive or send without `MSG_WAITALL`, with `MSG_DONTWAIT`.
    Stream,
    /// Where the listener can be asked not to wait.
    Accept,
    /// A read at an explicit offset, with `RWF_NOWAIT`.
    PositionalRead,
}

/// How a result bears on a linked chain (the kernel's rule, followed by
/// the fallback too).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ChainRule {
    /// Only an error breaks it.
    ErrorOnly,
    /// A result short of the full length breaks it too (read, write).
    ShortBreaks,
    /// With `MSG_WAITALL`, a short result breaks it too (recv, send).
    ShortBreaksWithWaitall,
    /// Only as the last request of a chain: io_uring (since 6.0, where
    /// unlinkat/renameat/mkdirat moved to `io_uring/fs.c`) does not cancel
    /// what follows when it fails, so the chain rule could not hold on
    /// both engines. Elsewhere in a chain it is refused with `-EINVAL`.
    LastOnly,
}

/// What the blocking face does on top of the engine for an operation, so
/// it behaves as the system call does (`blocking.rs` says how).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BlockingRule {
    /// The engine's request as it is.
    Once,
    /// recv/send: `O_NONBLOCK`, `SO_*TIMEO`, full sends, `MSG_WAITALL`.
    Stream,
    /// read/write: `O_NONBLOCK`, full writes to pipes and sockets.
    ReadWrite,
    /// accept: `O_NONBLOCK` and `SO_RCVTIMEO` of the listener.
    Accept,
    /// connect: a non-blocking socket's `-EINPROGRESS`.
    Connect,
    /// sendmsg/recvmsg: as `Stream`, the buffer being a msghdr.
    Message,
}

/// The table: one arm per operation.
pub const fn spec(code: Opcode) -> &'static OpSpec {
    match code {
        Opcode::Nop => &misc::NOP,
        Opcode::Read => &rw::READ,
        Opcode::Write => &rw::WRITE,
        Opcode::Readv => &rw::READV,
        Opcode::Writev => &rw::WRITEV,
        Opcode::Fsync => &file::FSYNC,
        Opcode::Openat => &file::OPENAT,
        Opcode::Close => &file::CLOSE,
        Opcode::Statx => &file::STATX,
        Opcode::Recv => &net::RECV,
        Opcode::Send => &net::SEND,
        Opcode::Accept => &net::ACCEPT,
        Opcode::Connect => &net::CONNECT,
        Opcode::Shutdown => &net::SHUTDOWN,
        Opcode::Poll => &misc::POLL,
        Opcode::Timeout => &misc::TIMEOUT,
        Opcode::Unlinkat => &file::UNLINKAT,
        Opcode::Renameat => &file::RENAMEAT,
        Opcode::Mkdirat => &file::MKDIRAT,
        Opcode::Sendmsg => &msg::SENDMSG,
        Opcode::Recvmsg => &msg::RECVMSG,
        Opcode::Socket => &net::SOCKET,
        Opcode::Bind => &net::BIND,
        Opcode::Listen => &net::LISTEN,
        Opcode::ReadFixed => &fixed::READ_FIXED,
        Opcode::WriteFixed => &fixed::WRITE_FIXED,
        Opcode::SendZc => &fixed::SEND_ZC,
        Opcode::SendmsgZc => &fixed::SENDMSG_ZC,
        Opcode::Symlinkat => &file::SYMLINKAT,
        Opcode::Linkat => &file::LINKAT,
        Opcode::Fallocate => &file_space::FALLOCATE,
        Opcode::Ftruncate => &file_space::FTRUNCATE,
        Opcode::Fadvise => &file_space::FADVISE,
        Opcode::Madvise => &file_space::MADVISE,
        Opcode::SyncFileRange => &file_space::SYNC_FILE_RANGE,
        Opcode::Splice => &splice::SPLICE,
        Opcode::Tee => &splice::TEE,
        Opcode::Getxattr => &xattr::GETXATTR,
        Opcode::Setxattr => &xattr::SETXATTR,
    }
}

/// The operation a kernel opcode carries, if the library has one for it.
pub fn by_kernel_opcode(kernel: u8) -> Option<Opcode> {
    Opcode::ALL
        .into_iter()
        .find(|&c| spec(c).kernel_opcode == kernel)
}

/// The bytes a partly done request moved, which it reports when cut
/// short; `None` when nothing moved (or progress is not counted in bytes).
pub fn moved(op: &ValidOp, progress: u32) -> Option<i32> {
    match op.code.spec().readiness {
        Readiness::Waits {
            progress_is_bytes: true,
            ..
        } if progress > 0 => Some(progress as i32),
        _ => None,
    }
}

/// The events `op` waits for on the fallback (epoll and poll share these
/// bits); 0 for what never waits.
pub fn interest(op: &ValidOp) -> u32 {
    wait_target(op).1
}

/// The descriptor and events `op` waits for on the fallback, after a try
/// that would have blocked (events 0 for what never waits). A request on
/// two descriptors (splice, tee) waits for the one that is not ready: the
/// input until readable, then the output until writable; each wakes it to
/// try again, so it never waits on a descriptor that is already ready.
pub fn wait_target(op: &ValidOp) -> (i32, u32) {
    let fd = op.raw.fd;
    match spec(op.code).readiness {
        Readiness::Never => (fd, 0),
        Readiness::Waits { events, .. } if events == EVENTS_ASKED => (fd, op.raw.op_flags),
        Readiness::Waits { events, .. } if events == EVENTS_IN_THEN_OUT => {
            let input = libc::POLLIN as u32;
            if crate::sys::poll::poll_now(fd, input) == 0 {
                (fd, input)
            } else {
                (op.raw.reserved1 as i32, libc::POLLOUT as u32)
            }
        }
        Readiness::Waits { events, .. } => (fd, events),
    }
}

/// The fields every operation reads from an SQE: `fd`, `off`, `addr`,
/// `len` and the per-operation flags word.
pub struct SqeFields {
    pub fd: i32,
    pub off: u64,
    pub addr: *mut libc::c_void,
    pub len: u32,
    pub op_flags: u32,
    /// `splice_fd_in`: splice's and tee's input descriptor (0 for every
    /// other operation: `sqe::to_op` refuses the SQE otherwise).
    pub splice_fd_in: i32,
    /// `addr3`: the xattr calls' path (0 for every other operation).
    pub addr3: u64,
}

/// `buf`/`len` as a data buffer: `len` at most `INT32_MAX`, NULL only when
/// empty. The length a complete transfer returns.
pub fn check_buffer(op: &urb_op) -> Result<u64, i32> {
    if op.len > i32::MAX as u32 {
        return Err(-libc::EINVAL);
    }
    if op.buf.is_null() && op.len != 0 {
        return Err(-libc::EFAULT);
    }
    Ok(op.len as u64)
}

/// The widest vectored request (the kernel's `UIO_MAXIOV`).
const IOV_MAX: u32 = 1024;

/// `buf`/`len` as an iovec array: at most 1024 entries, a total of at most
/// `INT32_MAX` bytes, no NULL base with a length. The total.
///
/// # Safety
/// A non-NULL `op.buf` points to `op.len` readable iovecs.
pub unsafe fn check_iovecs(op: &urb_op) -> Result<u64, i32> {
    if op.len > IOV_MAX {
        return Err(-libc::EINVAL);
    }
    if op.buf.is_null() && op.len != 0 {
        return Err(-libc::EFAULT);
    }
    let iovs = crate::op::iovecs(op);
    let total = iovs
        .iter()
        .fold(0u64, |t, iov| t.saturating_add(iov.iov_len as u64));
    if total > i32::MAX as u64 {
        return Err(-libc::EINVAL);
    }
    if iovs
        .iter()
        .any(|iov| iov.iov_base.is_null() && iov.iov_len != 0)
    {
        return Err(-libc::EFAULT);
    }
    Ok(total)
}

/// No field to check.
///
/// # Safety
/// None: it reads nothing (`unsafe` only to fit `OpSpec::validate`).
pub unsafe fn no_fields(_: &urb_op) -> Result<u64, i32> {
    Ok(0)
}

/// A request on `fd` with every other field zero.
pub fn on_fd(f: &SqeFields) -> urb_op {
    urb_op {
        fd: f.fd,
        ..urb_op::zeroed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_opcodes_are_distinct() {
        for a in Opcode::ALL {
            assert_eq!(by_kernel_opcode(spec(a).kernel_opcode), Some(a));
        }
    }

    #[test]
    fn names_match_the_numbers() {
        let names = [
            "URB_OP_NOP",
            "URB_OP_READ",
            "URB_OP_WRITE",
            "URB_OP_READV",
            "URB_OP_WRITEV",
            "URB_OP_FSYNC",
            "URB_OP_OPENAT",
            "URB_OP_CLOSE",
            "URB_OP_STATX",
            "URB_OP_RECV",
            "URB_OP_SEND",
            "URB_OP_ACCEPT",
            "URB_OP_CONNECT",
            "URB_OP_SHUTDOWN",
            "URB_OP_POLL",
            "URB_OP_TIMEOUT",
            "URB_OP_UNLINKAT",
            "URB_OP_RENAMEAT",
            "URB_OP_MKDIRAT",
            "URB_OP_SENDMSG",
            "URB_OP_RECVMSG",
            "URB_OP_SOCKET",
            "URB_OP_BIND",
            "URB_OP_LISTEN",
            "URB_OP_SYMLINKAT",
            "URB_OP_LINKAT",
            "URB_OP_FALLOCATE",
            "URB_OP_FTRUNCATE",
            "URB_OP_FADVISE",
            "URB_OP_MADVISE",
            "URB_OP_SYNC_FILE_RANGE",
            "URB_OP_SPLICE",
            "URB_OP_TEE",
            "URB_OP_GETXATTR",
            "URB_OP_SETXATTR",
            "URB_OP_READ_FIXED",
            "URB_OP_WRITE_FIXED",
            "URB_OP_SEND_ZC",
            "URB_OP_SENDMSG_ZC",
        ];
        for (code, name) in Opcode::ALL.into_iter().zip(names) {
            assert_eq!(spec(code).name, name);
        }
    }
}
