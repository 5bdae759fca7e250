//! sendmsg, recvmsg, socket, bind and listen on whichever engine this
//! process runs (`URB_BACKEND`): each case is done by the system call
//! itself and by the library through every face (the convenience calls,
//! `urb_submit_blocking`, `urb_submit_nowait`, `urb_ring_submit_try` and
//! `urb_ring_submit` on an async ring), and the two must agree on the
//! result, the bytes moved and what recvmsg writes back into the msghdr.
//! Then ancillary data (`SCM_RIGHTS`), full sends, `MSG_WAITALL`,
//! cancellation, timeouts, and the `-ENOSYS` refusal of a kernel without
//! them (forced with `URB_PROBE_HIDE` in a child process).

mod common;

use common::*;
use std::mem::{size_of, zeroed};
use std::ptr::{null, null_mut};
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::info::*;
use uringbridge::ffi::prep::*;
use uringbridge::ffi::ring::*;
use uringbridge::op::*;
use uringbridge::ring::delivery::urb_completion;

struct TestRing(*mut urb_ring);
impl Drop for TestRing {
    fn drop(&mut self) {
        urb_ring_free(self.0);
    }
}

fn new_ring() -> TestRing {
    let mut r = null_mut();
    assert_eq!(urb_ring_new(null(), &mut r), 0);
    TestRing(r)
}

fn wait_one(ring: &TestRing) -> urb_completion {
    let mut c = [urb_completion::default()];
    let n = urb_ring_wait(ring.0, c.as_mut_ptr(), 1, 1, 10_000_000_000);
    assert_eq!(n, 1, "no completion within 10 s");
    c[0]
}

/// The ways a prepared request reaches the library.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Face {
    Blocking,
    Nowait,
    RingTry,
    Ring,
}

const FACES: [Face; 4] = [Face::Blocking, Face::Nowait, Face::RingTry, Face::Ring];

/// Submits `op` through `face` and returns its result (a try that would
/// wait is `None` for `Nowait`; `RingTry` then waits for the completion).
fn submit(face: Face, ring: &TestRing, op: &urb_op) -> Option<i32> {
    static TOKEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let token = TOKEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match face {
        Face::Blocking => Some(urb_submit_blocking(op)),
        Face::Nowait => {
            let mut res = 0;
            match urb_submit_nowait(op, &mut res) {
                1 => Some(res),
                0 => None,
                e => panic!("urb_submit_nowait: {e}"),
            }
        }
        Face::RingTry => {
            let mut res = 0;
            match urb_ring_submit_try(ring.0, op, token, &mut res) {
                1 => Some(res),
                0 => {
                    let c = wait_one(ring);
                    assert_eq!(c.token, token);
                    Some(c.res)
                }
                e => Some(e),
            }
        }
        Face::Ring => match urb_ring_submit(ring.0, op, token) {
            0 => {
                let c = wait_one(ring);
                assert_eq!(c.token, token);
                Some(c.res)
            }
            e => Some(e),
        },
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap()
}

/// A system call's result in the library's shape.
fn sys(res: isize) -> i32 {
    if res < 0 {
        -errno()
    } else {
        res as i32
    }
}

fn udp_socket() -> (i32, libc::sockaddr_in) {
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let mut addr: libc::sockaddr_in = zeroed();
        addr.sin_family = libc::AF_INET as u16;
        addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let mut len = size_of::<libc::sockaddr_in>() as u32;
        assert_eq!(
            libc::bind(fd, (&addr as *const libc::sockaddr_in).cast(), len),
            0
        );
        libc::getsockname(fd, (&mut addr as *mut libc::sockaddr_in).cast(), &mut len);
        (fd, addr)
    }
}

fn socketpair_of(kind: i32) -> (i32, i32) {
    let mut fds = [0; 2];
    assert_eq!(
        unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                kind | libc::SOCK_CLOEXEC,
                0,
                fds.as_mut_ptr(),
            )
        },
        0
    );
    (fds[0], fds[1])
}

/// A receiving msghdr: one data buffer, an address buffer, a control buffer.
struct Inbox {
    data: Vec<u8>,
    addr: libc::sockaddr_storage,
    control: [u64; 16],
    iov: libc::iovec,
    hdr: libc::msghdr,
}

impl Inbox {
    fn new(len: usize) -> Box<Inbox> {
        let mut b = Box::new(Inbox {
            data: vec![0; len],
            addr: unsafe { zeroed() },
            control: [0; 16],
            iov: libc::iovec {
                iov_base: null_mut(),
                iov_len: 0,
            },
            hdr: unsafe { zeroed() },
        });
        b.iov = libc::iovec {
            iov_base: b.data.as_mut_ptr().cast(),
            iov_len: len,
        };
        b.hdr.msg_name = (&mut b.addr as *mut libc::sockaddr_storage).cast();
        b.hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as u32;
        b.hdr.msg_iov = &mut b.iov;
        b.hdr.msg_iovlen = 1;
        b.hdr.msg_control = b.control.as_mut_ptr().cast();
        b.hdr.msg_controllen = size_of::<[u64; 16]>();
        b
    }

    /// What recvmsg wrote back, to compare with another receive's.
    fn outcome(&self, res: i32) -> (i32, Vec<u8>, u32, usize, i32, u16, u16) {
        let n = res.max(0) as usize;
        let sin = unsafe { &*(&self.addr as *const _ as *const libc::sockaddr_in) };
        (
            res,
            self.data[..n.min(self.data.len())].to_vec(),
            self.hdr.msg_namelen,
            self.hdr.msg_controllen,
            self.hdr.msg_flags,
            sin.sin_family,
            sin.sin_port,
        )
    }
}

