//! The blocking face, every operation, on whichever engine this process runs
//! (`URB_BACKEND`): `make test` runs it on both.

mod common;

use common::*;
use std::ffi::CString;
use std::time::{Duration, Instant};
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::info::*;
use uringbridge::ffi::prep::*;
use uringbridge::op::*;
use uringbridge::prep;
use uringbridge::sqe::io_uring_sqe;

fn temp_path(tag: &str) -> CString {
    let p = std::env::temp_dir().join(format!("urb-blocking-{}-{tag}", std::process::id()));
    CString::new(p.to_str().unwrap()).unwrap()
}

#[test]
fn engine_is_the_one_asked_for() {
    let name = engine();
    match std::env::var("URB_BACKEND").as_deref() {
        Ok("fallback") => {
            assert_eq!(name, "fallback");
            assert!(!urb_supported());
        }
        _ => assert_eq!(urb_supported(), name == "io_uring"),
    }
    // (Numbers may be unallocated on a branch: another one's operations.)
    for code in (0..URB_OP_COUNT).filter(|&c| Opcode::from_u8(c).is_some()) {
        assert!(urb_op_supported(code), "opcode {code}");
    }
    assert!(!urb_op_supported(URB_OP_COUNT));
    assert!(!urb_op_supported(255));
}

#[test]
fn files_open_write_read_sync_stat_close() {
    engine();
    let path = temp_path("file");
    let fd = urb_openat(
        libc::AT_FDCWD,
        path.as_ptr(),
        libc::O_CREAT | libc::O_RDWR | libc::O_TRUNC,
        0o600,
    );
    assert!(fd >= 0, "openat: {fd}");
    let data = b"0123456789";
    assert_eq!(urb_write(fd, data.as_ptr().cast(), 10, 0), 10);
    assert_eq!(urb_fsync(fd, 0), 0);
    assert_eq!(urb_fsync(fd, URB_FSYNC_DATASYNC), 0);
    assert_eq!(urb_fsync(fd, 2), -libc::EINVAL);
    let mut buf = [0u8; 4];
    assert_eq!(urb_read(fd, buf.as_mut_ptr().cast(), 4, 3), 4);
    assert_eq!(&buf, b"3456");
    // The current position advances with URB_OFFSET_CURRENT.
    unsafe { libc::lseek(fd, 0, libc::SEEK_SET) };
    assert_eq!(
        urb_read(fd, buf.as_mut_ptr().cast(), 4, URB_OFFSET_CURRENT),
        4
    );
    assert_eq!(
        urb_read(fd, buf.as_mut_ptr().cast(), 4, URB_OFFSET_CURRENT),
        4
    );
    assert_eq!(&buf, b"4567");
    assert_eq!(urb_read(fd, buf.as_mut_ptr().cast(), 4, 100), 0, "EOF");
    // Vectored I/O.
    let (mut a, mut b) = ([0u8; 3], [0u8; 5]);
    let iov = [
        libc::iovec {
            iov_base: a.as_mut_ptr().cast(),
            iov_len: 3,
        },
        libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: 5,
        },
    ];
    assert_eq!(urb_readv(fd, iov.as_ptr(), 2, 1), 8);
    assert_eq!((&a, &b), (b"123", b"45678"));
    let wiov = [libc::iovec {
        iov_base: b"AB".as_ptr() as *mut _,
        iov_len: 2,
    }];
    assert_eq!(urb_writev(fd, wiov.as_ptr(), 1, 10), 2);
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    assert_eq!(
        urb_statx(
            libc::AT_FDCWD,
            path.as_ptr(),
            0,
            libc::STATX_SIZE,
            (&mut st as *mut libc::statx).cast()
        ),
        0
    );
    assert_eq!(st.stx_size, 12);
    assert_eq!(urb_close(fd), 0);
    assert_eq!(urb_close(fd), -libc::EBADF);
    assert_eq!(
        urb_openat(
            libc::AT_FDCWD,
            c"/nonexistent/x".as_ptr(),
            libc::O_RDONLY,
            0
        ),
        -libc::ENOENT
    );
    unsafe { libc::unlink(path.as_ptr()) };
}

