//! Registered buffers and files of an async ring (`urb_ring_register_*`).
//!
//! On io_uring the tables are the kernel's: registering is an
//! `io_uring_register` on the ring, which a `SINGLE_ISSUER` ring accepts only
//! from the thread that submits, so the caller hands the call to the owner
//! thread through a one-slot mailbox (the owner looks at it every turn,
//! [`Registry::serve`]) and waits for its answer. On the fallback engine the
//! ring keeps the tables itself and answers as the kernel does (same checks,
//! same errors): a registered file is a duplicate of the descriptor (so it
//! stays usable after the caller closes its own, as in the kernel), and a
//! request that names a table is resolved against it before it runs
//! ([`Registry::resolve`]).
//!
//! The memory of registered buffers stays the caller's. The kernel pins the
//! pages, so it is safe for the kernel whatever happens, but a read still in
//! flight after the caller was told "unregistered" would write into memory
//! the caller may have reused: so unregistering refuses with `-EBUSY` while
//! any request that uses the table is in flight (counted from the moment it
//! is handed to the ring to the moment its completion is queued), on both
//! engines. The same rule holds for files (on the fallback engine the
//! duplicate must outlive the requests that use it).

use super::{Ring, Shared};
use crate::op::ValidOp;
use parking_lot::{Condvar, Mutex};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

/// The kernel's limits (`IORING_MAX_REG_BUFFERS`, `IORING_MAX_FIXED_FILES`)
/// and its largest buffer (`SZ_1G`).
const MAX_BUFFERS: u32 = 1 << 14;
const MAX_FILES: u32 = 1 << 20;
const MAX_BUFFER_LEN: usize = 1 << 30;

/// Bits of [`Registry::uses`]: the tables a request names.
pub const USES_BUFFERS: u8 = 1;
pub const USES_FILES: u8 = 2;

/// A registration call for the owner thread of an io_uring ring.
enum Command {
    /// (base, len) pairs, the caller's iovecs copied.
    RegisterBuffers(Vec<(usize, usize)>),
    UnregisterBuffers,
    RegisterFiles(Vec<i32>),
    UnregisterFiles,
}

#[derive(Default)]
struct Mailbox {
    command: Option<Command>,
    answer: Option<i32>,
}

/// The fallback engine's own tables.
#[derive(Default)]
struct Tables {
    /// (base, len); (0, 0) is a sparse slot. Empty: none registered.
    buffers: Vec<(usize, usize)>,
    /// `None` is a sparse slot. Empty: none registered.
    files: Vec<Option<OwnedFd>>,
}

#[derive(Default)]
pub struct Registry {
    tables: Mutex<Tables>,
    in_flight_buffers: AtomicUsize,
    in_flight_files: AtomicUsize,
    /// One registration call at a time reaches the owner.
    calls: Mutex<()>,
    mailbox: Mutex<Mailbox>,
    answered: Condvar,
    /// A command waits in the mailbox (read by the owner every turn).
    pending: AtomicBool,
}

impl Registry {
    /// The tables `op` names (`USES_*` bits).
    pub fn uses(op: &ValidOp) -> u8 {
        let mut bits = 0;
        if op.registered_buffer() {
            bits |= USES_BUFFERS;
        }
        if op.fixed_file() {
            bits |= USES_FILES;
        }
        bits
    }

    /// A request naming the tables `bits` was handed to the ring.
    pub fn begin(&self, bits: u8) {
        if bits & USES_BUFFERS != 0 {
            self.in_flight_buffers.fetch_add(1, SeqCst);
        }
        if bits & USES_FILES != 0 {
            self.in_flight_files.fetch_add(1, SeqCst);
        }
    }

    /// Its completion is queued (or it was never taken).
    pub fn end(&self, bits: u8) {
        if bits & USES_BUFFERS != 0 {
            self.in_flight_buffers.fetch_sub(1, SeqCst);
        }
        if bits & USES_FILES != 0 {
            self.in_flight_files.fetch_sub(1, SeqCst);
        }
    }

    /// Owner of an io_uring ring, every turn: runs a registration call that
    /// waits in the mailbox.
    pub fn serve(&self, ring: &io_uring::IoUring) {
        if !self.pending.load(SeqCst) {
            return;
        }
        let mut m = self.mailbox.lock();
        if let Some(command) = m.command.take() {
            m.answer = Some(run_in_kernel(ring, command));
            self.pending.store(false, SeqCst);
            self.answered.notify_all();
        }
    }

