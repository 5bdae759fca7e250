//! The readiness pollers: the same tests against every table this process
//! has (io_uring's and epoll's on the io_uring engine, epoll's on fallback).

mod common;

use common::*;
use std::ffi::CStr;
use std::time::{Duration, Instant};
use uringbridge::ffi::readiness::*;
use uringbridge::readiness::*;

struct Instance {
    vt: &'static urb_poller_vtable,
    state: *mut libc::c_void,
}
unsafe impl Send for Instance {}
unsafe impl Sync for Instance {}

impl Instance {
    fn poll(&self, timeout_ms: i32, max: u32) -> Vec<urb_event> {
        let mut out = vec![urb_event::default(); max as usize];
        let n = (self.vt.poll)(self.state, timeout_ms, out.as_mut_ptr(), max);
        assert!(n >= 0, "{}: poll gave {n}", self.name());
        out.truncate(n as usize);
        out
    }
    fn modify(&self, fd: i32, old: u32, new: u32) -> i32 {
        (self.vt.modify_fd)(self.state, fd, old, new)
    }
    fn once(&self, fd: i32, events: u32) -> i32 {
        (self.vt.modify_fd_once)(self.state, fd, events)
    }
    fn name(&self) -> &str {
        unsafe { CStr::from_ptr(self.vt.name) }.to_str().unwrap()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        (self.vt.destroy)(self.state);
    }
}

fn tables() -> Vec<&'static urb_poller_vtable> {
    let name = engine();
    let mut v = vec![unsafe { &*urb_poller_epoll() }];
    let uring = urb_poller_io_uring();
    assert_eq!(uring.is_null(), name != "io_uring");
    if !uring.is_null() {
        v.push(unsafe { &*uring });
    }
    let default = unsafe { CStr::from_ptr((*urb_poller_default()).name) }
        .to_str()
        .unwrap();
    assert_eq!(
        default,
        if name == "io_uring" {
            "io_uring"
        } else {
            "epoll"
        }
    );
    v
}

/// The tests count descriptors, so they run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn each(test: impl Fn(&Instance)) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for vt in tables() {
        let state = (vt.create)();
        assert!(!state.is_null());
        let inst = Instance { vt, state };
        eprintln!("readiness poller: {}", inst.name());
        test(&inst);
    }
}

fn drain(fd: i32) {
    let mut buf = [0u8; 4096];
    while unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
}

fn nonblocking_pipe() -> (i32, i32) {
    let (r, w) = pipe();
    unsafe {
        libc::fcntl(r, libc::F_SETFL, libc::O_NONBLOCK);
        libc::fcntl(w, libc::F_SETFL, libc::O_NONBLOCK);
    }
    (r, w)
}

#[test]
fn read_interest_reports_only_after_data_arrives() {
    each(|b| {
        let (r, w) = nonblocking_pipe();
        assert_eq!(b.modify(r, 0, URB_EV_READ), 0);
        assert!(b.poll(20, 8).is_empty(), "{}", b.name());
        write_all(w, b"x");
        let ev = b.poll(1000, 8);
        assert_eq!(
            ev,
            vec![urb_event {
                fd: r,
                events: URB_EV_READ
            }],
            "{}",
            b.name()
        );
        // Reported when it becomes ready, not again while it stays ready...
        assert!(b.poll(20, 8).is_empty(), "{}", b.name());
        // ...and again when more arrives.
        write_all(w, b"y");
        assert_eq!(b.poll(1000, 8).len(), 1, "{}", b.name());
        // Modify to nothing removes the interest.
        drain(r);
        assert_eq!(b.modify(r, URB_EV_READ, 0), 0);
        write_all(w, b"z");
        assert!(b.poll(30, 8).is_empty(), "{}", b.name());
        close(r);
        close(w);
    });
}