/// A sending msghdr over `parts`, to `to` when given.
struct Outbox {
    iovs: Vec<libc::iovec>,
    to: Option<libc::sockaddr_in>,
    hdr: libc::msghdr,
}

impl Outbox {
    fn new(parts: &[&[u8]], to: Option<libc::sockaddr_in>) -> Box<Outbox> {
        let mut b = Box::new(Outbox {
            iovs: parts
                .iter()
                .map(|p| libc::iovec {
                    iov_base: p.as_ptr() as *mut _,
                    iov_len: p.len(),
                })
                .collect(),
            to,
            hdr: unsafe { zeroed() },
        });
        b.hdr.msg_iov = b.iovs.as_mut_ptr();
        b.hdr.msg_iovlen = b.iovs.len();
        if let Some(to) = b.to.as_mut() {
            b.hdr.msg_name = (to as *mut libc::sockaddr_in).cast();
            b.hdr.msg_namelen = size_of::<libc::sockaddr_in>() as u32;
        }
        b
    }
}

fn prep_sendmsg(fd: i32, hdr: &libc::msghdr, flags: i32) -> urb_op {
    let mut op = urb_op::zeroed();
    assert_eq!(urb_prep_sendmsg(fd, hdr, flags, &mut op), 0);
    op
}

fn prep_recvmsg(fd: i32, hdr: &mut libc::msghdr, flags: i32) -> urb_op {
    let mut op = urb_op::zeroed();
    assert_eq!(urb_prep_recvmsg(fd, hdr, flags, &mut op), 0);
    op
}

/// A datagram with an address, through every face, against the system
/// calls: the sender's address, its length, the flags (`MSG_TRUNC` for a
/// datagram larger than the buffer, or its whole length when asked with
/// `MSG_TRUNC`) and the bytes must be the same.
#[test]
fn datagrams_agree_with_the_system_calls() {
    engine();
    let ring = new_ring();
    let (a, _) = udp_socket();
    let (b, b_addr) = udp_socket();
    let payload: Vec<u8> = (0..100u8).collect();
    for (buf_len, flags) in [
        (200, 0),
        (10, 0),
        (10, libc::MSG_TRUNC),
        (200, libc::MSG_PEEK),
    ] {
        let reference = {
            let out = Outbox::new(&[&payload[..60], &payload[60..]], Some(b_addr));
            assert_eq!(sys(unsafe { libc::sendmsg(a, &out.hdr, 0) }), 100);
            let mut inbox = Inbox::new(buf_len);
            let res = sys(unsafe { libc::recvmsg(b, &mut inbox.hdr, flags) });
            if flags & libc::MSG_PEEK != 0 {
                unsafe { libc::recv(b, null_mut(), 0, libc::MSG_TRUNC) };
            }
            inbox.outcome(res)
        };
        for face in FACES {
            let out = Outbox::new(&[&payload[..60], &payload[60..]], Some(b_addr));
            let sent = submit(face, &ring, &prep_sendmsg(a, &out.hdr, 0));
            assert_eq!(sent, Some(100), "{face:?}: sendmsg");
            let mut inbox = Inbox::new(buf_len);
            let op = prep_recvmsg(b, &mut inbox.hdr, flags);
            let res = submit(face, &ring, &op).expect("a datagram is waiting");
            assert_eq!(
                inbox.outcome(res),
                reference,
                "{face:?}: recvmsg({buf_len}, {flags:#x})"
            );
            if flags & libc::MSG_PEEK != 0 {
                unsafe { libc::recv(b, null_mut(), 0, libc::MSG_TRUNC) };
            }
        }
    }
    close(a);
    close(b);
}