    /// Fallback engine, before the request runs: `op` with its registered
    /// file in `fd` (a descriptor the table keeps open) and its buffer
    /// checked against the registered one, or the error io_uring gives:
    /// `-EBADF` for an index with no file, `-EFAULT` for a buffer index with
    /// no buffer or a range outside it.
    pub fn resolve(&self, op: &ValidOp) -> Result<ValidOp, i32> {
        let mut out = *op;
        if !op.fixed_file() && !op.registered_buffer() {
            return Ok(out);
        }
        let t = self.tables.lock();
        if op.fixed_file() {
            let fd = usize::try_from(op.raw.fd)
                .ok()
                .and_then(|i| t.files.get(i))
                .and_then(|f| f.as_ref())
                .ok_or(-libc::EBADF)?;
            out.raw.fd = fd.as_raw_fd();
            out.raw.flags &= !crate::op::URB_FLAG_FIXED_FILE;
        }
        if op.registered_buffer() {
            let &(base, len) = t
                .buffers
                .get(op.raw.buf_index as usize)
                .ok_or(-libc::EFAULT)?;
            let start = op.raw.buf as usize;
            let end = start.checked_add(op.raw.len as usize);
            let inside = base != 0 && start >= base && end.is_some_and(|e| e <= base + len);
            if !inside {
                return Err(-libc::EFAULT);
            }
        }
        Ok(out)
    }
}

/// The kernel's answer to one registration call.
fn run_in_kernel(ring: &io_uring::IoUring, command: Command) -> i32 {
    let sub = ring.submitter();
    let res = match command {
        Command::RegisterBuffers(bufs) => {
            let iovecs: Vec<libc::iovec> = bufs
                .iter()
                .map(|&(base, len)| libc::iovec {
                    iov_base: base as *mut libc::c_void,
                    iov_len: len,
                })
                .collect();
            // SAFETY: the caller keeps the memory valid until it
            // unregisters or frees the ring (the header's contract); the
            // kernel pins the pages and checks the rest.
            unsafe { sub.register_buffers(&iovecs) }
        }
        Command::UnregisterBuffers => sub.unregister_buffers(),
        Command::RegisterFiles(fds) => sub.register_files(&fds),
        Command::UnregisterFiles => sub.unregister_files(),
    };
    match res {
        Ok(()) => 0,
        Err(e) => -e.raw_os_error().unwrap_or(libc::EIO),
    }
}

/// `pages` are mapped: what the kernel finds out when it pins them.
fn mapped(base: usize, len: usize) -> bool {
    // SAFETY: plain syscall.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let start = base & !(page - 1);
    let pages = (base + len - start).div_ceil(page);
    let mut vec = vec![0u8; pages];
    // SAFETY: mincore only reports on the range; `vec` has a byte per page.
    unsafe { libc::mincore(start as *mut libc::c_void, pages * page, vec.as_mut_ptr()) == 0 }
}

/// Whether `fd` is an io_uring instance (which the kernel refuses to
/// register, so that rings cannot hold each other alive).
fn is_io_uring(fd: i32) -> bool {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .is_ok_and(|p| p.as_os_str() == "anon_inode:[io_uring]")
}

impl Ring {
    /// `urb_ring_register_buffers`: `iovs` are the caller's, read during the
    /// call only.
    pub fn register_buffers(&self, iovs: &[libc::iovec]) -> Result<(), i32> {
        self.may_register()?;
        let bufs: Vec<(usize, usize)> = iovs
            .iter()
            .map(|v| (v.iov_base as usize, v.iov_len))
            .collect();
        if self.shared.on_io_uring {
            return self.ask_owner(Command::RegisterBuffers(bufs));
        }
        let mut t = self.shared.registry.tables.lock();
        if !t.buffers.is_empty() {
            return Err(-libc::EBUSY);
        }
        if bufs.is_empty() || bufs.len() > MAX_BUFFERS as usize {
            return Err(-libc::EINVAL);
        }
        for &(base, len) in &bufs {
            match (base, len) {
                (0, 0) => {} // a sparse slot
                (0, _) | (_, 0) => return Err(-libc::EFAULT),
                (_, len) if len > MAX_BUFFER_LEN => return Err(-libc::EFAULT),
                (base, len) if base.checked_add(len).is_none() => return Err(-libc::EOVERFLOW),
                (base, len) if !mapped(base, len) => return Err(-libc::EFAULT),
                _ => {}
            }
        }
        t.buffers = bufs;
        Ok(())
    }

    /// `urb_ring_unregister_buffers`.
    pub fn unregister_buffers(&self) -> Result<(), i32> {
        self.may_register()?;
        let reg = &self.shared.registry;
        let mut t = reg.tables.lock();
        if reg.in_flight_buffers.load(SeqCst) > 0 {
            return Err(-libc::EBUSY);
        }
        if self.shared.on_io_uring {
            drop(t);
            return self.ask_owner(Command::UnregisterBuffers);
        }
        if t.buffers.is_empty() {
            return Err(-libc::ENXIO);
        }
        t.buffers.clear();
        Ok(())
    }