#[test]
fn sockets_send_recv_accept_connect_shutdown() {
    engine();
    let (a, b) = socketpair();
    assert_eq!(urb_send(a, b"ping".as_ptr().cast(), 4, 0), 4);
    let mut buf = [0u8; 8];
    assert_eq!(urb_recv(b, buf.as_mut_ptr().cast(), 8, 0), 4);
    assert_eq!(&buf[..4], b"ping");
    assert_eq!(urb_shutdown(a, libc::SHUT_WR), 0);
    assert_eq!(
        urb_recv(b, buf.as_mut_ptr().cast(), 8, 0),
        0,
        "peer shut down"
    );
    close(a);
    // A send to a closed peer is -EPIPE, never SIGPIPE.
    assert_eq!(urb_send(b, b"x".as_ptr().cast(), 1, 0), -libc::EPIPE);
    close(b);

    let (lfd, addr) = tcp_listener();
    let client = std::thread::spawn(move || {
        let fd = tcp_socket();
        let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
        assert_eq!(
            urb_connect(fd, (&addr as *const libc::sockaddr_in).cast(), len),
            0
        );
        assert_eq!(urb_send(fd, b"hello".as_ptr().cast(), 5, 0), 5);
        close(fd);
    });
    let mut peer: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_in>() as u32;
    let conn = urb_accept(
        lfd,
        (&mut peer as *mut libc::sockaddr_in).cast(),
        &mut len,
        libc::SOCK_CLOEXEC,
    );
    assert!(conn >= 0, "accept: {conn}");
    assert_eq!(peer.sin_addr.s_addr, u32::from_ne_bytes([127, 0, 0, 1]));
    let mut got = Vec::new();
    loop {
        let n = urb_recv(conn, buf.as_mut_ptr().cast(), 8, 0);
        assert!(n >= 0);
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n as usize]);
    }
    assert_eq!(got, b"hello");
    client.join().unwrap();
    close(conn);
    close(lfd);
}

#[test]
fn nowait_finishes_what_is_ready_and_leaves_the_rest_untouched() {
    engine();
    let mut res = 7;
    assert_eq!(urb_submit_nowait(&prep::nop(), &mut res), 1);
    assert_eq!(res, 0);

    let (a, b) = socketpair();
    let mut buf = [0u8; 8];
    // Nothing to receive: 0, and the request did not happen.
    res = 7;
    assert_eq!(
        urb_submit_nowait(&prep::recv(b, buf.as_mut_ptr().cast(), 8, 0), &mut res),
        0
    );
    assert_eq!(res, 7, "result untouched when nothing was done");
    common::write_all(a, b"ready");
    assert_eq!(
        urb_submit_nowait(&prep::recv(b, buf.as_mut_ptr().cast(), 8, 0), &mut res),
        1
    );
    assert_eq!(res, 5);
    assert_eq!(&buf[..5], b"ready");
    // The caller's own MSG_DONTWAIT: -EAGAIN is the answer, not "would wait".
    assert_eq!(
        urb_submit_nowait(
            &prep::recv(b, buf.as_mut_ptr().cast(), 8, libc::MSG_DONTWAIT),
            &mut res
        ),
        1
    );
    assert_eq!(res, -libc::EAGAIN);
    // MSG_WAITALL is never tried (a partial receive cannot be undone).
    assert_eq!(
        urb_submit_nowait(
            &prep::recv(b, buf.as_mut_ptr().cast(), 8, libc::MSG_WAITALL),
            &mut res
        ),
        0
    );
    assert_eq!(
        urb_submit_nowait(&prep::send(a, b"x".as_ptr().cast(), 1, 0), &mut res),
        1
    );
    assert_eq!(res, 1);

    // A full socket: sends until there is no room, then 0 with nothing sent.
    let chunk = vec![0u8; 65536];
    let mut sent = 0usize;
    loop {
        match urb_submit_nowait(
            &prep::send(a, chunk.as_ptr().cast(), chunk.len() as u32, 0),
            &mut res,
        ) {
            1 => {
                assert!(res > 0, "send: {res}");
                sent += res as usize;
            }
            0 => break,
            other => panic!("urb_submit_nowait: {other}"),
        }
        assert!(sent < 64 << 20, "a socketpair never filled up");
    }
    let mut drained = 0usize;
    let mut sink = vec![0u8; 65536];
    while drained < sent + 1 {
        let n = urb_recv(b, sink.as_mut_ptr().cast(), sink.len() as u32, 0);
        assert!(n > 0);
        drained += n as usize;
    }
    assert_eq!(
        drained,
        sent + 1,
        "every byte sent once, none by the refused tries"
    );

    // Everything else is left to the caller's ring; bad input finishes at once.
    assert_eq!(
        urb_submit_nowait(&prep::read(b, buf.as_mut_ptr().cast(), 8, 0), &mut res),
        0
    );
    assert_eq!(
        urb_submit_nowait(&prep::recv(-1, buf.as_mut_ptr().cast(), 8, 0), &mut res),
        1
    );
    assert_eq!(
        res,
        -libc::EBADF,
        "a missing descriptor is refused by validation, as recv(2) would"
    );
    let mut bad = prep::nop();
    bad.opcode = URB_OP_COUNT;
    assert_eq!(urb_submit_nowait(&bad, &mut res), 1);
    assert_eq!(res, -libc::EINVAL);
    assert_eq!(urb_submit_nowait(std::ptr::null(), &mut res), -libc::EINVAL);
    assert_eq!(
        urb_submit_nowait(&prep::nop(), std::ptr::null_mut()),
        -libc::EINVAL
    );
    close(a);
    close(b);
}