/// `urb_sendto`/`urb_recvfrom` against sendto(2)/recvfrom(2).
#[test]
fn sendto_and_recvfrom_agree_with_the_system_calls() {
    engine();
    let (a, a_addr) = udp_socket();
    let (b, b_addr) = udp_socket();
    let len = size_of::<libc::sockaddr_in>() as u32;
    let to = (&b_addr as *const libc::sockaddr_in).cast();
    assert_eq!(urb_sendto(a, b"ping".as_ptr().cast(), 4, 0, to, len), 4);
    let mut buf = [0u8; 16];
    let mut from: libc::sockaddr_in = unsafe { zeroed() };
    let mut from_len = len;
    let n = urb_recvfrom(
        b,
        buf.as_mut_ptr().cast(),
        16,
        0,
        (&mut from as *mut libc::sockaddr_in).cast(),
        &mut from_len,
    );
    assert_eq!(n, 4);
    assert_eq!(&buf[..4], b"ping");
    assert_eq!(from_len, len);
    assert_eq!(from.sin_port, a_addr.sin_port);
    // An address buffer too small: cut short, the full length reported, as recvfrom(2).
    let small_len = 4u32;
    for by_library in [false, true] {
        assert_eq!(urb_sendto(a, b"x".as_ptr().cast(), 1, 0, to, len), 1);
        let mut small = [0u8; 16];
        let mut got_len = small_len;
        let n = if by_library {
            urb_recvfrom(
                b,
                buf.as_mut_ptr().cast(),
                16,
                0,
                small.as_mut_ptr().cast(),
                &mut got_len,
            )
        } else {
            sys(unsafe {
                libc::recvfrom(
                    b,
                    buf.as_mut_ptr().cast(),
                    16,
                    0,
                    small.as_mut_ptr().cast(),
                    &mut got_len,
                )
            })
        };
        assert_eq!((n, got_len), (1, len), "by library: {by_library}");
        assert!(
            small[4..].iter().all(|&b| b == 0),
            "wrote past the size given"
        );
    }
    // No address wanted: both NULL.
    assert_eq!(urb_sendto(a, b"y".as_ptr().cast(), 1, 0, to, len), 1);
    assert_eq!(
        urb_recvfrom(b, buf.as_mut_ptr().cast(), 16, 0, null_mut(), null_mut()),
        1
    );
    // An address without its length is refused before the datagram is taken.
    assert_eq!(urb_sendto(a, b"z".as_ptr().cast(), 1, 0, to, len), 1);
    let res = urb_recvfrom(
        b,
        buf.as_mut_ptr().cast(),
        16,
        0,
        (&mut from as *mut libc::sockaddr_in).cast(),
        null_mut(),
    );
    assert_eq!(res, -libc::EFAULT);
    assert_eq!(
        urb_recvfrom(
            b,
            buf.as_mut_ptr().cast(),
            16,
            libc::MSG_DONTWAIT,
            null_mut(),
            null_mut()
        ),
        1
    );
    assert_eq!(buf[0], b'z', "the refused call took the datagram");
    // Unconnected datagram socket without an address: sendto(2)'s answer.
    let res = urb_sendto(a, b"q".as_ptr().cast(), 1, 0, null(), 0);
    let want = sys(unsafe { libc::sendto(a, b"q".as_ptr().cast(), 1, 0, null(), 0) });
    assert_eq!(res, want);
    assert_eq!(res, -libc::EDESTADDRREQ);
    close(a);
    close(b);
}

/// Bad requests get the system call's errno, on every face; nothing is
/// sent or received by a refused one.
#[test]
fn errors_agree_with_the_system_calls() {
    engine();
    let ring = new_ring();
    let (s, peer) = socketpair_of(libc::SOCK_STREAM);
    let (pr, pw) = pipe();
    let byte = [7u8];
    let closed = {
        let (x, y) = socketpair_of(libc::SOCK_STREAM);
        close(y);
        x
    };
    let many: Vec<libc::iovec> = (0..1025)
        .map(|_| libc::iovec {
            iov_base: byte.as_ptr() as *mut _,
            iov_len: 1,
        })
        .collect();
    let mut hdr_many: libc::msghdr = unsafe { zeroed() };
    hdr_many.msg_iov = many.as_ptr() as *mut _;
    hdr_many.msg_iovlen = many.len();
    let mut hdr_null_iov: libc::msghdr = unsafe { zeroed() };
    hdr_null_iov.msg_iovlen = 1;
    let null_base = [libc::iovec {
        iov_base: null_mut(),
        iov_len: 1,
    }];
    let mut hdr_null_base: libc::msghdr = unsafe { zeroed() };
    hdr_null_base.msg_iov = null_base.as_ptr() as *mut _;
    hdr_null_base.msg_iovlen = 1;
    let one = Outbox::new(&[&byte], None);
    let mut inbox = Inbox::new(16);

    type Case<'a> = (&'a str, bool, i32, *mut libc::msghdr, i32);
    let cases: [Case; 10] = [
        ("NULL msghdr", true, s, null_mut(), 0),
        ("NULL msghdr", false, s, null_mut(), 0),
        ("1025 iovecs", true, s, &mut hdr_many, 0),
        ("1025 iovecs", false, s, &mut hdr_many, 0),
        ("NULL msg_iov", true, s, &mut hdr_null_iov, 0),
        ("NULL iov_base", true, s, &mut hdr_null_base, 0),
        ("a pipe", true, pw, &one.hdr as *const _ as *mut _, 0),
        ("a pipe", false, pr, &mut inbox.hdr, libc::MSG_DONTWAIT),
        (
            "nothing waiting",
            false,
            s,
            &mut inbox.hdr,
            libc::MSG_DONTWAIT,
        ),
        ("no peer", true, closed, &one.hdr as *const _ as *mut _, 0),
    ];
    for (what, send, fd, hdr, flags) in cases {
        let want = sys(unsafe {
            if send {
                libc::sendmsg(fd, hdr, flags | libc::MSG_NOSIGNAL)
            } else {
                libc::recvmsg(fd, hdr, flags)
            }
        });
        assert!(want < 0, "{what}: the system call succeeded ({want})");
        for face in FACES {
            let mut op = urb_op::zeroed();
            match send {
                true => urb_prep_sendmsg(fd, hdr, flags, &mut op),
                false => urb_prep_recvmsg(fd, hdr, flags, &mut op),
            };
            let got = submit(face, &ring, &op);
            assert_eq!(
                got,
                Some(want),
                "{what} ({}), {face:?}",
                if send { "sendmsg" } else { "recvmsg" }
            );
        }
    }
    // Flags the system calls do not document are refused.
    for face in FACES {
        let op = prep_sendmsg(s, &one.hdr, libc::MSG_CMSG_CLOEXEC);
        assert_eq!(submit(face, &ring, &op), Some(-libc::EINVAL), "{face:?}");
        let op = prep_recvmsg(s, &mut inbox.hdr, libc::MSG_MORE);
        assert_eq!(submit(face, &ring, &op), Some(-libc::EINVAL), "{face:?}");
        let op = prep_recvmsg(-1, &mut inbox.hdr, 0);
        assert_eq!(submit(face, &ring, &op), Some(-libc::EBADF), "{face:?}");
    }
    // Nothing was sent by any refused request.
    let mut b = [0u8; 4];
    assert_eq!(
        sys(unsafe { libc::recv(peer, b.as_mut_ptr().cast(), 4, libc::MSG_DONTWAIT) }),
        -libc::EAGAIN
    );
    for fd in [s, peer, pr, pw, closed] {
        close(fd);
    }
}

