//! Helpers shared by the Rust integration tests.
#![allow(dead_code)]

use std::ffi::CStr;
use uringbridge::ffi::info::urb_engine_name;

pub mod probe_hide;
pub mod ring_fds;

/// Prints (once per test binary) which engine the tests run on.
pub fn engine() -> &'static str {
    static ONCE: std::sync::Once = std::sync::Once::new();
    let name = unsafe { CStr::from_ptr(urb_engine_name()) }
        .to_str()
        .unwrap();
    ONCE.call_once(|| eprintln!("engine: {name}"));
    name
}

pub fn pipe() -> (i32, i32) {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    (fds[0], fds[1])
}

pub fn socketpair() -> (i32, i32) {
    let mut fds = [0; 2];
    assert_eq!(
        unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
                0,
                fds.as_mut_ptr(),
            )
        },
        0
    );
    (fds[0], fds[1])
}

pub fn close(fd: i32) {
    unsafe { libc::close(fd) };
}

pub fn write_all(fd: i32, data: &[u8]) {
    assert_eq!(
        unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) },
        data.len() as isize
    );
}

pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// A loopback TCP listener on an ephemeral port: (fd, sockaddr_in).
pub fn tcp_listener() -> (i32, libc::sockaddr_in) {
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as u16;
        addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
        assert_eq!(
            libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len),
            0
        );
        assert_eq!(libc::listen(fd, 128), 0);
        let mut len = len;
        libc::getsockname(fd, &mut addr as *mut _ as *mut libc::sockaddr, &mut len);
        (fd, addr)
    }
}

pub fn tcp_socket() -> i32 {
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0);
    fd
}

pub fn connect_blocking(addr: &libc::sockaddr_in) -> i32 {
    let fd = tcp_socket();
    let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
    assert_eq!(
        unsafe { libc::connect(fd, addr as *const _ as *const libc::sockaddr, len) },
        0
    );
    fd
}