#[test]
fn write_interest_on_an_empty_pipe_is_immediate_and_switching_works() {
    each(|b| {
        let (r, w) = nonblocking_pipe();
        assert_eq!(b.modify(w, 0, URB_EV_WRITE), 0);
        assert_eq!(
            b.poll(1000, 8),
            vec![urb_event {
                fd: w,
                events: URB_EV_WRITE
            }],
            "{}",
            b.name()
        );
        // read -> write switching on the read end of a socket pair
        let (a, c) = socketpair();
        assert_eq!(b.modify(a, 0, URB_EV_READ), 0);
        assert!(b.poll(20, 8).is_empty());
        assert_eq!(b.modify(a, URB_EV_READ, URB_EV_WRITE), 0);
        let ev = b.poll(1000, 8);
        assert_eq!(
            ev,
            vec![urb_event {
                fd: a,
                events: URB_EV_WRITE
            }],
            "{}",
            b.name()
        );
        for fd in [r, w, a, c] {
            close(fd);
        }
    });
}

#[test]
fn one_shot_fires_exactly_once() {
    each(|b| {
        let (r, w) = nonblocking_pipe();
        write_all(w, b"already here");
        assert_eq!(b.once(r, URB_EV_READ), 0);
        assert_eq!(
            b.poll(1000, 8),
            vec![urb_event {
                fd: r,
                events: URB_EV_READ
            }],
            "{}",
            b.name()
        );
        write_all(w, b"more");
        assert!(
            b.poll(30, 8).is_empty(),
            "{}: one-shot fired twice",
            b.name()
        );
        // Armed again, it reports the data still there.
        assert_eq!(b.once(r, URB_EV_READ), 0);
        assert_eq!(b.poll(1000, 8).len(), 1, "{}", b.name());
        close(r);
        close(w);
    });
}

#[test]
fn hang_up_is_reported() {
    each(|b| {
        let (r, w) = nonblocking_pipe();
        assert_eq!(b.once(r, URB_EV_READ), 0);
        close(w);
        let ev = b.poll(1000, 8);
        assert_eq!(ev.len(), 1, "{}", b.name());
        assert!(ev[0].events & URB_EV_ERROR != 0, "{}: {:?}", b.name(), ev);
        close(r);
    });
}

#[test]
fn timeout_and_max_lose_nothing() {
    each(|b| {
        let start = Instant::now();
        assert!(b.poll(50, 8).is_empty());
        assert!(start.elapsed() >= Duration::from_millis(45), "{}", b.name());
        let pipes: Vec<(i32, i32)> = (0..500).map(|_| nonblocking_pipe()).collect();
        for (r, w) in &pipes {
            assert_eq!(b.once(*r, URB_EV_READ), 0);
            write_all(*w, b"!");
        }
        let mut seen = std::collections::HashSet::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while seen.len() < 500 && Instant::now() < deadline {
            let ev = b.poll(1000, 7); // fewer than are ready: the rest come next time
            assert!(ev.len() <= 7);
            for e in ev {
                assert!(seen.insert(e.fd), "{}: fd {} twice", b.name(), e.fd);
            }
        }
        assert_eq!(seen.len(), 500, "{}", b.name());
        for (r, w) in pipes {
            close(r);
            close(w);
        }
    });
}

#[test]
fn a_registration_from_another_thread_wakes_the_poller() {
    each(|b| {
        let (r, w) = nonblocking_pipe();
        let start = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(30));
                assert_eq!(b.once(r, URB_EV_READ), 0);
                std::thread::sleep(Duration::from_millis(20));
                write_all(w, b"wake");
            });
            let ev = b.poll(5000, 8);
            assert_eq!(
                ev,
                vec![urb_event {
                    fd: r,
                    events: URB_EV_READ
                }],
                "{}",
                b.name()
            );
        });
        assert!(start.elapsed() < Duration::from_secs(4), "{}", b.name());
        close(r);
        close(w);
    });
}