/// Linux version as (major, minor), from uname.
fn kernel_version() -> (u32, u32) {
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::uname(&mut u) }, 0);
    let release = unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

#[test]
fn nowait_accepts_a_waiting_connection_and_leaves_an_empty_backlog_alone() {
    let engine = engine();
    let (lfd, addr) = tcp_listener();
    // O_NONBLOCK: the fallback engine only tries such listeners.
    assert_eq!(
        unsafe { libc::fcntl(lfd, libc::F_SETFL, libc::O_NONBLOCK) },
        0
    );
    let mut res = 7;
    assert_eq!(
        urb_submit_nowait(
            &prep::accept(lfd, std::ptr::null_mut(), std::ptr::null_mut(), 0),
            &mut res
        ),
        0
    );
    assert_eq!(res, 7);
    let client = connect_blocking(&addr);
    let tried = engine == "fallback" || kernel_version() >= (6, 10); // IORING_ACCEPT_DONTWAIT
    let done = urb_submit_nowait(
        &prep::accept(
            lfd,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_CLOEXEC,
        ),
        &mut res,
    );
    let conn = if tried {
        assert_eq!(done, 1, "a waiting connection is accepted on the spot");
        res
    } else {
        assert_eq!(done, 0);
        urb_accept(
            lfd,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_CLOEXEC,
        )
    };
    assert!(conn >= 0, "accept: {conn}");
    assert_eq!(urb_send(client, b"hi".as_ptr().cast(), 2, 0), 2);
    let mut buf = [0u8; 2];
    assert_eq!(urb_recv(conn, buf.as_mut_ptr().cast(), 2, 0), 2);
    assert_eq!(&buf, b"hi");
    // Backlog empty again.
    assert_eq!(
        urb_submit_nowait(
            &prep::accept(lfd, std::ptr::null_mut(), std::ptr::null_mut(), 0),
            &mut res
        ),
        0
    );
    close(conn);
    close(client);
    close(lfd);
}

#[test]
fn poll_sleep_and_timeouts() {
    engine();
    let (rd, wr) = pipe();
    write_all(wr, b"z");
    assert!(urb_poll(rd, libc::POLLIN as u32) & libc::POLLIN as i32 != 0);
    let start = Instant::now();
    assert_eq!(urb_sleep_ns(20_000_000), 0);
    assert!(start.elapsed() >= Duration::from_millis(20));

    // A timeout that fires: nothing to read.
    let (erd, ewr) = pipe();
    let mut buf = [0u8; 4];
    let start = Instant::now();
    assert_eq!(
        urb_submit_blocking_timeout(&prep::read(erd, buf.as_mut_ptr().cast(), 4, 0), 30_000_000),
        -libc::ETIME
    );
    assert!(start.elapsed() >= Duration::from_millis(29));
    assert_eq!(
        urb_submit_blocking_timeout(&prep::poll(erd, libc::POLLIN as u32), 10_000_000),
        -libc::ETIME
    );
    // And one that does not: the data is there.
    assert_eq!(
        urb_submit_blocking_timeout(
            &prep::read(rd, buf.as_mut_ptr().cast(), 4, 0),
            5_000_000_000
        ),
        1
    );
    assert_eq!(buf[0], b'z');
    // A sleep shorter than its timeout is a plain success.
    assert_eq!(
        urb_submit_blocking_timeout(&prep::timeout(1_000_000), 1_000_000_000),
        0
    );
    assert_eq!(
        urb_submit_blocking_timeout(&prep::timeout(1_000_000_000), 5_000_000),
        -libc::ETIME
    );
    for fd in [rd, wr, erd, ewr] {
        close(fd);
    }
}