/// The blocking face behaves as the system calls for the descriptor's own
/// mode: `O_NONBLOCK` and `SO_RCVTIMEO` answer `-EAGAIN`.
#[test]
fn nonblocking_sockets_and_timeouts_answer_eagain() {
    engine();
    let (s, peer) = socketpair_of(libc::SOCK_STREAM | libc::SOCK_NONBLOCK);
    let mut inbox = Inbox::new(16);
    assert_eq!(urb_recvmsg(s, &mut inbox.hdr, 0), -libc::EAGAIN);
    assert_eq!(
        urb_recvmsg(s, &mut inbox.hdr, libc::MSG_WAITALL),
        -libc::EAGAIN
    );
    close(s);
    close(peer);
    let (s, peer) = socketpair_of(libc::SOCK_STREAM);
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 50_000,
    };
    unsafe {
        libc::setsockopt(
            s,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            size_of::<libc::timeval>() as u32,
        )
    };
    let t = std::time::Instant::now();
    assert_eq!(urb_recvmsg(s, &mut inbox.hdr, 0), -libc::EAGAIN);
    assert!(t.elapsed() >= std::time::Duration::from_millis(40));
    // A bounded request: -ETIME.
    let op = prep_recvmsg(s, &mut inbox.hdr, 0);
    assert_eq!(urb_submit_blocking_timeout(&op, 20_000_000), -libc::ETIME);
    close(s);
    close(peer);
}

/// `SCM_RIGHTS`: a pipe's read end passed over a socketpair through every
/// face arrives as a new descriptor that reads the pipe; with
/// `MSG_CMSG_CLOEXEC` it is close-on-exec, as recvmsg(2) makes it.
#[test]
fn descriptors_pass_with_scm_rights() {
    engine();
    let ring = new_ring();
    let (a, b) = socketpair_of(libc::SOCK_STREAM);
    for face in FACES {
        for cloexec in [false, true] {
            let (pr, pw) = pipe();
            let mut control = [0u64; 4];
            let payload = [b'F'];
            let mut out = Outbox::new(&[&payload], None);
            unsafe {
                out.hdr.msg_control = control.as_mut_ptr().cast();
                out.hdr.msg_controllen = libc::CMSG_SPACE(4) as usize;
                let c = libc::CMSG_FIRSTHDR(&out.hdr);
                (*c).cmsg_level = libc::SOL_SOCKET;
                (*c).cmsg_type = libc::SCM_RIGHTS;
                (*c).cmsg_len = libc::CMSG_LEN(4) as usize;
                *(libc::CMSG_DATA(c) as *mut i32) = pr;
            }
            assert_eq!(
                submit(face, &ring, &prep_sendmsg(a, &out.hdr, 0)),
                Some(1),
                "{face:?}"
            );
            close(pr);
            let mut inbox = Inbox::new(4);
            inbox.hdr.msg_name = null_mut();
            inbox.hdr.msg_namelen = 0;
            let flags = if cloexec { libc::MSG_CMSG_CLOEXEC } else { 0 };
            let op = prep_recvmsg(b, &mut inbox.hdr, flags);
            assert_eq!(submit(face, &ring, &op), Some(1), "{face:?}");
            assert_eq!(inbox.data[0], b'F');
            assert_eq!(
                inbox.hdr.msg_controllen,
                unsafe { libc::CMSG_SPACE(4) } as usize,
                "{face:?}"
            );
            assert_eq!(inbox.hdr.msg_flags & libc::MSG_CTRUNC, 0);
            let got = unsafe {
                let c = libc::CMSG_FIRSTHDR(&inbox.hdr);
                assert!(!c.is_null());
                assert_eq!(
                    ((*c).cmsg_level, (*c).cmsg_type),
                    (libc::SOL_SOCKET, libc::SCM_RIGHTS)
                );
                *(libc::CMSG_DATA(c) as *const i32)
            };
            assert!(got >= 0);
            let fd_flags = unsafe { libc::fcntl(got, libc::F_GETFD) };
            assert_eq!(
                fd_flags & libc::FD_CLOEXEC != 0,
                cloexec,
                "{face:?}: close-on-exec"
            );
            write_all(pw, b"through the pipe");
            let mut buf = [0u8; 32];
            let n = urb_read(got, buf.as_mut_ptr().cast(), 32, URB_OFFSET_CURRENT);
            assert_eq!(&buf[..n as usize], b"through the pipe", "{face:?}");
            close(got);
            close(pw);
        }
    }
    close(a);
    close(b);
}

