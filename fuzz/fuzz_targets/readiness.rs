//! Sequences of readiness-vtable calls — `modify_fd`, `modify_fd_once`,
//! `poll` with a zero timeout, bad arguments — interleaved with writes into
//! and drains of two pipes and a socket pair, run on every table this
//! process has (io_uring's where the engine is io_uring, and epoll's),
//! checked against a model of the header's rules:
//! - a report names a registered fd, at most once per call, with events
//!   within its interest (plus `URB_EV_ERROR`); a one-shot registration is
//!   gone after one report; a removed one reports nothing;
//! - a registration that is ready when made, or a persistent read interest
//!   whose stream got new data, is reported (if still ready) by the polls
//!   that follow: none is lost;
//! - a write, or a registration, made by another thread while `poll` sleeps
//!   wakes it;
//! - the documented errors: `-EINVAL` for a negative fd, unknown bits, a
//!   one-shot registration of nothing, `max == 0` or a NULL array;
//!   `-EBADF` for a closed fd.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};
use uringbridge::ffi::readiness::{urb_backend_epoll, urb_backend_io_uring};
use uringbridge::readiness::{
    urb_backend_vtable, urb_event, URB_EV_ERROR, URB_EV_READ, URB_EV_WRITE,
};
use uringbridge_fuzz::*;

const MAX_CALLS: usize = 64;
/// Bytes a stream holds at most, far below a pipe's capacity: a write end
/// is always writable.
const STREAM_CAP: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Registration {
    None,
    Persistent(u32),
    Once(u32),
}

#[derive(Clone, Copy, Debug)]
struct Fd {
    fd: i32,
    /// The stream this fd reads from, or writes into.
    stream: usize,
    reads: bool,
    registration: Registration,
    /// Since its last report, something happened that the registration must
    /// report if the fd is still ready: it was made, or new data arrived.
    owed: bool,
}

struct Model {
    fds: Vec<Fd>,
    /// Bytes waiting in each stream.
    held: [usize; 3],
    /// Write end, read end of each stream.
    ends: [[i32; 2]; 3],
}

impl Model {
    fn new() -> Model {
        let (p, q, s) = (pipe(), pipe(), socketpair());
        // Streams: pipe p, pipe q, socket s[0] -> s[1]; s[1] -> s[0] is
        // not used for data, so s[1] only ever reads and s[0] only writes.
        let ends = [[p[1], p[0]], [q[1], q[0]], [s[0], s[1]]];
        let mut fds = Vec::new();
        for (stream, [w, r]) in ends.iter().enumerate() {
            fds.push(Fd {
                fd: *w,
                stream,
                reads: false,
                registration: Registration::None,
                owed: false,
            });
            fds.push(Fd {
                fd: *r,
                stream,
                reads: true,
                registration: Registration::None,
                owed: false,
            });
        }
        Model {
            fds,
            held: [0; 3],
            ends,
        }
    }

    fn ready(&self, fd: &Fd) -> u32 {
        if fd.reads {
            if self.held[fd.stream] > 0 {
                URB_EV_READ
            } else {
                0
            }
        } else {
            URB_EV_WRITE
        }
    }

    fn interest(reg: Registration) -> u32 {
        match reg {
            Registration::None => 0,
            Registration::Persistent(ev) | Registration::Once(ev) => ev,
        }
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        for fd in &self.fds {
            close(fd.fd);
        }
    }
}

struct Run<'a> {
    vt: &'a urb_backend_vtable,
    state: *mut libc::c_void,
    m: Model,
    name: &'static str,
}

