//! Randomised requests (a deterministic generator, so a failure reproduces)
//! against safe targets — /dev/null, a pipe, a socket pair — through both
//! faces: every answer is a result or a plain -errno, never a crash, a hang,
//! a panic (-ENOTRECOVERABLE) or a write outside the caller's buffers.
//! `URB_FUZZ_ITERATIONS` makes a longer local run.

mod common;

use common::*;
use std::ffi::CStr;
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::ring::*;
use uringbridge::op::*;
use uringbridge::ring::delivery::urb_completion;

const GUARD: usize = 256;
const BODY: usize = 256;
const CANARY: u8 = 0xC3;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[(self.next() % xs.len() as u64) as usize]
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.next() % one_in == 0
    }
}

/// A buffer with canary guards on both sides of the part a request may use.
struct Guarded(Vec<u8>);
impl Guarded {
    fn new() -> Guarded {
        Guarded(vec![CANARY; GUARD + BODY + GUARD])
    }
    fn body(&mut self) -> *mut libc::c_void {
        self.0[GUARD..].as_mut_ptr().cast()
    }
    fn guards_intact(&self) -> bool {
        self.0[..GUARD]
            .iter()
            .chain(&self.0[GUARD + BODY..])
            .all(|&b| b == CANARY)
    }
}

