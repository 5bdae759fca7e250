//! Which engine serves requests, chosen once per process: io_uring when the
//! kernel lets us create a ring, the fallback engine otherwise, or whatever
//! `URB_ENGINE=io_uring|fallback` demands (`URB_BACKEND`, its former name,
//! is read when `URB_ENGINE` is unset or empty).

use crate::fallback::exec;
use crate::op::ValidOp;
use crate::sys::time::Deadline;
use crate::uring::probe::{self, Probe};
use crate::uring::single;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    IoUring,
    Fallback,
    /// `URB_ENGINE=io_uring` was demanded but the kernel refused a ring with
    /// this (negative) errno: every request fails with it.
    Refused(i32),
}

pub struct Selection {
    pub engine: Engine,
    /// Present whenever a ring could be created, even if the fallback is forced.
    pub probe: Option<Probe>,
}

static SELECTION: OnceLock<Selection> = OnceLock::new();

/// Bumped in the child after every `fork`: rings created under an older
/// generation belong to the parent and must not be touched.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

#[ctor::ctor(unsafe)]
fn choose_at_load() {
    selection();
}

pub fn selection() -> &'static Selection {
    SELECTION.get_or_init(|| {
        register_fork_handler();
        let mut probe = probe::probe();
        if let (Ok(p), Ok(hidden)) = (&mut probe, std::env::var("URB_PROBE_HIDE")) {
            hide_from_probe(p, &hidden);
        }
        let (var, wanted) = wanted_engine();
        let engine = match (wanted.as_str(), &probe) {
            ("fallback", _) => Engine::Fallback,
            ("io_uring", Ok(_)) | ("" | "auto", Ok(_)) => Engine::IoUring,
            ("io_uring", Err(e)) => {
                eprintln!(
                    "uringbridge: {var}=io_uring but io_uring is unavailable ({}); every request will fail",
                    crate::errors::describe(*e)
                );
                Engine::Refused(*e)
            }
            ("" | "auto", Err(_)) => Engine::Fallback,
            (other, p) => {
                eprintln!("uringbridge: ignoring unknown {var}={other:?} (use io_uring or fallback)");
                if p.is_ok() {
                    Engine::IoUring
                } else {
                    Engine::Fallback
                }
            }
        };
        Selection { engine, probe: probe.ok() }
    })
}

/// The engine asked for, and the variable that asked: `URB_ENGINE` when it
/// is set and not empty, else its former name `URB_BACKEND` (so a program
/// or script that still sets `URB_BACKEND` keeps working, and a newer
/// `URB_ENGINE` beside it decides). Empty when neither is set.
fn wanted_engine() -> (&'static str, String) {
    let engine = std::env::var("URB_ENGINE").unwrap_or_default();
    let backend = std::env::var("URB_BACKEND").unwrap_or_default();
    match (engine.is_empty(), backend.is_empty()) {
        (true, _) => ("URB_BACKEND", backend),
        (false, false) if engine != backend => {
            eprintln!(
                "uringbridge: URB_ENGINE={engine:?} decides; URB_BACKEND={backend:?} is ignored"
            );
            ("URB_ENGINE", engine)
        }
        (false, _) => ("URB_ENGINE", engine),
    }
}

/// `URB_PROBE_HIDE=URB_OP_X,URB_OP_Y`: the probe answers as a kernel
/// without those operations' io_uring opcodes would, so the `-ENOSYS` path
/// of every operation can be tested on a kernel that has them all.
fn hide_from_probe(p: &mut Probe, names: &str) {
    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match crate::op::Opcode::ALL
            .into_iter()
            .find(|c| c.spec().name == name)
        {
            Some(code) => p.hide(code.kernel_opcode()),
            None => eprintln!("uringbridge: URB_PROBE_HIDE: unknown operation {name:?}"),
        }
    }
}

pub fn engine() -> Engine {
    selection().engine
}

pub fn fork_generation() -> u64 {
    FORK_GENERATION.load(Ordering::Relaxed)
}

extern "C" fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::Relaxed);
}

fn register_fork_handler() {
    // SAFETY: registering a handler that only touches an atomic.
    unsafe {
        libc::pthread_atfork(None, None, Some(after_fork_in_child));
    }
}

/// `-ENOSYS` if the engine in use cannot perform `code` (on io_uring: the
/// probe lacks its `OpSpec::kernel_opcode`); the engine's refusal if
/// `URB_ENGINE=io_uring` could not be had.
pub fn supported(code: crate::op::Opcode) -> Result<(), i32> {
    match engine() {
        Engine::Refused(e) => Err(e),
        Engine::Fallback => Ok(()),
        Engine::IoUring => {
            let probe = selection()
                .probe
                .as_ref()
                .expect("io_uring engine has a probe");
            if probe.supports(code.kernel_opcode()) {
                Ok(())
            } else {
                Err(-libc::ENOSYS)
            }
        }
    }
}

/// One request on the engine in use, bounded by `deadline` (`-ETIME` past
/// it): on io_uring the calling thread's ring (the fallback engine where the
/// thread cannot have one), else the fallback's system call.
pub fn perform(v: &ValidOp, deadline: Deadline) -> i32 {
    let timeout_ns = deadline.map(|d| {
        d.saturating_duration_since(Instant::now())
            .as_nanos()
            .min(u64::MAX as u128) as u64
    });
    match engine() {
        Engine::IoUring => single::run(v, timeout_ns).unwrap_or_else(|| exec::execute(v, deadline)),
        _ => exec::execute(v, deadline),
    }
}

/// `urb_op_supported`: whether `code` is an operation this process can perform.
pub fn op_supported(code: u8) -> bool {
    crate::op::Opcode::from_u8(code).is_some_and(|c| supported(c).is_ok())
}
