//! The accept try on a listener in `O_NONBLOCK` mode is a plain `accept4` on
//! the calling thread, on both engines: no ring is entered or made for it,
//! and its results and errors are `accept4`'s own.

mod common;

use common::ring_fds::{new_ring_fds, within};
use common::*;
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::ring::*;
use uringbridge::op::urb_op;
use uringbridge::prep;

fn set_nonblocking(fd: i32) {
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert_eq!(
        unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) },
        0
    );
}

fn nonblocking_listener() -> (i32, libc::sockaddr_in) {
    let (lfd, addr) = tcp_listener();
    set_nonblocking(lfd);
    (lfd, addr)
}

/// `urb_submit_nowait`'s answer: `Some(result)` or `None` (would wait).
fn nowait(op: &urb_op) -> Option<i32> {
    let mut res = i32::MIN;
    match urb_submit_nowait(op, &mut res) {
        1 => Some(res),
        0 => {
            assert_eq!(res, i32::MIN, "untouched when it would wait");
            None
        }
        e => panic!("urb_submit_nowait: {e}"),
    }
}

fn accept_op(lfd: i32, addr: &mut libc::sockaddr_in, len: &mut u32, flags: i32) -> urb_op {
    *len = std::mem::size_of::<libc::sockaddr_in>() as u32;
    prep::accept(lfd, (addr as *mut libc::sockaddr_in).cast(), len, flags)
}

/// The tests look for rings that appear in /proc/self/fd (a ring another
/// test opens meanwhile would count): one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_waiting_connection_is_accepted_without_a_ring() {
    engine();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (lfd, addr) = nonblocking_listener();
    let client = connect_blocking(&addr);
    // A fresh thread has no ring of its own: the try must not make one.
    let (rings, conn, mut peer, peer_len) = within("accept try", move || {
        let mut peer: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        let mut peer_len = 0;
        let mut conn = None;
        let rings = new_ring_fds(|| {
            conn = nowait(&accept_op(
                lfd,
                &mut peer,
                &mut peer_len,
                libc::SOCK_CLOEXEC,
            ));
        });
        (rings, conn, peer, peer_len)
    });
    assert_eq!(rings, Vec::<i32>::new(), "the try opened a ring");
    let conn = conn.expect("a waiting connection is accepted on the spot");
    assert!(conn >= 0, "accept: {conn}");
    // accept4's own results: the flags asked for, the peer's address.
    assert_eq!(
        unsafe { libc::fcntl(conn, libc::F_GETFD) } & libc::FD_CLOEXEC,
        libc::FD_CLOEXEC
    );
    assert_eq!(peer_len as usize, std::mem::size_of::<libc::sockaddr_in>());
    let mut local: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut local_len = std::mem::size_of::<libc::sockaddr_in>() as u32;
    unsafe {
        libc::getsockname(
            client,
            (&mut local as *mut libc::sockaddr_in).cast(),
            &mut local_len,
        )
    };
    assert_eq!(peer.sin_port, local.sin_port);
    assert_eq!(urb_send(client, b"hi".as_ptr().cast(), 2, 0), 2);
    let mut buf = [0u8; 2];
    assert_eq!(urb_recv(conn, buf.as_mut_ptr().cast(), 2, 0), 2);
    assert_eq!(&buf, b"hi");
    // The backlog is empty again: would wait, nothing done.
    let mut len = 0;
    assert_eq!(nowait(&accept_op(lfd, &mut peer, &mut len, 0)), None);
    close(conn);
    close(client);
    close(lfd);
}

#[test]
fn the_ring_try_accepts_on_the_caller_too() {
    engine();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut ring), 0);
    let (lfd, addr) = nonblocking_listener();
    let client = connect_blocking(&addr);
    let ring_addr = ring as usize;
    let (rings, done, res) = within("ring accept try", move || {
        let ring = ring_addr as *const urb_ring;
        let (mut done, mut res) = (-1, -1);
        let rings = new_ring_fds(|| {
            let op = prep::accept(lfd, std::ptr::null_mut(), std::ptr::null_mut(), 0);
            done = urb_ring_submit_try(ring, &op, 9, &mut res);
        });
        (rings, done, res)
    });
    assert_eq!(rings, Vec::<i32>::new(), "the try opened a ring");
    assert_eq!(done, 1, "accepted on the caller");
    assert!(res >= 0, "accept: {res}");
    // SOCK_NONBLOCK as accept4 applies it.
    let op = prep::accept(
        lfd,
        std::ptr::null_mut(),
        std::ptr::null_mut(),
        libc::SOCK_NONBLOCK,
    );
    let second = connect_blocking(&addr);
    let mut res2 = -1;
    assert_eq!(urb_ring_submit_try(ring, &op, 10, &mut res2), 1);
    assert!(res2 >= 0);
    assert_ne!(
        unsafe { libc::fcntl(res2, libc::F_GETFL) } & libc::O_NONBLOCK,
        0
    );
    urb_ring_free(ring);
    for fd in [res, res2, client, second, lfd] {
        close(fd);
    }
}

/// The errno of `accept4(fd, NULL, NULL, flags)`, as `-errno`, or the
/// accepted descriptor.
fn accept4_itself(fd: i32, flags: i32) -> i32 {
    let r = unsafe { libc::accept4(fd, std::ptr::null_mut(), std::ptr::null_mut(), flags) };
    if r < 0 {
        -std::io::Error::last_os_error().raw_os_error().unwrap()
    } else {
        r
    }
}

#[test]
fn errors_are_accept4s() {
    engine();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let try_on = |fd: i32, flags: i32| {
        nowait(&prep::accept(
            fd,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            flags,
        ))
    };
    // A socket that is not listening, in O_NONBLOCK mode: EINVAL at once.
    let unbound = tcp_socket();
    set_nonblocking(unbound);
    assert_eq!(accept4_itself(unbound, 0), -libc::EINVAL);
    assert_eq!(try_on(unbound, 0), Some(-libc::EINVAL));
    // Not a socket at all (a pipe in O_NONBLOCK mode): ENOTSOCK.
    let (r, w) = pipe();
    set_nonblocking(r);
    assert_eq!(accept4_itself(r, 0), -libc::ENOTSOCK);
    assert_eq!(try_on(r, 0), Some(-libc::ENOTSOCK));
    // A listener with an empty backlog: accept4 says EAGAIN, the try "would wait".
    let (lfd, _) = nonblocking_listener();
    assert_eq!(accept4_itself(lfd, 0), -libc::EAGAIN);
    assert_eq!(try_on(lfd, 0), None);
    // The blocking face on the same listener answers as accept4 does.
    assert_eq!(
        urb_accept(lfd, std::ptr::null_mut(), std::ptr::null_mut(), 0),
        -libc::EAGAIN
    );
    for fd in [unbound, r, w, lfd] {
        close(fd);
    }
}