/// A large sendmsg on a blocking stream socket sends every byte before the
/// blocking call returns, as sendmsg(2) does; a `MSG_WAITALL` recvmsg
/// fills its iovecs while the peer sends in pieces.
#[test]
fn full_sends_and_waitall_receives() {
    engine();
    let (a, b) = socketpair_of(libc::SOCK_STREAM);
    let data: Vec<u8> = (0..(3 << 20)).map(|i| (i % 251) as u8).collect();
    let reader = std::thread::spawn(move || {
        let mut got = vec![0u8; 3 << 20];
        let mut iovs: Vec<libc::iovec> = got
            .chunks_mut(1 << 20)
            .map(|c| libc::iovec {
                iov_base: c.as_mut_ptr().cast(),
                iov_len: c.len(),
            })
            .collect();
        let mut hdr: libc::msghdr = unsafe { zeroed() };
        hdr.msg_iov = iovs.as_mut_ptr();
        hdr.msg_iovlen = iovs.len();
        let n = urb_recvmsg(b, &mut hdr, libc::MSG_WAITALL);
        (n, got, b)
    });
    let parts: Vec<&[u8]> = data.chunks(700_000).collect();
    let out = Outbox::new(&parts, None);
    assert_eq!(urb_sendmsg(a, &out.hdr, 0), data.len() as i32);
    let (n, got, b) = reader.join().unwrap();
    assert_eq!(n, data.len() as i32);
    assert!(got == data, "bytes differ");

    // The same receive on an async ring, the peer sending in slow pieces.
    let ring = new_ring();
    let mut buf = vec![0u8; 64];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: 64,
    };
    let mut hdr: libc::msghdr = unsafe { zeroed() };
    hdr.msg_iov = &mut iov;
    hdr.msg_iovlen = 1;
    let op = prep_recvmsg(b, &mut hdr, libc::MSG_WAITALL);
    assert_eq!(urb_ring_submit(ring.0, &op, 9), 0);
    for chunk in (0..64u8).collect::<Vec<_>>().chunks(16) {
        std::thread::sleep(std::time::Duration::from_millis(10));
        write_all(a, chunk);
    }
    let c = wait_one(&ring);
    assert_eq!((c.token, c.res), (9, 64));
    assert!(buf.iter().enumerate().all(|(i, &v)| v == i as u8));
    close(a);
    close(b);
}

