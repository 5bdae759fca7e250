//! What the running kernel's io_uring can do: whether a ring can be created
//! at all, with which setup flags, and which opcodes it knows.

use io_uring::IoUring;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupFlags {
    /// `SINGLE_ISSUER | DEFER_TASKRUN | SUBMIT_ALL` (6.1+): the best fit for a
    /// ring that only its creating thread uses.
    SingleIssuerDeferred,
    /// `COOP_TASKRUN | SUBMIT_ALL` (5.19+).
    Cooperative,
    /// No optional flags.
    Plain,
}

pub struct Probe {
    pub single_thread_setup: SetupFlags,
    opcodes: [bool; 256],
}

impl Probe {
    pub fn supports(&self, kernel_opcode: u8) -> bool {
        self.opcodes[kernel_opcode as usize]
    }

    /// Forgets `kernel_opcode`, as on a kernel that lacks it.
    pub fn hide(&mut self, kernel_opcode: u8) {
        self.opcodes[kernel_opcode as usize] = false;
    }
}

/// When a ring runs the task work of its requests on the submitting thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskWork {
    /// As the setup flags allow: deferred to the thread's next
    /// `io_uring_enter` (`DEFER_TASKRUN`) or its next return to user space
    /// (`COOP_TASKRUN`), the cheapest for requests that complete inside the
    /// enter (a NOP costs about 12% less in the kernel).
    Deferred,
    /// At once, interrupting the thread (the system call it is in
    /// restarts). A request the kernel ran in one of its workers (splice,
    /// tee, fsync, openat, a buffered write to an ext4 file, ...) can drop
    /// its last reference to a file after its completion was posted, and
    /// that put is task work of the submitting thread. Deferred, it waited
    /// for the thread's next `io_uring_enter`: after `urb_tee` returned
    /// and the caller closed the output pipe, its reader saw no end of file
    /// until the thread's next library call (`tests/c/test_deferred_put.c`);
    /// cooperative, a thread asleep in poll(2) would never run it.
    Prompt,
}

/// Creates a ring with the best flags this kernel accepts for `entries`
/// (`setup`, as the probe found), its task work run as `work` says.
pub fn build_ring(setup: SetupFlags, entries: u32, work: TaskWork) -> std::io::Result<IoUring> {
    let mut b = IoUring::builder();
    b.dontfork();
    match (setup, work) {
        (SetupFlags::SingleIssuerDeferred, TaskWork::Deferred) => {
            b.setup_single_issuer()
                .setup_defer_taskrun()
                .setup_submit_all();
        }
        (SetupFlags::SingleIssuerDeferred, TaskWork::Prompt) => {
            b.setup_single_issuer().setup_submit_all();
        }
        (SetupFlags::Cooperative, TaskWork::Deferred) => {
            b.setup_coop_taskrun().setup_submit_all();
        }
        (SetupFlags::Cooperative, TaskWork::Prompt) => {
            b.setup_submit_all();
        }
        (SetupFlags::Plain, _) => {}
    }
    b.build(entries)
}

/// Negative errno when io_uring cannot be used at all (`ENOSYS` without
/// kernel support or under seccomp, `EPERM` with `io_uring_disabled`, ...).
pub fn probe() -> Result<Probe, i32> {
    let mut last_err = -libc::ENOSYS;
    for setup in [
        SetupFlags::SingleIssuerDeferred,
        SetupFlags::Cooperative,
        SetupFlags::Plain,
    ] {
        match build_ring(setup, 4, TaskWork::Deferred) {
            Ok(ring) => {
                let mut p = io_uring::Probe::new();
                let mut opcodes = [false; 256];
                if ring.submitter().register_probe(&mut p).is_ok() {
                    for (code, slot) in opcodes.iter_mut().enumerate() {
                        *slot = p.is_supported(code as u8);
                    }
                }
                return Ok(Probe {
                    single_thread_setup: setup,
                    opcodes,
                });
            }
            Err(e) => {
                last_err = -e.raw_os_error().unwrap_or(libc::ENOSYS);
                if last_err != -libc::EINVAL {
                    // Not a flag this kernel lacks: io_uring itself is refused.
                    return Err(last_err);
                }
            }
        }
    }
    Err(last_err)
}