#[test]
fn chains_run_in_order_and_cancel_after_a_failure() {
    engine();
    let path = temp_path("chain");
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_CREAT | libc::O_RDWR | libc::O_TRUNC,
            0o600,
        )
    };
    let data = b"chained!";
    let mut back = [0u8; 8];
    let ops = [
        prep::write(fd, data.as_ptr().cast(), 8, 0),
        prep::fsync(fd, 0),
        prep::timeout(1_000_000),
        prep::read(fd, back.as_mut_ptr().cast(), 8, 0),
    ];
    let mut res = [0i32; 4];
    assert_eq!(
        urb_submit_chain_blocking(ops.as_ptr(), 4, res.as_mut_ptr()),
        0
    );
    assert_eq!(res, [8, 0, 0, 8]);
    assert_eq!(&back, data);

    // A failure midway cancels the rest.
    let ops = [
        prep::nop(),
        prep::read(999_999, back.as_mut_ptr().cast(), 8, 0),
        prep::nop(),
    ];
    let mut res = [0i32; 3];
    assert_eq!(
        urb_submit_chain_blocking(ops.as_ptr(), 3, res.as_mut_ptr()),
        -libc::EBADF
    );
    assert_eq!(res, [0, -libc::EBADF, -libc::ECANCELED]);

    // A short read breaks the chain too (8 asked, 8 available from offset 0 of 8? no: from 4).
    let ops = [prep::read(fd, back.as_mut_ptr().cast(), 8, 4), prep::nop()];
    let mut res = [0i32; 2];
    assert_eq!(
        urb_submit_chain_blocking(ops.as_ptr(), 2, res.as_mut_ptr()),
        -libc::ECANCELED
    );
    assert_eq!(res, [4, -libc::ECANCELED]);

    // A request that fails validation: nothing runs.
    let mut bad = prep::nop();
    bad.opcode = 99;
    let ops = [prep::write(fd, data.as_ptr().cast(), 8, 100), bad];
    let mut res = [0i32; 2];
    assert_eq!(
        urb_submit_chain_blocking(ops.as_ptr(), 2, res.as_mut_ptr()),
        -libc::EINVAL
    );
    assert_eq!(res, [-libc::ECANCELED, -libc::EINVAL]);
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    unsafe { libc::fstat(fd, &mut st) };
    assert_eq!(st.st_size, 8, "the refused chain wrote nothing");

    assert_eq!(
        urb_submit_chain_blocking(ops.as_ptr(), 0, res.as_mut_ptr()),
        -libc::EINVAL
    );
    assert_eq!(
        urb_submit_chain_blocking(std::ptr::null(), 1, res.as_mut_ptr()),
        -libc::EINVAL
    );
    assert_eq!(
        urb_submit_chain_blocking(ops.as_ptr(), URB_CHAIN_MAX as usize + 1, res.as_mut_ptr()),
        -libc::EINVAL
    );
    close(fd);
    unsafe { libc::unlink(path.as_ptr()) };
}

#[test]
fn long_chains_grow_the_thread_ring() {
    engine();
    let ops = vec![prep::nop(); URB_CHAIN_MAX as usize];
    let mut res = vec![-1i32; ops.len()];
    assert_eq!(
        urb_submit_chain_blocking(ops.as_ptr(), ops.len(), res.as_mut_ptr()),
        0
    );
    assert!(res.iter().all(|&r| r == 0));
    assert_eq!(urb_nop(), 0);
}

struct ReadArgs {
    fd: i32,
    buf: *mut u8,
}

unsafe extern "C" fn fill_read(ctx: *mut libc::c_void, sqe: *mut io_uring_sqe) -> i32 {
    let a = &*(ctx as *const ReadArgs);
    let raw = sqe as *mut u8;
    *raw = io_uring::opcode::Read::CODE;
    *(raw.add(4) as *mut i32) = a.fd;
    *(raw.add(16) as *mut u64) = a.buf as u64;
    *(raw.add(24) as *mut u32) = 5;
    *(raw.add(1)) = 1 << 2; // IOSQE_IO_LINK: must be stripped, not honoured
    0
}

unsafe extern "C" fn refuse(_ctx: *mut libc::c_void, _sqe: *mut io_uring_sqe) -> i32 {
    -libc::EPERM
}