#[test]
fn bad_input_and_destroy_with_registrations() {
    each(|b| {
        let mut out = [urb_event::default(); 2];
        assert_eq!(
            (b.vt.poll)(std::ptr::null_mut(), 0, out.as_mut_ptr(), 2),
            -libc::EINVAL
        );
        assert_eq!(
            (b.vt.poll)(b.state, 0, std::ptr::null_mut(), 2),
            -libc::EINVAL
        );
        assert_eq!((b.vt.poll)(b.state, 0, out.as_mut_ptr(), 0), -libc::EINVAL);
        assert_eq!(b.modify(-1, 0, URB_EV_READ), -libc::EINVAL);
        assert_eq!(b.modify(0, 0, 64), -libc::EINVAL);
        assert_eq!(b.modify(60_000, 0, URB_EV_READ), -libc::EBADF);
        assert_eq!(b.once(60_000, URB_EV_READ), -libc::EBADF);
        assert_eq!(b.once(0, 0), -libc::EINVAL);
        assert_eq!(
            (b.vt.modify_fd)(std::ptr::null_mut(), 0, 0, 1),
            -libc::EINVAL
        );
        (b.vt.destroy)(std::ptr::null_mut());
        // Registrations outstanding when the instance goes away.
        let (r, w) = nonblocking_pipe();
        let extra = Instance {
            vt: b.vt,
            state: (b.vt.create)(),
        };
        assert_eq!(extra.modify(r, 0, URB_EV_READ), 0);
        assert_eq!(extra.once(w, URB_EV_WRITE), 0);
        drop(extra);
        close(r);
        close(w);
    });
}

#[test]
fn registrations_outlive_the_thread_that_made_them() {
    each(|b| {
        // io_uring cancels a request when the thread that submitted it exits.
        let (r1, w1) = nonblocking_pipe();
        let (r2, w2) = nonblocking_pipe();
        std::thread::scope(|s| {
            s.spawn(|| {
                assert_eq!(b.once(r1, URB_EV_READ), 0);
                assert_eq!(b.modify(r2, 0, URB_EV_READ), 0);
            });
        });
        std::thread::sleep(Duration::from_millis(20));
        write_all(w1, b"1");
        write_all(w2, b"2");
        let mut ev = b.poll(1000, 8);
        if ev.len() < 2 {
            ev.extend(b.poll(1000, 8));
        }
        ev.sort_by_key(|e| e.fd);
        assert_eq!(
            ev,
            vec![
                urb_event {
                    fd: r1,
                    events: URB_EV_READ
                },
                urb_event {
                    fd: r2,
                    events: URB_EV_READ
                }
            ],
            "{}",
            b.name()
        );
        // The persistent one is still there.
        write_all(w2, b"again");
        assert_eq!(
            b.poll(1000, 8),
            vec![urb_event {
                fd: r2,
                events: URB_EV_READ
            }],
            "{}",
            b.name()
        );
        for fd in [r1, w1, r2, w2] {
            close(fd);
        }
    });
}

#[test]
fn many_short_lived_threads_register_while_one_polls() {
    each(|b| {
        const THREADS: usize = 8;
        const PER_THREAD: usize = 40;
        let pipes: Vec<(i32, i32)> = (0..THREADS * PER_THREAD)
            .map(|_| nonblocking_pipe())
            .collect();
        let mut seen = std::collections::HashSet::new();
        std::thread::scope(|s| {
            for chunk in pipes.chunks(PER_THREAD) {
                s.spawn(move || {
                    for (i, (r, w)) in chunk.iter().enumerate() {
                        // Every registration from a thread of its own, which
                        // is gone before the data arrives.
                        let r = *r;
                        std::thread::scope(|t| {
                            t.spawn(|| {
                                let rc = if i % 2 == 0 {
                                    b.once(r, URB_EV_READ)
                                } else {
                                    b.modify(r, 0, URB_EV_READ)
                                };
                                assert_eq!(rc, 0);
                            });
                        });
                        write_all(*w, b"!");
                    }
                });
            }
            let deadline = Instant::now() + Duration::from_secs(20);
            while seen.len() < pipes.len() && Instant::now() < deadline {
                for e in b.poll(200, 64) {
                    assert_eq!(e.events, URB_EV_READ, "{}", b.name());
                    assert!(
                        seen.insert(e.fd),
                        "{}: fd {} reported twice",
                        b.name(),
                        e.fd
                    );
                }
            }
        });
        assert_eq!(seen.len(), pipes.len(), "{}", b.name());
        for (r, w) in pipes {
            assert_eq!(b.modify(r, URB_EV_READ, 0), 0);
            close(r);
            close(w);
        }
    });
}