struct Targets {
    fds: Vec<i32>,
    paths: [&'static CStr; 3],
}

fn targets() -> Targets {
    let null = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    let (pr, pw) = pipe();
    let (sa, sb) = socketpair();
    for fd in [pr, pw, sa, sb] {
        unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
    }
    Targets {
        fds: vec![null, pr, pw, sa, sb, -1, 60_000, libc::AT_FDCWD],
        paths: [c"/dev/null", c"/nonexistent/x", c""],
    }
}

fn random_op(
    rng: &mut Rng,
    t: &Targets,
    a: &mut Guarded,
    b: &mut Guarded,
    iov: &mut [libc::iovec; 2],
    msg: &mut libc::msghdr,
    addr: &libc::sockaddr_un,
) -> urb_op {
    let mut op = urb_op::zeroed();
    op.opcode = if rng.chance(20) {
        rng.pick(&[URB_OP_COUNT, URB_OP_COUNT + 3, 255])
    } else {
        (rng.next() % URB_OP_COUNT as u64) as u8
    };
    op.fd = rng.pick(&t.fds);
    let valid_len = rng.pick(&[0u32, 1, 16, BODY as u32]);
    op.len = if rng.chance(10) {
        rng.pick(&[0x8000_0000u32, u32::MAX])
    } else {
        valid_len
    };
    op.buf = if rng.chance(8) {
        std::ptr::null_mut()
    } else {
        a.body()
    };
    op.buf2 = if rng.chance(8) {
        std::ptr::null_mut()
    } else {
        b.body()
    };
    let any_flags = rng.next() as u32 & 0xffff;
    op.op_flags = rng.pick(&[
        0u32,
        libc::MSG_DONTWAIT as u32,
        libc::POLLIN as u32,
        libc::POLLOUT as u32,
        1,
        any_flags,
    ]);
    let any_offset = rng.next() % 2_000_000;
    op.offset = rng.pick(&[0u64, 4096, URB_OFFSET_CURRENT, any_offset]);
    op.mode = rng.pick(&[0u32, 0o600, libc::STATX_BASIC_STATS]);
    match op.opcode {
        URB_OP_READV | URB_OP_WRITEV if !op.buf.is_null() => {
            iov[0] = libc::iovec {
                iov_base: a.body(),
                iov_len: BODY / 2,
            };
            iov[1] = libc::iovec {
                iov_base: b.body(),
                iov_len: rng.pick(&[0usize, BODY]),
            };
            op.buf = iov.as_mut_ptr().cast();
            op.len = rng.pick(&[0u32, 1, 2]);
        }
        // Validation reads a message's msghdr and iovecs: real ones, over
        // the guarded buffers (the address in b, the control data in the
        // second half of a, which the iovecs do not cover).
        URB_OP_SENDMSG | URB_OP_RECVMSG if !op.buf.is_null() => {
            iov[0] = libc::iovec {
                iov_base: a.body(),
                iov_len: BODY / 2,
            };
            iov[1] = libc::iovec {
                iov_base: b.body().wrapping_add(BODY / 2),
                iov_len: rng.pick(&[0usize, BODY / 2]),
            };
            *msg = unsafe { std::mem::zeroed() };
            msg.msg_iov = iov.as_mut_ptr();
            msg.msg_iovlen = rng.pick(&[0usize, 1, 2]);
            if rng.chance(2) {
                msg.msg_name = b.body();
                msg.msg_namelen = rng.pick(&[0u32, 16, 128]);
            }
            if rng.chance(2) {
                msg.msg_control = a.body().wrapping_add(BODY / 2);
                msg.msg_controllen = rng.pick(&[0usize, 16, BODY / 2]);
            }
            op.buf = (msg as *mut libc::msghdr).cast();
        }
        // A real loopback address: never a path on the filesystem.
        URB_OP_BIND if !op.buf.is_null() => {
            let sin = b.body().cast::<libc::sockaddr_in>();
            unsafe {
                *sin = std::mem::zeroed();
                (*sin).sin_family = libc::AF_INET as u16;
                (*sin).sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            }
            op.buf = sin.cast();
            op.len = rng.pick(&[0u32, 8, std::mem::size_of::<libc::sockaddr_in>() as u32]);
        }
        URB_OP_OPENAT | URB_OP_STATX if !op.buf.is_null() => {
            op.buf = rng.pick(&t.paths).as_ptr() as *mut _;
            op.op_flags &= (libc::O_CREAT | libc::O_TRUNC | libc::O_NONBLOCK | libc::O_RDWR) as u32;
            op.op_flags |= libc::O_CLOEXEC as u32;
        }
        URB_OP_ACCEPT if !op.buf.is_null() && !op.buf2.is_null() => {
            unsafe { *(op.buf2 as *mut u32) = 16 }; // addrlen: within the body
        }
        URB_OP_CONNECT if !op.buf.is_null() => {
            op.buf = addr as *const _ as *mut _;
            op.len = std::mem::size_of::<libc::sockaddr_un>() as u32;
        }
        URB_OP_CLOSE => op.fd = rng.pick(&[-1, 60_000]), // never the fixtures
        URB_OP_TIMEOUT => op.offset %= 3_000_000,
        _ => {}
    }
    if rng.chance(25) {
        op.reserved2[0] = 1;
    }
    op
}

fn check_result(res: i32, op: &urb_op) {
    assert!(
        res != uringbridge::errors::PANICKED,
        "panic inside the library on {op:?}"
    );
    assert!(res >= -133, "not an errno: {res} for {op:?}");
    let makes_fd = matches!(op.opcode, URB_OP_OPENAT | URB_OP_ACCEPT | URB_OP_SOCKET);
    if res >= 0 && makes_fd {
        close(res);
    }
}

fn iterations() -> u64 {
    std::env::var("URB_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000)
}

fn unreachable_unix_addr() -> libc::sockaddr_un {
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as u16;
    for (d, s) in addr.sun_path[1..]
        .iter_mut()
        .zip(b"urb-fuzz-nobody-listens")
    {
        *d = *s as libc::c_char; // abstract name: nothing on the filesystem
    }
    addr
}

#[test]
fn random_requests_on_the_blocking_face() {
    engine();
    let t = targets();
    let (mut a, mut b) = (Guarded::new(), Guarded::new());
    let mut iov = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; 2];
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    let addr = unreachable_unix_addr();
    let mut rng = Rng(0x9E3779B97F4A7C15);
    for _ in 0..iterations() {
        let op = random_op(&mut rng, &t, &mut a, &mut b, &mut iov, &mut msg, &addr);
        let res = urb_submit_blocking_timeout(&op, 2_000_000);
        check_result(res, &op);
        assert!(
            a.guards_intact() && b.guards_intact(),
            "a write outside the buffer: {op:?}"
        );
    }
}

#[test]
fn random_requests_on_an_async_ring() {
    engine();
    let t = targets();
    let (mut a, mut b) = (Guarded::new(), Guarded::new());
    let mut iov = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; 2];
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    let addr = unreachable_unix_addr();
    let mut rng = Rng(0xD1B54A32D192ED03);
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut ring), 0);
    let mut out = [urb_completion::default(); 4];
    for i in 0..iterations() / 2 {
        let op = random_op(&mut rng, &t, &mut a, &mut b, &mut iov, &mut msg, &addr);
        let rc = urb_ring_submit_timeout(ring, &op, i, 2_000_000);
        if rc < 0 {
            check_result(rc, &op); // refused: no completion follows
            continue;
        }
        let n = urb_ring_wait(ring, out.as_mut_ptr(), 4, 1, 5_000_000_000);
        assert_eq!(n, 1, "one completion per accepted request ({op:?})");
        assert_eq!(out[0].token, i);
        check_result(out[0].res, &op);
        assert!(
            a.guards_intact() && b.guards_intact(),
            "a write outside the buffer: {op:?}"
        );
    }
    urb_ring_free(ring);
}

/// The try-on-the-spot call: never waits (the test would hang), and a
/// request it declines was not performed (nothing to check but the guards).
#[test]
fn random_requests_tried_on_the_spot() {
    engine();
    let t = targets();
    let (mut a, mut b) = (Guarded::new(), Guarded::new());
    let mut iov = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; 2];
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    let addr = unreachable_unix_addr();
    let mut rng = Rng(0x94D049BB133111EB);
    for _ in 0..iterations() {
        let op = random_op(&mut rng, &t, &mut a, &mut b, &mut iov, &mut msg, &addr);
        let mut res = i32::MIN;
        match urb_submit_nowait(&op, &mut res) {
            1 => check_result(res, &op),
            0 => assert_eq!(res, i32::MIN, "a declined request wrote its result"),
            other => panic!("urb_submit_nowait returned {other} for {op:?}"),
        }
        assert!(
            a.guards_intact() && b.guards_intact(),
            "a write outside the buffer: {op:?}"
        );
    }
}