impl Run<'_> {
    fn modify(&mut self, i: usize, old: u32, new: u32) {
        let fd = self.m.fds[i].fd;
        let rc = (self.vt.modify_fd)(self.state, fd, old, new);
        if (old | new) & !(URB_EV_READ | URB_EV_WRITE) != 0 {
            assert_eq!(
                rc,
                -libc::EINVAL,
                "{}: modify_fd({fd}, {old}, {new}) with unknown bits",
                self.name
            );
            return;
        }
        assert_eq!(rc, 0, "{}: modify_fd({fd}, {old}, {new})", self.name);
        let f = &mut self.m.fds[i];
        f.registration = if new == 0 {
            Registration::None
        } else {
            Registration::Persistent(new)
        };
        f.owed = new != 0;
    }

    fn modify_once(&mut self, i: usize, events: u32) {
        let fd = self.m.fds[i].fd;
        let rc = (self.vt.modify_fd_once)(self.state, fd, events);
        if events == 0 || events & !(URB_EV_READ | URB_EV_WRITE) != 0 {
            assert_eq!(
                rc,
                -libc::EINVAL,
                "{}: modify_fd_once({fd}, {events})",
                self.name
            );
            return;
        }
        assert_eq!(rc, 0, "{}: modify_fd_once({fd}, {events})", self.name);
        let f = &mut self.m.fds[i];
        f.registration = Registration::Once(events);
        f.owed = true;
    }

    /// One poll; checks every report against the model. Returns how many.
    fn poll(&mut self, timeout_ms: i32, max: u32) -> usize {
        let mut out = vec![
            urb_event {
                fd: -7,
                events: 0xdead
            };
            max as usize + 1
        ];
        let n = (self.vt.poll)(self.state, timeout_ms, out.as_mut_ptr(), max);
        assert!(n >= 0, "{}: poll returned {n}", self.name);
        let n = n as usize;
        if tracing() {
            eprintln!(
                "{}: poll({timeout_ms}, {max}) = {:?}",
                self.name,
                &out[..n.min(max as usize)]
            );
        }
        assert!(
            n <= max as usize,
            "{}: {n} reports for max {max}",
            self.name
        );
        assert_eq!(
            out[max as usize],
            urb_event {
                fd: -7,
                events: 0xdead
            },
            "{}: poll wrote past max",
            self.name
        );
        let mut seen = Vec::new();
        for ev in &out[..n] {
            assert!(
                !seen.contains(&ev.fd),
                "{}: fd {} reported twice in one poll",
                self.name,
                ev.fd
            );
            seen.push(ev.fd);
            let i = self
                .m
                .fds
                .iter()
                .position(|f| f.fd == ev.fd)
                .unwrap_or_else(|| {
                    panic!("{}: report for fd {}, never registered", self.name, ev.fd)
                });
            let f = &mut self.m.fds[i];
            let interest = Model::interest(f.registration);
            assert!(
                f.registration != Registration::None,
                "{}: fd {} reported ({:#x}) with no registration",
                self.name,
                ev.fd,
                ev.events
            );
            assert!(
                ev.events & !(interest | URB_EV_ERROR) == 0 && ev.events != 0,
                "{}: fd {} reported {:#x} for interest {:#x}",
                self.name,
                ev.fd,
                ev.events,
                interest
            );
            if let Registration::Once(_) = f.registration {
                f.registration = Registration::None;
            }
            f.owed = false;
        }
        n
    }

    /// Registrations the model says must still be reported.
    fn owed(&self) -> Vec<Fd> {
        self.m
            .fds
            .iter()
            .filter(|f| f.owed && Model::interest(f.registration) & self.m.ready(f) != 0)
            .copied()
            .collect()
    }

    fn step(&mut self, input: &mut Bytes) {
        let i = input.below(self.m.fds.len());
        let step = input.u8() % 10;
        if tracing() {
            eprintln!(
                "{}: step {step} on fd index {i} (fd {}), model {:?}",
                self.name,
                self.m.fds[i].fd,
                self.m
                    .fds
                    .iter()
                    .map(|f| (f.fd, f.registration, f.owed))
                    .collect::<Vec<_>>()
            );
        }
        match step {
            0 | 1 => {
                let stream = input.below(3);
                let n = (1 + input.below(64)).min(STREAM_CAP - self.m.held[stream]);
                if n == 0 {
                    return;
                }
                let data = [0x42u8; 64];
                // SAFETY: a local buffer and a length within it.
                let done = unsafe { libc::write(self.m.ends[stream][0], data.as_ptr().cast(), n) };
                assert_eq!(done, n as isize, "write into stream {stream}");
                self.m.held[stream] += n;
                for f in self
                    .m
                    .fds
                    .iter_mut()
                    .filter(|f| f.stream == stream && f.reads)
                {
                    if let Registration::Persistent(ev) = f.registration {
                        f.owed |= ev & URB_EV_READ != 0;
                    }
                }
            }
            2 => {
                let stream = input.below(3);
                assert_eq!(
                    drain(self.m.ends[stream][1]) as usize,
                    self.m.held[stream],
                    "stream {stream} held other bytes than written"
                );
                self.m.held[stream] = 0;
            }
            3 => {
                let (old, new) = (input.u8() as u32 % 5, input.u8() as u32 % 5);
                self.modify(i, old, new);
            }
            4 => {
                let events = input.u8() as u32 % 5;
                self.modify_once(i, events);
            }
            5 | 6 => {
                let max = 1 + input.below(8) as u32;
                self.poll(0, max);
            }
            8 => {
                // Data written by another thread while poll sleeps wakes it
                // (if the read end has read interest).
                let stream = input.below(3);
                if self.m.held[stream] >= STREAM_CAP {
                    return;
                }
                let reader = self
                    .m
                    .fds
                    .iter()
                    .position(|f| f.stream == stream && f.reads)
                    .unwrap();
                let f = &mut self.m.fds[reader];
                let interested = Model::interest(f.registration) & URB_EV_READ != 0;
                if let Registration::Persistent(_) = f.registration {
                    f.owed |= interested;
                }
                self.m.held[stream] += 1;
                let fd = self.m.ends[stream][0];
                let writer = std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(2));
                    // SAFETY: one byte from a static buffer.
                    unsafe { libc::write(fd, b"w".as_ptr().cast(), 1) }
                });
                let n = self.poll(if interested { 2000 } else { 0 }, 16);
                assert_eq!(writer.join().unwrap(), 1, "write into stream {stream}");
                assert!(
                    !interested || n > 0,
                    "{}: a write during poll did not wake it",
                    self.name
                );
            }
            9 => {
                // A registration made by another thread while poll sleeps
                // wakes it (write ends are always writable).
                // Only an fd with no registration: whether the poll below
                // returns before or after the other thread registers it, a
                // report of it can then only come from the new one.
                let writer = 2 * input.below(3);
                let once = input.bool();
                if self.m.fds[writer].registration != Registration::None {
                    return;
                }
                let f = &mut self.m.fds[writer];
                f.registration = if once {
                    Registration::Once(URB_EV_WRITE)
                } else {
                    Registration::Persistent(URB_EV_WRITE)
                };
                f.owed = true;
                let (vt, state, fd) = (
                    self.vt as *const urb_backend_vtable as usize,
                    self.state as usize,
                    f.fd,
                );
                let other = std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(2));
                    // SAFETY: a static table and a live instance (the poll
                    // below outlives this thread: it is joined first).
                    let vt = unsafe { &*(vt as *const urb_backend_vtable) };
                    let state = state as *mut libc::c_void;
                    if once {
                        (vt.modify_fd_once)(state, fd, URB_EV_WRITE)
                    } else {
                        (vt.modify_fd)(state, fd, 0, URB_EV_WRITE)
                    }
                });
                let n = self.poll(2000, 16);
                assert_eq!(
                    other.join().unwrap(),
                    0,
                    "{}: registering fd {fd} from another thread",
                    self.name
                );
                assert!(
                    n > 0,
                    "{}: a registration made during poll did not wake it",
                    self.name
                );
            }
            _ => {
                let fd = BAD_FDS[input.below(2)];
                let ev = 1 + input.below(3) as u32;
                let expect = if fd < 0 { -libc::EINVAL } else { -libc::EBADF };
                let (a, b) = (
                    (self.vt.modify_fd)(self.state, fd, 0, ev),
                    (self.vt.modify_fd_once)(self.state, fd, ev),
                );
                assert_eq!(
                    (a, b),
                    (expect, expect),
                    "{}: registering fd {fd}",
                    self.name
                );
                let removal = (self.vt.modify_fd)(self.state, fd, ev, 0);
                assert!(
                    removal == 0 || removal == expect,
                    "{}: removing fd {fd} gave {removal}",
                    self.name
                );
                let mut one = [urb_event::default(); 1];
                let (a, b) = (
                    (self.vt.poll)(self.state, 0, one.as_mut_ptr(), 0),
                    (self.vt.poll)(self.state, 0, std::ptr::null_mut(), 1),
                );
                assert_eq!(
                    (a, b),
                    (-libc::EINVAL, -libc::EINVAL),
                    "{}: poll with max 0 / NULL out",
                    self.name
                );
            }
        }
    }

    /// Polls until every owed report has come, or fails after 2 s.
    fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let owed = self.owed();
            if owed.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{}: readiness never reported: {owed:?} (held {:?})",
                self.name,
                self.m.held
            );
            self.poll(10, 16);
        }
    }
}

/// `URB_FUZZ_TRACE=1` prints every step and poll (to read a crash).
fn tracing() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("URB_FUZZ_TRACE").is_some())
}

fn run(vt: &urb_backend_vtable, data: &[u8]) {
    let name = if std::ptr::eq(vt, urb_backend_epoll()) {
        "epoll"
    } else {
        "io_uring"
    };
    let state = (vt.create)();
    assert!(!state.is_null(), "{name}: create");
    let mut r = Run {
        vt,
        state,
        m: Model::new(),
        name,
    };
    let mut input = Bytes(data);
    for _ in 0..MAX_CALLS {
        if input.is_empty() {
            break;
        }
        r.step(&mut input);
    }
    r.settle();
    for i in 0..r.m.fds.len() {
        r.modify(i, 0, 0);
    }
    (vt.destroy)(state);
}

fuzz_target!(|data: &[u8]| {
    let fds_before = open_fds();
    let uring = urb_backend_io_uring();
    if !uring.is_null() {
        // SAFETY: a non-NULL table is static.
        run(unsafe { &*uring }, data);
    }
    // SAFETY: always a static table.
    run(unsafe { &*urb_backend_epoll() }, data);
    assert_eq!(open_fds(), fds_before, "a descriptor leaked");
});
