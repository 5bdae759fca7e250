//! The system call's semantics on the blocking face, on whichever engine this
//! process runs (`make test` runs it on both): the cases where io_uring alone
//! would differ (issue 11). The full differential suite is
//! tests/c/test_semantics.c over tests/differential/cases.tsv.

mod common;

use common::*;
use std::time::{Duration, Instant};
use uringbridge::ffi::blocking::*;
use uringbridge::op::*;
use uringbridge::prep;

fn set_nonblocking(fd: i32) {
    unsafe {
        libc::fcntl(
            fd,
            libc::F_SETFL,
            libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK,
        )
    };
}

/// Reads `fd` to end of stream on another thread; joins to the byte count.
fn drain(fd: i32) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut sink = vec![0u8; 65536];
        let mut total = 0;
        loop {
            let n = unsafe { libc::read(fd, sink.as_mut_ptr().cast(), sink.len()) };
            if n <= 0 {
                return total;
            }
            total += n as usize;
        }
    })
}

#[test]
fn nonblocking_descriptors_answer_eagain_at_once() {
    engine();
    let (r, w) = pipe();
    set_nonblocking(r);
    let mut buf = [0u8; 8];
    let t = Instant::now();
    assert_eq!(
        urb_read(r, buf.as_mut_ptr().cast(), 8, URB_OFFSET_CURRENT),
        -libc::EAGAIN
    );
    let op = prep::read(r, buf.as_mut_ptr().cast(), 8, URB_OFFSET_CURRENT);
    assert_eq!(
        urb_submit_blocking_timeout(&op, 5_000_000_000),
        -libc::EAGAIN
    );
    let mut res = [0];
    assert_eq!(
        urb_submit_chain_blocking(&op, 1, res.as_mut_ptr()),
        -libc::EAGAIN
    );
    let (a, b) = socketpair();
    set_nonblocking(a);
    assert_eq!(urb_recv(a, buf.as_mut_ptr().cast(), 8, 0), -libc::EAGAIN);
    assert!(t.elapsed() < Duration::from_secs(2), "nothing waited");
    for fd in [r, w, a, b] {
        close(fd);
    }
}

#[test]
fn rcvtimeo_ends_a_recv_with_eagain() {
    engine();
    let (a, b) = socketpair();
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 30_000,
    };
    let len = std::mem::size_of::<libc::timeval>() as u32;
    assert_eq!(
        unsafe {
            libc::setsockopt(
                a,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                len,
            )
        },
        0
    );
    let mut buf = [0u8; 8];
    let t = Instant::now();
    assert_eq!(urb_recv(a, buf.as_mut_ptr().cast(), 8, 0), -libc::EAGAIN);
    assert!(t.elapsed() >= Duration::from_millis(25));
    // The caller's own timeout, shorter, is -ETIME.
    let op = prep::recv(a, buf.as_mut_ptr().cast(), 8, 0);
    assert_eq!(urb_submit_blocking_timeout(&op, 5_000_000), -libc::ETIME);
    close(a);
    close(b);
}

#[test]
fn errqueue_never_waits() {
    engine();
    let s = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    assert!(s >= 0);
    let mut buf = [0u8; 8];
    assert_eq!(
        urb_recv(s, buf.as_mut_ptr().cast(), 8, libc::MSG_ERRQUEUE),
        -libc::EAGAIN
    );
    close(s);
}

#[test]
fn big_writes_to_blocking_pipes_and_sockets_complete() {
    engine();
    let big = vec![7u8; 1 << 20];
    let (r, w) = pipe();
    let reader = drain(r);
    assert_eq!(
        urb_write(w, big.as_ptr().cast(), big.len() as u32, URB_OFFSET_CURRENT),
        big.len() as i32
    );
    close(w);
    assert_eq!(reader.join().unwrap(), big.len());
    close(r);

    let (a, b) = socketpair();
    let reader = drain(b);
    assert_eq!(
        urb_send(a, big.as_ptr().cast(), big.len() as u32, 0),
        big.len() as i32
    );
    close(a);
    assert_eq!(reader.join().unwrap(), big.len());
    close(b);
}

#[test]
fn writes_without_a_reader_are_epipe_not_sigpipe() {
    engine();
    // SIGPIPE's default action would end this test binary.
    let (r, w) = pipe();
    close(r);
    assert_eq!(
        urb_write(w, b"x".as_ptr().cast(), 1, URB_OFFSET_CURRENT),
        -libc::EPIPE
    );
    let iov = libc::iovec {
        iov_base: b"x".as_ptr() as *mut _,
        iov_len: 1,
    };
    assert_eq!(urb_writev(w, &iov, 1, URB_OFFSET_CURRENT), -libc::EPIPE);
    close(w);
    let (a, b) = socketpair();
    close(b);
    assert_eq!(
        urb_write(a, b"x".as_ptr().cast(), 1, URB_OFFSET_CURRENT),
        -libc::EPIPE
    );
    close(a);
    // No SIGPIPE was left pending on this thread either.
    let mut pending: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe { libc::sigpending(&mut pending) };
    assert_eq!(unsafe { libc::sigismember(&pending, libc::SIGPIPE) }, 0);
}

#[test]
fn validation_errors_are_the_system_calls() {
    engine();
    let mut buf = [0u8; 4];
    assert_eq!(urb_read(-1, buf.as_mut_ptr().cast(), 4, 0), -libc::EBADF);
    assert_eq!(urb_close(-1), -libc::EBADF);
    assert_eq!(urb_read(0, std::ptr::null_mut(), 4, 0), -libc::EFAULT);
    assert_eq!(urb_send(0, std::ptr::null(), 4, 0), -libc::EFAULT);
    // events == 0 waits for error or hang-up only, as poll(2).
    let (r, w) = pipe();
    close(w);
    assert_eq!(urb_poll(r, 0), libc::POLLHUP as i32);
    close(r);
}

#[test]
fn nonblocking_connect_is_einprogress_and_leaves_so_error() {
    engine();
    // A loopback port that was listening a moment ago.
    let l = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    addr.sin_family = libc::AF_INET as u16;
    addr.sin_addr.s_addr = u32::to_be(libc::INADDR_LOOPBACK);
    let mut len = std::mem::size_of::<libc::sockaddr_in>() as u32;
    unsafe {
        libc::bind(l, (&addr as *const libc::sockaddr_in).cast(), len);
        libc::getsockname(l, (&mut addr as *mut libc::sockaddr_in).cast(), &mut len);
        libc::close(l);
    }
    let c = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    };
    assert_eq!(
        urb_connect(c, (&addr as *const libc::sockaddr_in).cast(), len),
        -libc::EINPROGRESS
    );
    let mut p = libc::pollfd {
        fd: c,
        events: libc::POLLOUT,
        revents: 0,
    };
    unsafe { libc::poll(&mut p, 1, 2000) };
    let mut err = 0i32;
    let mut elen = 4u32;
    unsafe {
        libc::getsockopt(
            c,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut err as *mut i32).cast(),
            &mut elen,
        )
    };
    assert_eq!(
        err,
        libc::ECONNREFUSED,
        "the refusal is the caller's to read"
    );
    close(c);
}
