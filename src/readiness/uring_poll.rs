//! The readiness face on io_uring poll requests. What a request is for —
//! fd, interest and whether it persists — is packed into its `user_data`, so
//! a completion is turned into an event without any lookup table.

use super::{check_fd, events_from_mask, mask_from_events, remaining_ms, urb_event, Readiness};
use io_uring::{cqueue, opcode, squeue::Entry, types, IoUring};
use parking_lot::Mutex;
use std::time::Instant;

const PERSISTENT: u64 = 1 << 40;
/// The library's own requests (removals): their completions carry no event.
const INTERNAL: u64 = 1 << 41;

const IORING_ENTER_GETEVENTS: u32 = 1;
const IORING_ENTER_EXT_ARG: u32 = 1 << 3;

fn pack(fd: i32, events: u32, persistent: bool) -> u64 {
    fd as u32 as u64 | (events as u64 & 0xff) << 32 | if persistent { PERSISTENT } else { 0 }
}

fn unpack_fd(user_data: u64) -> i32 {
    user_data as u32 as i32
}

pub struct UringPoll {
    ring: IoUring,
    /// Held while filling and submitting SQEs: modify may come from any thread.
    sq: Mutex<()>,
    /// Held by the one thread reading completions in `poll`.
    cq: Mutex<()>,
}

impl UringPoll {
    fn add(&self, fd: i32, events: u32, persistent: bool) -> Entry {
        opcode::PollAdd::new(types::Fd(fd), mask_from_events(events))
            .multi(persistent)
            .build()
            .user_data(pack(fd, events, persistent))
    }

    fn submit(&self, entries: &[Entry]) -> Result<(), i32> {
        let _guard = self.sq.lock();
        for e in entries {
            // SAFETY: the SQ is ours under the lock; poll SQEs hold no pointers.
            unsafe {
                while self.ring.submission_shared().push(e).is_err() {
                    self.ring.submit().map_err(|e| -e.raw_os_error().unwrap_or(libc::EIO))?;
                }
            }
        }
        loop {
            match self.ring.submit() {
                Ok(_) => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => return Ok(()), // CQ backed up; submitted on the next enter
                Err(e) => return Err(-e.raw_os_error().unwrap_or(libc::EIO)),
            }
        }
    }

    /// Moves ready completions into `out`; CQEs beyond `out` stay queued.
    fn drain(&self, out: &mut [urb_event]) -> usize {
        let mut n = 0;
        let mut rearm = Vec::new();
        {
            // SAFETY: only the holder of the `cq` lock reads completions.
            let mut cq = unsafe { self.ring.completion_shared() };
            while n < out.len() {
                let Some(cqe) = cq.next() else { break };
                let ud = cqe.user_data();
                if ud & INTERNAL != 0 {
                    continue;
                }
                let persistent = ud & PERSISTENT != 0;
                let res = cqe.result();
                if res < 0 {
                    continue; // removed (-ECANCELED) or refused: nothing to report
                }
                if persistent && !cqueue::more(cqe.flags()) {
                    // The kernel ended a persistent poll (CQ overflow, ...):
                    // arm it again from its own user_data.
                    let events = ((ud >> 32) & 0xff) as u32;
                    rearm.push(self.add(unpack_fd(ud), events, true));
                }
                out[n] = urb_event { fd: unpack_fd(ud), events: events_from_mask(res as u32) };
                n += 1;
            }
        }
        if !rearm.is_empty() {
            let _ = self.submit(&rearm);
        }
        n
    }

    fn wait(&self, timeout_ms: i32) -> Result<(), i32> {
        let ts;
        let args;
        let (flags, arg) = if timeout_ms < 0 {
            (IORING_ENTER_GETEVENTS, None)
        } else {
            ts = types::Timespec::new()
                .sec(timeout_ms as u64 / 1000)
                .nsec((timeout_ms as u32 % 1000) * 1_000_000);
            args = types::SubmitArgs::new().timespec(&ts);
            (IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, Some(&args))
        };
        // SAFETY: enter with nothing to submit; `arg` is an io_uring_getevents_arg.
        match unsafe { self.ring.submitter().enter(0, 1, flags, arg) } {
            Ok(_) => Ok(()),
            Err(e) => match e.raw_os_error() {
                Some(libc::ETIME) | Some(libc::EINTR) | Some(libc::EBUSY) => Ok(()),
                other => Err(-other.unwrap_or(libc::EIO)),
            },
        }
    }
}

impl Readiness for UringPoll {
    fn create() -> Result<UringPoll, i32> {
        let mut b = IoUring::builder();
        b.dontfork().setup_cqsize(4096);
        let ring = match b.setup_coop_taskrun().build(256) {
            Ok(r) => Ok(r),
            Err(_) => IoUring::builder().dontfork().setup_cqsize(4096).build(256),
        }
        .map_err(|e| -e.raw_os_error().unwrap_or(libc::ENOMEM))?;
        Ok(UringPoll { ring, sq: Mutex::new(()), cq: Mutex::new(()) })
    }

    fn poll(&self, timeout_ms: i32, out: &mut [urb_event]) -> Result<usize, i32> {
        let _reader = self.cq.lock();
        let start = Instant::now();
        loop {
            let n = self.drain(out);
            let left = remaining_ms(timeout_ms, start);
            if n > 0 || left == 0 {
                return Ok(n);
            }
            self.wait(left)?;
        }
    }

    fn modify(&self, fd: i32, old_events: u32, new_events: u32) -> Result<(), i32> {
        check_fd(fd, old_events | new_events)?;
        let mut entries = Vec::with_capacity(2);
        if old_events != 0 {
            let remove = opcode::PollRemove::new(pack(fd, old_events, true)).build();
            entries.push(remove.user_data(INTERNAL));
        }
        if new_events != 0 {
            entries.push(self.add(fd, new_events, true));
        }
        self.submit(&entries)
    }

    fn modify_once(&self, fd: i32, events: u32) -> Result<(), i32> {
        check_fd(fd, events)?;
        if events == 0 {
            return Err(-libc::EINVAL);
        }
        self.submit(&[self.add(fd, events, false)])
    }
}