/// A waiting recvmsg on an async ring can be cancelled (`-ECANCELED`) or
/// time out (`-ETIME`), and the data that arrives afterwards is not lost.
#[test]
fn cancelled_and_timed_out_receives_lose_nothing() {
    engine();
    let ring = new_ring();
    let (a, b) = socketpair_of(libc::SOCK_STREAM);
    let mut inbox = Inbox::new(16);
    let op = prep_recvmsg(b, &mut inbox.hdr, 0);
    assert_eq!(urb_ring_submit(ring.0, &op, 1), 0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(urb_ring_cancel(ring.0, 1), 0);
    let c = wait_one(&ring);
    assert_eq!((c.token, c.res), (1, -libc::ECANCELED));
    assert_eq!(urb_ring_submit_timeout(ring.0, &op, 2, 20_000_000), 0);
    let c = wait_one(&ring);
    assert_eq!((c.token, c.res), (2, -libc::ETIME));
    write_all(a, b"kept");
    let mut inbox = Inbox::new(16);
    assert_eq!(urb_recvmsg(b, &mut inbox.hdr, 0), 4);
    assert_eq!(&inbox.data[..4], b"kept");
    close(a);
    close(b);
}

/// A closed peer: `-EPIPE`, and no `SIGPIPE` (it would end the test).
#[test]
fn sends_to_a_closed_peer_give_epipe() {
    engine();
    let ring = new_ring();
    let (a, b) = socketpair_of(libc::SOCK_STREAM);
    close(b);
    let out = Outbox::new(&[b"lost"], None);
    for face in FACES {
        assert_eq!(
            submit(face, &ring, &prep_sendmsg(a, &out.hdr, 0)),
            Some(-libc::EPIPE),
            "{face:?}"
        );
    }
    assert_eq!(
        urb_sendto(a, b"x".as_ptr().cast(), 1, 0, null(), 0),
        -libc::EPIPE
    );
    close(a);
}

fn inet_addr(port: u16) -> libc::sockaddr_in {
    let mut addr: libc::sockaddr_in = unsafe { zeroed() };
    addr.sin_family = libc::AF_INET as u16;
    addr.sin_port = port.to_be();
    addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
    addr
}

/// socket, bind and listen against the system calls, through the
/// convenience calls and every face of prepared requests.
#[test]
fn socket_bind_listen_agree_with_the_system_calls() {
    engine();
    let ring = new_ring();
    let len = size_of::<libc::sockaddr_in>() as u32;
    for (domain, kind, protocol) in [
        (libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0),
        (libc::AF_INET6, libc::SOCK_DGRAM | libc::SOCK_NONBLOCK, 0),
        (libc::AF_UNIX, libc::SOCK_SEQPACKET, 0),
        (12345, libc::SOCK_STREAM, 0),
        (libc::AF_INET, 0xff, 0),
        (libc::AF_INET, libc::SOCK_STREAM, 9999),
    ] {
        let want = sys(unsafe { libc::socket(domain, kind, protocol) } as isize);
        let mut got = vec![urb_socket(domain, kind, protocol)];
        for face in FACES {
            let mut op = urb_op::zeroed();
            assert_eq!(urb_prep_socket(domain, kind, protocol, &mut op), 0);
            match (face, submit(face, &ring, &op)) {
                // Not tried on the spot: nothing was created.
                (Face::Nowait, got) => assert_eq!(got, None, "urb_submit_nowait"),
                (_, Some(res)) => got.push(res),
                (_, None) => unreachable!(),
            }
        }
        for g in got {
            if want < 0 {
                assert_eq!(g, want, "socket({domain}, {kind:#x}, {protocol})");
                continue;
            }
            assert!(g >= 0, "socket({domain}, {kind:#x}): {g}");
            let fl = unsafe { libc::fcntl(g, libc::F_GETFL) };
            let fd_fl = unsafe { libc::fcntl(g, libc::F_GETFD) };
            let w_fl = unsafe { libc::fcntl(want, libc::F_GETFL) };
            let w_fd_fl = unsafe { libc::fcntl(want, libc::F_GETFD) };
            assert_eq!(
                (fl, fd_fl),
                (w_fl, w_fd_fl),
                "flags of socket({domain}, {kind:#x})"
            );
            let mut t = 0i32;
            let mut tl = 4u32;
            unsafe {
                libc::getsockopt(
                    g,
                    libc::SOL_SOCKET,
                    libc::SO_TYPE,
                    (&mut t as *mut i32).cast(),
                    &mut tl,
                )
            };
            assert_eq!(t, kind & 0xf);
            close(g);
        }
        if want >= 0 {
            close(want);
        }
    }

    // bind: a free port, then the same port again (EADDRINUSE), twice on
    // one socket (EINVAL), NULL (EFAULT), length 0 (EINVAL), not a socket.
    let (devnull_r, devnull_w) = pipe();
    for face in [
        None,
        Some(Face::Blocking),
        Some(Face::RingTry),
        Some(Face::Ring),
    ] {
        let bind = |fd: i32, addr: *const libc::sockaddr_in, l: u32| -> i32 {
            match face {
                None => urb_bind(fd, addr.cast(), l),
                Some(f) => {
                    let mut op = urb_op::zeroed();
                    assert_eq!(urb_prep_bind(fd, addr.cast(), l, &mut op), 0);
                    submit(f, &ring, &op).unwrap()
                }
            }
        };
        let listen = |fd: i32, backlog: i32| -> i32 {
            match face {
                None => urb_listen(fd, backlog),
                Some(f) => {
                    let mut op = urb_op::zeroed();
                    assert_eq!(urb_prep_listen(fd, backlog, &mut op), 0);
                    submit(f, &ring, &op).unwrap()
                }
            }
        };
        let s = tcp_socket();
        let any = inet_addr(0);
        assert_eq!(bind(s, &any, len), 0, "{face:?}");
        let mut bound = inet_addr(0);
        let mut bl = len;
        unsafe { libc::getsockname(s, (&mut bound as *mut libc::sockaddr_in).cast(), &mut bl) };
        assert_ne!(bound.sin_port, 0);
        let again =
            sys(unsafe { libc::bind(s, (&any as *const libc::sockaddr_in).cast(), len) } as isize);
        assert_eq!(bind(s, &any, len), again, "{face:?}: bound twice");
        let t = tcp_socket();
        let want = sys(
            unsafe { libc::bind(t, (&bound as *const libc::sockaddr_in).cast(), len) } as isize,
        );
        assert_eq!(want, -libc::EADDRINUSE);
        assert_eq!(bind(t, &bound, len), want, "{face:?}: in use");
        assert_eq!(bind(t, null(), len), -libc::EFAULT, "{face:?}");
        assert_eq!(
            bind(t, &any, 0),
            sys(unsafe { libc::bind(t, (&any as *const libc::sockaddr_in).cast(), 0) } as isize),
            "{face:?}: length 0"
        );
        assert_eq!(bind(devnull_r, &any, len), -libc::ENOTSOCK, "{face:?}");
        assert_eq!(bind(-1, &any, len), -libc::EBADF, "{face:?}");

        // listen, then a connection is accepted.
        assert_eq!(listen(s, 16), 0, "{face:?}");
        let c = connect_blocking(&bound);
        let accepted = urb_accept(s, null_mut(), null_mut(), libc::SOCK_CLOEXEC);
        assert!(accepted >= 0);
        let u = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        let want = sys(unsafe { libc::listen(u, 4) } as isize);
        assert_eq!(listen(u, 4), want, "{face:?}: a datagram socket");
        assert_eq!(listen(devnull_w, 4), -libc::ENOTSOCK, "{face:?}");
        assert_eq!(listen(-1, 4), -libc::EBADF, "{face:?}");
        for fd in [s, t, c, accepted, u] {
            close(fd);
        }
    }
    close(devnull_r);
    close(devnull_w);
}

/// A datagram server's round trip built only from the library's calls.
#[test]
fn udp_request_response_from_library_calls_only() {
    engine();
    let len = size_of::<libc::sockaddr_in>() as u32;
    let server = urb_socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
    assert!(server >= 0);
    let addr = inet_addr(0);
    assert_eq!(
        urb_bind(server, (&addr as *const libc::sockaddr_in).cast(), len),
        0
    );
    let mut bound = inet_addr(0);
    let mut bl = len;
    unsafe {
        libc::getsockname(
            server,
            (&mut bound as *mut libc::sockaddr_in).cast(),
            &mut bl,
        )
    };
    let handler = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        let mut from: libc::sockaddr_in = unsafe { zeroed() };
        let mut from_len = len;
        let n = urb_recvfrom(
            server,
            buf.as_mut_ptr().cast(),
            64,
            0,
            (&mut from as *mut libc::sockaddr_in).cast(),
            &mut from_len,
        );
        assert!(n > 0);
        buf[..n as usize].reverse();
        let sent = urb_sendto(
            server,
            buf.as_ptr().cast(),
            n as u32,
            0,
            (&from as *const libc::sockaddr_in).cast(),
            from_len,
        );
        assert_eq!(sent, n);
        server
    });
    let client = urb_socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
    assert_eq!(
        urb_connect(client, (&bound as *const libc::sockaddr_in).cast(), len),
        0
    );
    assert_eq!(
        urb_sendto(client, b"abc".as_ptr().cast(), 3, 0, null(), 0),
        3
    );
    let mut buf = [0u8; 8];
    assert_eq!(
        urb_recvfrom(
            client,
            buf.as_mut_ptr().cast(),
            8,
            0,
            null_mut(),
            null_mut()
        ),
        3
    );
    assert_eq!(&buf[..3], b"cba");
    let server = handler.join().unwrap();
    close(client);
    close(server);
}