#[test]
fn raw_sqes_are_filled_by_the_caller() {
    engine();
    let (rd, wr) = pipe();
    write_all(wr, b"raw-sqe");
    let mut buf = [0u8; 8];
    let args = ReadArgs {
        fd: rd,
        buf: buf.as_mut_ptr(),
    };
    assert_eq!(
        urb_submit_blocking_sqe(Some(fill_read), &args as *const _ as *mut _),
        5
    );
    assert_eq!(&buf[..5], b"raw-s");
    assert_eq!(
        urb_submit_blocking_sqe(Some(refuse), std::ptr::null_mut()),
        -libc::EPERM
    );
    assert_eq!(
        urb_submit_blocking_sqe(None, std::ptr::null_mut()),
        -libc::EINVAL
    );
    assert_eq!(urb_nop(), 0, "the stripped link left nothing behind");
    close(rd);
    close(wr);
}

#[test]
fn prep_functions_fill_every_field() {
    let mut op = prep::nop();
    op.reserved1 = 7; // prep must overwrite stale contents
    let mut buf = [0u8; 4];
    assert_eq!(urb_prep_read(3, buf.as_mut_ptr().cast(), 4, 9, &mut op), 0);
    assert_eq!(
        (op.opcode, op.fd, op.len, op.offset, op.reserved1),
        (URB_OP_READ, 3, 4, 9, 0)
    );
    assert_eq!(urb_prep_nop(std::ptr::null_mut()), -libc::EINVAL);
    assert_eq!(urb_prep_timeout(5, &mut op), 0);
    assert_eq!((op.opcode, op.offset), (URB_OP_TIMEOUT, 5));
}

#[test]
fn bad_input_is_refused_with_errno() {
    engine();
    assert_eq!(urb_submit_blocking(std::ptr::null()), -libc::EINVAL);
    assert_eq!(
        urb_submit_blocking_timeout(std::ptr::null(), 1),
        -libc::EINVAL
    );
    let mut buf = [0u8; 4];
    assert_eq!(urb_read(-1, buf.as_mut_ptr().cast(), 4, 0), -libc::EBADF);
    assert_eq!(urb_read(0, std::ptr::null_mut(), 4, 0), -libc::EFAULT);
    assert_eq!(
        urb_read(0, buf.as_mut_ptr().cast(), 0x8000_0000, 0),
        -libc::EINVAL
    );
    let mut op = prep::nop();
    op.flags = 1;
    assert_eq!(urb_submit_blocking(&op), -libc::EINVAL);
    // A descriptor number far above anything the parallel tests open.
    let closed = 60_000;
    assert_eq!(
        urb_read(closed, buf.as_mut_ptr().cast(), 4, 0),
        -libc::EBADF
    );
    let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY) };
    assert_eq!(urb_recv(fd, buf.as_mut_ptr().cast(), 4, 0), -libc::ENOTSOCK);
    close(fd);
}

#[test]
fn strerror_and_version() {
    let text = |r| {
        unsafe { std::ffi::CStr::from_ptr(urb_strerror(r)) }
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(text(0), "success");
    assert_eq!(text(5), "success");
    assert_eq!(text(-libc::EINVAL), "Invalid argument");
    assert_eq!(text(-libc::ETIME), "Timer expired");
    assert_eq!(text(i32::MIN), "unknown error");
    assert_eq!(text(-100_000), "unknown error");
    let v = unsafe { std::ffi::CStr::from_ptr(urb_version()) }
        .to_str()
        .unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
}

#[test]
fn forked_child_gets_rings_of_its_own() {
    engine();
    assert_eq!(urb_nop(), 0); // the parent's ring exists before the fork
    let (rd, wr) = pipe();
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // Child: only async-signal-safe work would be strictly portable, but
        // the library's promise is that the child can use it normally.
        let ok = (0..100).all(|_| urb_nop() == 0)
            && urb_write(wr, b"child".as_ptr().cast(), 5, 0) == 5
            && urb_sleep_ns(1_000_000) == 0;
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    for _ in 0..100 {
        assert_eq!(urb_nop(), 0);
    }
    let mut buf = [0u8; 5];
    assert_eq!(urb_read(rd, buf.as_mut_ptr().cast(), 5, 0), 5);
    assert_eq!(&buf, b"child");
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed: {status}"
    );
    // fork + exec
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        unsafe {
            libc::execl(
                c"/bin/true".as_ptr(),
                c"true".as_ptr(),
                std::ptr::null::<libc::c_char>(),
            )
        };
        unsafe { libc::_exit(127) };
    }
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(libc::WEXITSTATUS(status), 0);
    close(rd);
    close(wr);
}