#[test]
fn a_registration_replaces_the_previous_one() {
    each(|b| {
        let (a, c) = socketpair();
        // persistent read, then one-shot write: the read interest is gone
        assert_eq!(b.modify(a, 0, URB_EV_READ), 0);
        assert_eq!(b.once(a, URB_EV_WRITE), 0);
        assert_eq!(
            b.poll(1000, 8),
            vec![urb_event {
                fd: a,
                events: URB_EV_WRITE
            }],
            "{}",
            b.name()
        );
        write_all(c, b"x");
        assert!(
            b.poll(30, 8).is_empty(),
            "{}: the replaced read interest fired",
            b.name()
        );
        close(a);
        close(c);

        // registered twice, removed once: nothing left
        let (r, w) = nonblocking_pipe();
        assert_eq!(b.modify(r, 0, URB_EV_READ), 0);
        assert_eq!(b.modify(r, 0, URB_EV_READ), 0);
        assert_eq!(b.modify(r, URB_EV_READ, 0), 0);
        write_all(w, b"x");
        assert!(
            b.poll(30, 8).is_empty(),
            "{}: a second registration survived",
            b.name()
        );
        // removal with old_events that do not match what was registered
        assert_eq!(b.modify(r, 0, URB_EV_READ), 0);
        assert_eq!(b.poll(1000, 8).len(), 1, "{}", b.name());
        assert_eq!(b.modify(r, URB_EV_READ | URB_EV_WRITE, 0), 0);
        write_all(w, b"y");
        assert!(b.poll(30, 8).is_empty(), "{}", b.name());
        // removing what is not registered is not an error
        assert_eq!(b.modify(r, URB_EV_READ, 0), 0);
        // one-shot twice: one report
        assert_eq!(b.once(r, URB_EV_READ), 0);
        assert_eq!(b.once(r, URB_EV_READ), 0);
        assert_eq!(
            b.poll(1000, 8),
            vec![urb_event {
                fd: r,
                events: URB_EV_READ
            }],
            "{}",
            b.name()
        );
        assert!(b.poll(30, 8).is_empty(), "{}", b.name());
        close(r);
        close(w);
    });
}

#[test]
fn a_poll_reports_each_fd_once_and_only_what_was_asked() {
    each(|b| {
        let (r, w) = nonblocking_pipe();
        assert_eq!(b.modify(r, 0, URB_EV_READ), 0);
        for _ in 0..3 {
            write_all(w, b"x");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            b.poll(1000, 8),
            vec![urb_event {
                fd: r,
                events: URB_EV_READ
            }],
            "{}",
            b.name()
        );
        assert_eq!(b.modify(r, URB_EV_READ, 0), 0);

        // Write interest only: the peer's half-close is no read event.
        let (a, c) = socketpair();
        assert_eq!(b.modify(a, 0, URB_EV_WRITE), 0);
        assert_eq!(
            b.poll(1000, 8),
            vec![urb_event {
                fd: a,
                events: URB_EV_WRITE
            }],
            "{}",
            b.name()
        );
        unsafe { libc::shutdown(c, libc::SHUT_WR) };
        for e in b.poll(100, 8) {
            assert_eq!(e.fd, a);
            assert_eq!(e.events & URB_EV_READ, 0, "{}: {:?}", b.name(), e);
        }
        assert_eq!(b.modify(a, URB_EV_WRITE, 0), 0);
        for fd in [r, w, a, c] {
            close(fd);
        }
    });
}