    /// `urb_ring_register_files`.
    pub fn register_files(&self, fds: &[i32]) -> Result<(), i32> {
        self.may_register()?;
        if self.shared.on_io_uring {
            return self.ask_owner(Command::RegisterFiles(fds.to_vec()));
        }
        let mut t = self.shared.registry.tables.lock();
        if !t.files.is_empty() {
            return Err(-libc::EBUSY);
        }
        if fds.is_empty() {
            return Err(-libc::EINVAL);
        }
        if fds.len() > MAX_FILES as usize || fds.len() as u64 > open_files_limit() {
            return Err(-libc::EMFILE);
        }
        let mut files = Vec::with_capacity(fds.len());
        for &fd in fds {
            if fd == -1 {
                files.push(None); // a sparse slot
                continue;
            }
            if fd < 0 || is_io_uring(fd) {
                return Err(-libc::EBADF);
            }
            // SAFETY: plain syscall; a descriptor that is not open is EBADF.
            let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
            if dup < 0 {
                return Err(-crate::sys::errno());
            }
            // SAFETY: a descriptor just made, owned by nothing else.
            files.push(Some(unsafe { OwnedFd::from_raw_fd(dup) }));
        }
        t.files = files;
        Ok(())
    }

    /// `urb_ring_unregister_files`.
    pub fn unregister_files(&self) -> Result<(), i32> {
        self.may_register()?;
        let reg = &self.shared.registry;
        let mut t = reg.tables.lock();
        if reg.in_flight_files.load(SeqCst) > 0 {
            return Err(-libc::EBUSY);
        }
        if self.shared.on_io_uring {
            drop(t);
            return self.ask_owner(Command::UnregisterFiles);
        }
        if t.files.is_empty() {
            return Err(-libc::ENXIO);
        }
        t.files.clear(); // closes the duplicates
        Ok(())
    }

    /// What refuses every registration call: a ring that no longer works
    /// (forked, failed, freed), a call from its own callback (on io_uring
    /// the owner thread makes the call and cannot wait for itself:
    /// `-EDEADLK`, on both engines), a ring with an allow-list (the kernel
    /// refuses registration on a restricted ring: `-EACCES`, on both
    /// engines).
    fn may_register(&self) -> Result<(), i32> {
        self.usable()?;
        if self.shared.inbox.is_closing() {
            return Err(-libc::ESHUTDOWN);
        }
        if self.shared.config.allow_list().is_some() {
            return Err(-libc::EACCES);
        }
        if self.on_owner() {
            return Err(-libc::EDEADLK);
        }
        Ok(())
    }

    /// Runs `command` on the owner thread and returns its answer.
    fn ask_owner(&self, command: Command) -> Result<(), i32> {
        let shared: &Shared = &self.shared;
        let reg = &shared.registry;
        let _one_at_a_time = reg.calls.lock();
        let mut m = reg.mailbox.lock();
        m.command = Some(command);
        m.answer = None;
        reg.pending.store(true, SeqCst);
        if let Some(single) = self.driving() {
            // The ring's own thread is the one that serves it.
            drop(m);
            let served = single.serve_now(shared);
            m = reg.mailbox.lock();
            if let Err(e) = served {
                m.command = None;
                reg.pending.store(false, SeqCst);
                return Err(e);
            }
        } else {
            shared.inbox.poke_owner();
        }
        loop {
            if let Some(answer) = m.answer.take() {
                return if answer == 0 { Ok(()) } else { Err(answer) };
            }
            // An owner that failed or is gone never answers.
            let failure = shared.inbox.failure();
            if failure != 0 || shared.inbox.is_closing() {
                m.command = None;
                reg.pending.store(false, SeqCst);
                return Err(if failure != 0 {
                    failure
                } else {
                    -libc::ESHUTDOWN
                });
            }
            reg.answered.wait_for(&mut m, Duration::from_millis(20));
        }
    }
}

fn open_files_limit() -> u64 {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscall into a local.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) } != 0 {
        return u64::MAX;
    }
    l.rlim_cur
}

/// What the owner of an io_uring ring does with the CQEs of a zero-copy
/// send (`IORING_OP_SEND_ZC`): the first carries the result, with
/// `IORING_CQE_F_MORE` when a notification follows; the notification
/// (`IORING_CQE_F_NOTIF`) says the kernel let go of the buffer. The library
/// delivers one completion, after the notification, with the first CQE's
/// result. `Some(result)` once the request is complete, `None` while the
/// notification is still to come (`res` keeps the result meanwhile).
pub fn zero_copy_cqe(kept: &mut i32, res: i32, flags: u32) -> Option<i32> {
    if io_uring::cqueue::notif(flags) {
        return Some(*kept);
    }
    *kept = res;
    if io_uring::cqueue::more(flags) {
        None
    } else {
        Some(res)
    }
}