/// A sendmsg chained before a recvmsg: the receive runs after the send.
#[test]
fn chains_of_messages() {
    engine();
    let (a, b) = socketpair_of(libc::SOCK_STREAM);
    let out = Outbox::new(&[b"chain"], None);
    let mut inbox = Inbox::new(16);
    inbox.hdr.msg_name = null_mut();
    inbox.hdr.msg_namelen = 0;
    let ops = [
        prep_sendmsg(a, &out.hdr, 0),
        prep_recvmsg(b, &mut inbox.hdr, 0),
    ];
    let mut results = [0i32; 2];
    assert_eq!(
        urb_submit_chain_blocking(ops.as_ptr(), 2, results.as_mut_ptr()),
        0
    );
    assert_eq!(results, [5, 5]);
    assert_eq!(&inbox.data[..5], b"chain");
    close(a);
    close(b);
}

#[test]
fn probe_knows_them() {
    engine();
    for code in [
        URB_OP_SENDMSG,
        URB_OP_RECVMSG,
        URB_OP_SOCKET,
        URB_OP_BIND,
        URB_OP_LISTEN,
    ] {
        assert!(urb_op_supported(code), "opcode {code}");
    }
}

const HIDE: &str = "URB_OP_SENDMSG,URB_OP_RECVMSG,URB_OP_SOCKET,URB_OP_BIND,URB_OP_LISTEN";

/// Run by `kernels_without_them_refuse_with_enosys` in a child process whose
/// probe hides the five operations; does nothing in a normal run.
#[test]
fn hidden_from_the_probe_child() {
    let Some(on_io_uring) = probe_hide::hidden_in_this_child(
        HIDE,
        &[
            URB_OP_SENDMSG,
            URB_OP_RECVMSG,
            URB_OP_SOCKET,
            URB_OP_BIND,
            URB_OP_LISTEN,
        ],
        URB_OP_SEND,
    ) else {
        return;
    };
    let (a, b) = socketpair_of(libc::SOCK_STREAM);
    let out = Outbox::new(&[b"x"], None);
    let mut inbox = Inbox::new(4);
    let len = size_of::<libc::sockaddr_in>() as u32;
    let addr = inet_addr(0);
    let s = tcp_socket();
    let ring = new_ring();
    if on_io_uring {
        assert_eq!(urb_sendmsg(a, &out.hdr, 0), -libc::ENOSYS);
        assert_eq!(
            urb_recvmsg(b, &mut inbox.hdr, libc::MSG_DONTWAIT),
            -libc::ENOSYS
        );
        assert_eq!(
            urb_sendto(a, b"x".as_ptr().cast(), 1, 0, null(), 0),
            -libc::ENOSYS
        );
        assert_eq!(
            urb_socket(libc::AF_INET, libc::SOCK_STREAM, 0),
            -libc::ENOSYS
        );
        assert_eq!(
            urb_bind(s, (&addr as *const libc::sockaddr_in).cast(), len),
            -libc::ENOSYS
        );
        assert_eq!(urb_listen(s, 4), -libc::ENOSYS);
        let op = prep_sendmsg(a, &out.hdr, 0);
        assert_eq!(urb_ring_submit(ring.0, &op, 1), -libc::ENOSYS);
        let mut r = 0;
        assert_eq!(urb_ring_submit_try(ring.0, &op, 1, &mut r), -libc::ENOSYS);
        let mut byte = [0u8; 2];
        assert_eq!(
            sys(unsafe { libc::recv(b, byte.as_mut_ptr().cast(), 2, libc::MSG_DONTWAIT) }),
            -libc::EAGAIN,
            "a refused sendmsg sent"
        );
    } else {
        // The fallback engine needs no kernel opcode: the probe does not bind it.
        assert_eq!(urb_sendmsg(a, &out.hdr, 0), 1);
        assert_eq!(urb_recvmsg(b, &mut inbox.hdr, 0), 1);
        let u = urb_socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(u >= 0);
        assert_eq!(
            urb_bind(u, (&addr as *const libc::sockaddr_in).cast(), len),
            0
        );
        assert_eq!(urb_listen(u, 4), 0);
        close(u);
    }
    for fd in [a, b, s] {
        close(fd);
    }
}