#[test]
fn a_removed_registration_reports_nothing_even_if_it_fired_before() {
    each(|b| {
        let (r, w) = nonblocking_pipe();
        assert_eq!(b.modify(r, 0, URB_EV_READ), 0);
        write_all(w, b"x");
        std::thread::sleep(Duration::from_millis(20)); // the kernel has posted it
        assert_eq!(b.modify(r, URB_EV_READ, 0), 0);
        assert!(b.poll(50, 8).is_empty(), "{}", b.name());

        // removed by another thread while poll sleeps
        assert_eq!(b.once(r, URB_EV_READ), 0);
        assert_eq!(b.poll(1000, 8).len(), 1);
        drain(r);
        assert_eq!(b.modify(r, 0, URB_EV_READ), 0);
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(20));
                assert_eq!(b.modify(r, URB_EV_READ, 0), 0);
                std::thread::sleep(Duration::from_millis(20));
                write_all(w, b"y");
            });
            assert!(b.poll(150, 8).is_empty(), "{}", b.name());
        });
        close(r);
        close(w);
    });
}

extern "C" fn ignore_signal(_: i32) {}

#[test]
fn a_signal_does_not_cut_a_poll_short() {
    each(|b| {
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = ignore_signal as extern "C" fn(i32) as usize;
            sa.sa_flags = 0; // no SA_RESTART: the wait is interrupted for real
            libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
        }
        let poller = unsafe { libc::pthread_self() };
        let start = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..5 {
                    std::thread::sleep(Duration::from_millis(20));
                    unsafe { libc::pthread_kill(poller, libc::SIGUSR1) };
                }
            });
            assert!(b.poll(250, 8).is_empty(), "{}", b.name());
        });
        assert!(
            start.elapsed() >= Duration::from_millis(240),
            "{}: returned early",
            b.name()
        );
    });
}

#[test]
fn a_forked_child_is_refused_and_destroy_frees_everything() {
    each(|b| {
        let (r, w) = nonblocking_pipe();
        assert_eq!(b.once(r, URB_EV_READ), 0);
        write_all(w, b"x");
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // Only system calls and the library's own checks here.
            let mut out = [urb_event::default(); 4];
            let p = (b.vt.poll)(b.state, 0, out.as_mut_ptr(), 4);
            let m = (b.vt.modify_fd)(b.state, r, 0, URB_EV_READ);
            let o = (b.vt.modify_fd_once)(b.state, r, URB_EV_READ);
            (b.vt.destroy)(b.state);
            let ok = p == -libc::ECHILD && m == -libc::ECHILD && o == -libc::ECHILD;
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "{}: child status {status:#x}",
            b.name()
        );
        // The parent's instance is untouched.
        assert_eq!(
            b.poll(1000, 8),
            vec![urb_event {
                fd: r,
                events: URB_EV_READ
            }],
            "{}",
            b.name()
        );

        // Instances with registrations outstanding leave no descriptor behind.
        let before = open_fds();
        for _ in 0..20 {
            let extra = Instance {
                vt: b.vt,
                state: (b.vt.create)(),
            };
            assert!(!extra.state.is_null());
            assert_eq!(extra.modify(r, 0, URB_EV_READ), 0);
            assert_eq!(extra.once(w, URB_EV_WRITE), 0);
            assert_eq!(extra.poll(1000, 8).len(), 2, "{}", b.name());
        }
        assert_eq!(open_fds(), before, "{}", b.name());
        close(r);
        close(w);
    });
}

fn thread_cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    assert_eq!(
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) },
        0
    );
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A poll with nothing ready sleeps in the kernel: it must not spin (a
/// to_submit larger than what is queued once made every io_uring wait
/// return at once, so an idle server burned a core).
#[test]
fn an_idle_poll_sleeps_instead_of_spinning() {
    each(|b| {
        let (r, w) = nonblocking_pipe();
        assert_eq!(b.modify(r, 0, URB_EV_READ), 0);
        let before = thread_cpu();
        assert!(b.poll(300, 8).is_empty(), "{}", b.name());
        // A waiting thread uses next to no CPU; a spinning one uses ~300 ms.
        let used = thread_cpu() - before;
        assert!(
            used < std::time::Duration::from_millis(100),
            "{}: {used:?} of CPU in a 300 ms idle poll",
            b.name()
        );
        assert_eq!(b.modify(r, URB_EV_READ, 0), 0);
        close(r);
        close(w);
    });
}