#[test]
fn kernels_without_them_refuse_with_enosys() {
    probe_hide::run_child_with_hidden("hidden_from_the_probe_child", HIDE);
}

/// Cancels racing data: each round a recvmsg waits on an async ring, one
/// byte is sent and the request is cancelled at about the same time.
/// Whatever the race's outcome, every byte sent is received exactly once:
/// by the cancelled request (its result is the byte) or by a later one.
#[test]
fn cancels_racing_data_lose_no_byte() {
    engine();
    let ring = new_ring();
    let (a, b) = socketpair_of(libc::SOCK_STREAM);
    let rounds = 2000u32;
    let mut received = Vec::new();
    let mut cancelled = 0;
    for round in 0..rounds {
        let mut inbox = Inbox::new(4);
        inbox.hdr.msg_name = null_mut();
        inbox.hdr.msg_namelen = 0;
        let token = 1000 + round as u64;
        let op = prep_recvmsg(b, &mut inbox.hdr, 0);
        assert_eq!(urb_ring_submit(ring.0, &op, token), 0);
        let byte = [round as u8];
        if round % 2 == 0 {
            write_all(a, &byte);
            urb_ring_cancel(ring.0, token);
        } else {
            urb_ring_cancel(ring.0, token);
            write_all(a, &byte);
        }
        let c = wait_one(&ring);
        assert_eq!(c.token, token);
        match c.res {
            n if n > 0 => received.extend_from_slice(&inbox.data[..n as usize]),
            e => {
                assert_eq!(e, -libc::ECANCELED, "round {round}");
                cancelled += 1;
            }
        }
    }
    eprintln!("{cancelled} of {rounds} receives cancelled before their byte");
    // What the cancelled requests did not take is still in the socket.
    loop {
        let mut inbox = Inbox::new(4096);
        inbox.hdr.msg_name = null_mut();
        inbox.hdr.msg_namelen = 0;
        match urb_recvmsg(b, &mut inbox.hdr, libc::MSG_DONTWAIT) {
            n if n > 0 => received.extend_from_slice(&inbox.data[..n as usize]),
            e => {
                assert_eq!(e, -libc::EAGAIN);
                break;
            }
        }
    }
    let sent: Vec<u8> = (0..rounds).map(|r| r as u8).collect();
    assert_eq!(received.len(), sent.len(), "bytes lost or duplicated");
    assert!(received == sent, "bytes out of order");
    close(a);
    close(b);
}

/// A `MSG_WAITALL` recvmsg on an async ring whose bytes arrive in two
/// parts, the second carrying a descriptor. With an ancillary data buffer
/// it returns after the first part (io_uring's recvmsg does; the fallback
/// follows it) and the second part, descriptor included, is the next
/// receive's; without one both parts fill it and the descriptor is cut
/// (`MSG_CTRUNC`), as recvmsg(2) without a buffer does.
#[test]
fn waitall_receives_in_parts_and_their_ancillary_data() {
    engine();
    let ring = new_ring();
    for with_control in [true, false] {
        let (a, b) = socketpair_of(libc::SOCK_STREAM);
        let mut inbox = Inbox::new(2);
        inbox.hdr.msg_name = null_mut();
        inbox.hdr.msg_namelen = 0;
        if !with_control {
            inbox.hdr.msg_control = null_mut();
            inbox.hdr.msg_controllen = 0;
        }
        let op = prep_recvmsg(b, &mut inbox.hdr, libc::MSG_WAITALL);
        assert_eq!(urb_ring_submit(ring.0, &op, 5), 0);
        write_all(a, b"1");
        std::thread::sleep(std::time::Duration::from_millis(30));
        let (pr, pw) = pipe();
        let mut control = [0u64; 4];
        let payload = [b'2'];
        let mut out = Outbox::new(&[&payload], None);
        unsafe {
            out.hdr.msg_control = control.as_mut_ptr().cast();
            out.hdr.msg_controllen = libc::CMSG_SPACE(4) as usize;
            let c = libc::CMSG_FIRSTHDR(&out.hdr);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(4) as usize;
            *(libc::CMSG_DATA(c) as *mut i32) = pr;
        }
        assert_eq!(urb_sendmsg(a, &out.hdr, 0), 1);
        let c = wait_one(&ring);
        let mut next = Inbox::new(4);
        next.hdr.msg_name = null_mut();
        next.hdr.msg_namelen = 0;
        let res = urb_recvmsg(b, &mut next.hdr, libc::MSG_DONTWAIT);
        if with_control {
            assert_eq!((c.token, c.res), (5, 1));
            assert_eq!(inbox.data[0], b'1');
            assert_eq!(inbox.hdr.msg_controllen, 0);
            assert_eq!(res, 1, "the second part is the next receive's");
            assert_eq!(next.data[0], b'2');
            let got = unsafe {
                let h = libc::CMSG_FIRSTHDR(&next.hdr);
                assert!(!h.is_null(), "the descriptor came with it");
                *(libc::CMSG_DATA(h) as *const i32)
            };
            assert!(got >= 0);
            close(got);
        } else {
            assert_eq!((c.token, c.res), (5, 2));
            assert_eq!(&inbox.data[..], b"12");
            assert_ne!(
                inbox.hdr.msg_flags & libc::MSG_CTRUNC,
                0,
                "the cut is reported"
            );
            assert_eq!(res, -libc::EAGAIN);
        }
        for fd in [a, b, pr, pw] {
            close(fd);
        }
    }
}
