//! Registered buffers and files on async rings, and zero-copy sends, on
//! whichever engine this process runs (`URB_BACKEND`): the same results and
//! errors on both (the errors are the ones io_uring gives on this kernel).

mod common;

use common::*;
use std::time::{Duration, Instant};
use uringbridge::ffi::blocking::urb_submit_blocking;
use uringbridge::ffi::ring::*;
use uringbridge::op::*;
use uringbridge::prep;
use uringbridge::ring::config::urb_ring_config;
use uringbridge::ring::delivery::urb_completion;

struct TestRing(*mut urb_ring);
impl Drop for TestRing {
    fn drop(&mut self) {
        urb_ring_free(self.0);
    }
}

fn new_ring(cfg: Option<urb_ring_config>) -> TestRing {
    engine();
    let mut r = std::ptr::null_mut();
    let c = cfg.as_ref().map_or(std::ptr::null(), |c| c as *const _);
    assert_eq!(urb_ring_new(c, &mut r), 0);
    TestRing(r)
}

fn wait_one(r: &TestRing) -> urb_completion {
    let mut c = [urb_completion::default()];
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "no completion");
        let k = urb_ring_wait(r.0, c.as_mut_ptr(), 1, 1, 1_000_000_000);
        assert!(k >= 0, "wait: {k}");
        if k == 1 {
            return c[0];
        }
    }
}

/// The request's result, through the ring.
fn run(r: &TestRing, op: &urb_op) -> i32 {
    assert_eq!(urb_ring_submit(r.0, op, 7), 0, "submit {op:?}");
    let c = wait_one(r);
    assert_eq!(c.token, 7);
    c.res
}

/// Nothing more arrives within `ms`.
fn quiet(r: &TestRing, ms: u64) {
    let mut c = [urb_completion::default()];
    let k = urb_ring_wait(r.0, c.as_mut_ptr(), 1, 1, ms * 1_000_000);
    assert_eq!(k, 0, "unexpected completion {:?}", c[0]);
}

/// A page-aligned anonymous mapping (registered buffers are whole pages).
struct Pages {
    ptr: *mut u8,
    len: usize,
}
impl Pages {
    fn new(len: usize) -> Pages {
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED);
        Pages {
            ptr: ptr.cast(),
            len,
        }
    }
    fn at(&self, off: usize) -> *mut libc::c_void {
        self.ptr.wrapping_add(off).cast()
    }
    fn bytes(&self, off: usize, n: usize) -> &[u8] {
        unsafe { std::slice::from_raw_parts(self.ptr.add(off), n) }
    }
    fn iovec(&self, off: usize, len: usize) -> libc::iovec {
        libc::iovec {
            iov_base: self.at(off),
            iov_len: len,
        }
    }
}
impl Drop for Pages {
    fn drop(&mut self) {
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// A temporary file holding `data`, opened read-write.
fn temp_file(data: &[u8]) -> (i32, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!(
        "urb-fixed-{}-{:?}-{}",
        std::process::id(),
        std::thread::current().id(),
        data.len()
    ));
    std::fs::write(&path, data).unwrap();
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    assert!(fd >= 0);
    (fd, path)
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

fn register_buffers(r: &TestRing, iovs: &[libc::iovec]) -> i32 {
    urb_ring_register_buffers(r.0, iovs.as_ptr(), iovs.len() as u32)
}

#[test]
fn read_fixed_and_write_fixed_move_data_through_registered_buffers() {
    let r = new_ring(None);
    let data = pattern(8192);
    let (fd, path) = temp_file(&data);
    let mem = Pages::new(3 * 4096);
    // Two buffers with an empty slot between them.
    let iovs = [
        mem.iovec(0, 4096),
        libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        },
        mem.iovec(4096, 8192),
    ];
    assert_eq!(register_buffers(&r, &iovs), 0);
    // A read into the middle of buffer 2, at an offset.
    let op = prep::read_fixed(fd, mem.at(4096 + 100), 1000, 4000, 2);
    assert_eq!(run(&r, &op), 1000);
    assert_eq!(mem.bytes(4096 + 100, 1000), &data[4000..5000]);
    // A short read at the end of the file is its length, as pread's.
    let op = prep::read_fixed(fd, mem.at(0), 4096, 8000, 0);
    assert_eq!(run(&r, &op), 192);
    assert_eq!(mem.bytes(0, 192), &data[8000..]);
    // Written from buffer 0 at the file's start.
    unsafe { std::ptr::write_bytes(mem.ptr, 0xab, 512) };
    let op = prep::write_fixed(fd, mem.at(0), 512, 0, 0);
    assert_eq!(run(&r, &op), 512);
    let mut back = [0u8; 512];
    assert_eq!(
        unsafe { libc::pread(fd, back.as_mut_ptr().cast(), 512, 0) },
        512
    );
    assert!(back.iter().all(|&b| b == 0xab));
    // A zero-length request at the very end of a buffer is inside it.
    let op = prep::read_fixed(fd, mem.at(4096), 0, 0, 0);
    assert_eq!(run(&r, &op), 0);
    assert_eq!(urb_ring_unregister_buffers(r.0), 0);
    close(fd);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_buffer_outside_the_registered_one_is_efault() {
    let r = new_ring(None);
    let (fd, path) = temp_file(&pattern(8192));
    let mem = Pages::new(4 * 4096);
    // No buffers registered yet: any index is -EFAULT.
    let op = prep::read_fixed(fd, mem.at(0), 16, 0, 0);
    assert_eq!(run(&r, &op), -libc::EFAULT, "no table");
    let iovs = [
        mem.iovec(4096, 4096),
        libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        },
    ];
    assert_eq!(register_buffers(&r, &iovs), 0);
    let cases: [(&str, *mut libc::c_void, u32, u16); 6] = [
        ("runs past the end", mem.at(4096 + 4090), 16, 0),
        ("starts before", mem.at(4095), 16, 0),
        ("in another buffer's memory", mem.at(2 * 4096), 16, 0),
        ("an empty slot", mem.at(4096), 16, 1),
        ("an index past the table", mem.at(4096), 16, 2),
        ("zero bytes one past the end", mem.at(2 * 4096 + 1), 0, 0),
    ];
    for (what, buf, len, idx) in cases {
        let op = prep::read_fixed(fd, buf, len, 0, idx);
        assert_eq!(run(&r, &op), -libc::EFAULT, "read: {what}");
        let op = prep::write_fixed(fd, buf, len, 0, idx);
        assert_eq!(run(&r, &op), -libc::EFAULT, "write: {what}");
    }
    // NULL with zero bytes is not inside a buffer either.
    let op = prep::read_fixed(fd, std::ptr::null_mut(), 0, 0, 0);
    assert_eq!(run(&r, &op), -libc::EFAULT, "NULL, 0 bytes");
    // NULL with bytes is refused at once, as for URB_OP_READ.
    let op = prep::read_fixed(fd, std::ptr::null_mut(), 16, 0, 0);
    assert_eq!(urb_ring_submit(r.0, &op, 1), -libc::EFAULT);
    close(fd);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn registering_buffers_gives_the_kernels_errors() {
    let r = new_ring(None);
    let mem = Pages::new(2 * 4096);
    let ok = [mem.iovec(0, 4096)];
    let null_base = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 5,
    }];
    let zero_len = [mem.iovec(0, 0)];
    let too_big = [mem.iovec(0, (1 << 30) + 1)];
    let unmapped = [libc::iovec {
        iov_base: 0x1000 as *mut _,
        iov_len: 4096,
    }];
    assert_eq!(urb_ring_unregister_buffers(r.0), -libc::ENXIO, "none yet");
    assert_eq!(register_buffers(&r, &ok[..0]), -libc::EINVAL, "n = 0");
    assert_eq!(
        urb_ring_register_buffers(r.0, std::ptr::null(), 1),
        -libc::EFAULT,
        "NULL array"
    );
    assert_eq!(register_buffers(&r, &null_base), -libc::EFAULT, "NULL base");
    assert_eq!(register_buffers(&r, &zero_len), -libc::EFAULT, "length 0");
    assert_eq!(register_buffers(&r, &too_big), -libc::EFAULT, "over 1 GiB");
    assert_eq!(register_buffers(&r, &unmapped), -libc::EFAULT, "unmapped");
    let many = vec![mem.iovec(0, 4096); 16385];
    assert_eq!(register_buffers(&r, &many), -libc::EINVAL, "over 16384");
    assert_eq!(register_buffers(&r, &ok), 0);
    assert_eq!(
        register_buffers(&r, &ok),
        -libc::EBUSY,
        "already registered"
    );
    assert_eq!(urb_ring_unregister_buffers(r.0), 0);
    assert_eq!(urb_ring_unregister_buffers(r.0), -libc::ENXIO, "gone");
    // Registered again after unregistering: the new table is used.
    assert_eq!(register_buffers(&r, &[mem.iovec(4096, 4096)]), 0);
    let (fd, path) = temp_file(&pattern(100));
    let op = prep::read_fixed(fd, mem.at(0), 16, 0, 0);
    assert_eq!(run(&r, &op), -libc::EFAULT, "the old buffer");
    let op = prep::read_fixed(fd, mem.at(4096), 16, 0, 0);
    assert_eq!(run(&r, &op), 16, "the new one");
    close(fd);
    std::fs::remove_file(path).unwrap();
    assert_eq!(
        urb_ring_register_buffers(std::ptr::null(), ok.as_ptr(), 1),
        -libc::EINVAL
    );
}

#[test]
fn unregistering_while_a_fixed_request_is_in_flight_is_ebusy() {
    let r = new_ring(None);
    let mem = Pages::new(4096);
    assert_eq!(register_buffers(&r, &[mem.iovec(0, 4096)]), 0);
    let (rd, wr) = pipe();
    // A read of an empty pipe waits for data.
    let op = prep::read_fixed(rd, mem.at(0), 64, URB_OFFSET_CURRENT, 0);
    assert_eq!(urb_ring_submit(r.0, &op, 1), 0);
    quiet(&r, 50);
    assert_eq!(urb_ring_unregister_buffers(r.0), -libc::EBUSY);
    write_all(wr, b"fixed");
    let c = wait_one(&r);
    assert_eq!((c.token, c.res), (1, 5));
    assert_eq!(mem.bytes(0, 5), b"fixed");
    assert_eq!(urb_ring_unregister_buffers(r.0), 0, "nothing in flight");
    // A cancelled request no longer holds the table.
    assert_eq!(register_buffers(&r, &[mem.iovec(0, 4096)]), 0);
    assert_eq!(urb_ring_submit(r.0, &op, 2), 0);
    quiet(&r, 20);
    assert_eq!(urb_ring_unregister_buffers(r.0), -libc::EBUSY);
    assert_eq!(urb_ring_cancel(r.0, 2), 0);
    let c = wait_one(&r);
    assert_eq!((c.token, c.res), (2, -libc::ECANCELED));
    assert_eq!(urb_ring_unregister_buffers(r.0), 0);
    close(rd);
    close(wr);
}

#[test]
fn the_blocking_face_refuses_what_only_rings_carry() {
    engine();
    let mut buf = [0u8; 16];
    let (fd, path) = temp_file(&pattern(100));
    let read_fixed = prep::read_fixed(fd, buf.as_mut_ptr().cast(), 16, 0, 0);
    assert_eq!(urb_submit_blocking(&read_fixed), -libc::EOPNOTSUPP);
    let write_fixed = prep::write_fixed(fd, buf.as_ptr().cast(), 16, 0, 0);
    assert_eq!(urb_submit_blocking(&write_fixed), -libc::EOPNOTSUPP);
    let (a, b) = socketpair();
    let zc = prep::send_zc(a, buf.as_ptr().cast(), 16, 0);
    assert_eq!(urb_submit_blocking(&zc), -libc::EOPNOTSUPP);
    let mut fixed_read = prep::read(0, buf.as_mut_ptr().cast(), 16, 0);
    fixed_read.flags = URB_FLAG_FIXED_FILE;
    assert_eq!(urb_submit_blocking(&fixed_read), -libc::EOPNOTSUPP);
    // The flag and the index mean nothing to operations that do not take them.
    let mut nop = prep::nop();
    nop.flags = URB_FLAG_FIXED_FILE;
    assert_eq!(urb_submit_blocking(&nop), -libc::EINVAL);
    let mut close_op = prep::close(0);
    close_op.flags = URB_FLAG_FIXED_FILE;
    assert_eq!(urb_submit_blocking(&close_op), -libc::EINVAL);
    let mut read = prep::read(fd, buf.as_mut_ptr().cast(), 16, 0);
    read.buf_index = 1;
    assert_eq!(urb_submit_blocking(&read), -libc::EINVAL);
    read.buf_index = 0;
    read.flags = 2;
    assert_eq!(urb_submit_blocking(&read), -libc::EINVAL, "an unknown flag");
    // The same refusals of meaningless fields on a ring.
    let r = new_ring(None);
    assert_eq!(urb_ring_submit(r.0, &nop, 1), -libc::EINVAL);
    assert_eq!(urb_ring_submit(r.0, &close_op, 1), -libc::EINVAL);
    read.flags = 0;
    read.buf_index = 1;
    assert_eq!(urb_ring_submit(r.0, &read, 1), -libc::EINVAL);
    close(a);
    close(b);
    close(fd);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_ring_with_an_allow_list_refuses_registration() {
    let allowed = [URB_OP_READ, URB_OP_READ_FIXED];
    let cfg = urb_ring_config {
        allowed_ops: allowed.as_ptr(),
        n_allowed_ops: allowed.len() as u32,
        ..Default::default()
    };
    let r = new_ring(Some(cfg));
    let mem = Pages::new(4096);
    assert_eq!(register_buffers(&r, &[mem.iovec(0, 4096)]), -libc::EACCES);
    assert_eq!(urb_ring_register_files(r.0, [0].as_ptr(), 1), -libc::EACCES);
}

fn fixed(mut op: urb_op) -> urb_op {
    op.flags = URB_FLAG_FIXED_FILE;
    op
}

#[test]
fn registered_files_are_named_by_index_and_outlive_their_descriptor() {
    let r = new_ring(None);
    let data = pattern(4096);
    let (file, path) = temp_file(&data);
    let (rd, wr) = pipe();
    let mut buf = [0u8; 64];
    let b = buf.as_mut_ptr().cast();
    // Index 0 is the file (descriptor 0 is something else: stdin).
    assert_eq!(urb_ring_register_files(r.0, [file, -1, rd].as_ptr(), 3), 0);
    assert_eq!(run(&r, &fixed(prep::read(0, b, 64, 100))), 64);
    assert_eq!(&buf[..], &data[100..164]);
    // The caller's descriptor closed: the registered file still reads.
    close(file);
    buf.fill(0);
    assert_eq!(run(&r, &fixed(prep::read(0, b, 64, 200))), 64);
    assert_eq!(&buf[..], &data[200..264]);
    // Through submit_try and a batch too (never tried by number on the caller).
    buf.fill(0);
    let op = fixed(prep::read(0, b, 64, 300));
    let mut res = 0;
    let k = urb_ring_submit_try(r.0, &op, 5, &mut res);
    if k == 0 {
        let c = wait_one(&r);
        assert_eq!((c.token, c.res), (5, 64));
    } else {
        assert_eq!((k, res), (1, 64));
    }
    assert_eq!(&buf[..], &data[300..364]);
    let ops = [fixed(prep::read(0, b, 64, 400)), prep::nop()];
    assert_eq!(
        urb_ring_submit_batch(r.0, ops.as_ptr(), 2, [8u64, 9].as_ptr()),
        0
    );
    let mut got = [wait_one(&r), wait_one(&r)];
    got.sort_by_key(|c| c.token);
    assert_eq!((got[0].token, got[0].res), (8, 64));
    assert_eq!(&buf[..], &data[400..464]);
    // Indices with no file.
    for idx in [1, 3, 1000] {
        assert_eq!(
            run(&r, &fixed(prep::read(idx, b, 64, 0))),
            -libc::EBADF,
            "index {idx}"
        );
    }
    // A fixed-file request in flight holds the table.
    assert_eq!(
        urb_ring_submit(r.0, &fixed(prep::read(2, b, 64, URB_OFFSET_CURRENT)), 11),
        0
    );
    quiet(&r, 50);
    assert_eq!(urb_ring_unregister_files(r.0), -libc::EBUSY);
    write_all(wr, b"pipe!");
    let c = wait_one(&r);
    assert_eq!((c.token, c.res), (11, 5));
    assert_eq!(&buf[..5], b"pipe!");
    assert_eq!(urb_ring_unregister_files(r.0), 0);
    assert_eq!(urb_ring_unregister_files(r.0), -libc::ENXIO);
    // No table: every index is -EBADF.
    assert_eq!(run(&r, &fixed(prep::read(0, b, 64, 0))), -libc::EBADF);
    close(rd);
    close(wr);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn registering_files_gives_the_kernels_errors() {
    let r = new_ring(None);
    let (rd, wr) = pipe();
    assert_eq!(urb_ring_unregister_files(r.0), -libc::ENXIO);
    assert_eq!(
        urb_ring_register_files(r.0, [rd].as_ptr(), 0),
        -libc::EINVAL
    );
    assert_eq!(
        urb_ring_register_files(r.0, std::ptr::null(), 2),
        -libc::EFAULT
    );
    // A number far above anything open, and one no descriptor can have.
    assert_eq!(
        urb_ring_register_files(r.0, [rd, 999_999].as_ptr(), 2),
        -libc::EBADF
    );
    assert_eq!(urb_ring_register_files(r.0, [-2].as_ptr(), 1), -libc::EBADF);
    // An io_uring instance cannot be registered.
    let mut params = [0u8; 120];
    let ring_fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 2, params.as_mut_ptr()) };
    if ring_fd >= 0 {
        let ring_fd = ring_fd as i32;
        assert_eq!(
            urb_ring_register_files(r.0, [ring_fd].as_ptr(), 1),
            -libc::EBADF
        );
        close(ring_fd);
    }
    assert_eq!(urb_ring_register_files(r.0, [rd, -1, wr].as_ptr(), 3), 0);
    assert_eq!(urb_ring_register_files(r.0, [rd].as_ptr(), 1), -libc::EBUSY);
    // Write through index 2, read through index 0.
    let msg = b"by index";
    assert_eq!(
        run(
            &r,
            &fixed(prep::write(2, msg.as_ptr().cast(), 8, URB_OFFSET_CURRENT))
        ),
        8
    );
    let mut buf = [0u8; 8];
    let op = fixed(prep::read(
        0,
        buf.as_mut_ptr().cast(),
        8,
        URB_OFFSET_CURRENT,
    ));
    assert_eq!(run(&r, &op), 8);
    assert_eq!(&buf, msg);
    assert_eq!(urb_ring_unregister_files(r.0), 0);
    close(rd);
    close(wr);
}

#[test]
fn fixed_files_and_fixed_buffers_together_and_on_sockets() {
    let r = new_ring(None);
    let (a, b) = socketpair();
    let (file, path) = temp_file(&pattern(4096));
    let mem = Pages::new(4096);
    assert_eq!(register_buffers(&r, &[mem.iovec(0, 4096)]), 0);
    assert_eq!(urb_ring_register_files(r.0, [a, file].as_ptr(), 2), 0);
    let op = fixed(prep::read_fixed(1, mem.at(10), 100, 50, 0));
    assert_eq!(run(&r, &op), 100);
    assert_eq!(mem.bytes(10, 100), &pattern(4096)[50..150]);
    // send/recv/poll/shutdown by index.
    let msg = b"socket";
    assert_eq!(run(&r, &fixed(prep::send(0, msg.as_ptr().cast(), 6, 0))), 6);
    let mut got = [0u8; 6];
    assert_eq!(unsafe { libc::recv(b, got.as_mut_ptr().cast(), 6, 0) }, 6);
    assert_eq!(&got, msg);
    write_all(b, b"back");
    assert_eq!(
        run(&r, &fixed(prep::poll(0, libc::POLLIN as u32))),
        libc::POLLIN as i32
    );
    let mut four = [0u8; 4];
    assert_eq!(
        run(&r, &fixed(prep::recv(0, four.as_mut_ptr().cast(), 4, 0))),
        4
    );
    assert_eq!(&four, b"back");
    assert_eq!(run(&r, &fixed(prep::shutdown(0, libc::SHUT_WR))), 0);
    assert_eq!(unsafe { libc::recv(b, got.as_mut_ptr().cast(), 6, 0) }, 0);
    close(a);
    close(b);
    close(file);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn o_direct_reads_into_registered_buffers() {
    let r = new_ring(None);
    let data = pattern(64 * 1024);
    let (fd, path) = temp_file(&data);
    close(fd);
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECT | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        eprintln!("no O_DIRECT on {}: skipped", path.display());
        std::fs::remove_file(path).unwrap();
        return;
    }
    let mem = Pages::new(32 * 4096);
    assert_eq!(register_buffers(&r, &[mem.iovec(0, 32 * 4096)]), 0);
    for i in 0..16u64 {
        let off = (i * 7 % 16) * 4096;
        let op = prep::read_fixed(fd, mem.at(i as usize * 4096), 4096, off, 0);
        assert_eq!(urb_ring_submit(r.0, &op, i), 0);
    }
    for _ in 0..16 {
        let c = wait_one(&r);
        assert_eq!(c.res, 4096, "token {}", c.token);
        let off = (c.token * 7 % 16) as usize * 4096;
        assert_eq!(
            mem.bytes(c.token as usize * 4096, 4096),
            &data[off..off + 4096]
        );
    }
    close(fd);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_zero_copy_send_completes_once_with_the_sends_result() {
    let r = new_ring(None);
    let (l, addr) = tcp_listener();
    let client = connect_blocking(&addr);
    let server = unsafe { libc::accept(l, std::ptr::null_mut(), std::ptr::null_mut()) };
    assert!(server >= 0);
    let data = pattern(64 * 1024);
    let op = prep::send_zc(client, data.as_ptr().cast(), data.len() as u32, 0);
    assert_eq!(run(&r, &op), data.len() as i32);
    quiet(&r, 100); // the notification is not a second completion
    let mut got = vec![0u8; data.len()];
    let mut n = 0;
    while n < got.len() {
        let k = unsafe { libc::recv(server, got[n..].as_mut_ptr().cast(), got.len() - n, 0) };
        assert!(k > 0);
        n += k as usize;
    }
    assert_eq!(got, data);
    // By registered file, with a completion flag of 0.
    assert_eq!(urb_ring_register_files(r.0, [client].as_ptr(), 1), 0);
    let op = fixed(prep::send_zc(0, data.as_ptr().cast(), 100, 0));
    assert_eq!(urb_ring_submit(r.0, &op, 3), 0);
    let c = wait_one(&r);
    assert_eq!((c.token, c.res, c.flags), (3, 100, 0));
    quiet(&r, 50);
    assert_eq!(
        unsafe { libc::recv(server, got.as_mut_ptr().cast(), 100, 0) },
        100
    );
    assert_eq!(urb_ring_unregister_files(r.0), 0);
    // Errors: a closed peer, a socket that cannot send without copying, a
    // file, an unconnected socket.
    close(server);
    // The first send after the close may still succeed (the peer's reset
    // answers it); how soon the reset arrives depends on the load, so the
    // sends go on, a few milliseconds apart, until one sees it.
    let mut saw_error = 0;
    for _ in 0..200 {
        let res = run(&r, &prep::send_zc(client, data.as_ptr().cast(), 100, 0));
        if res < 0 {
            assert!(res == -libc::EPIPE || res == -libc::ECONNRESET, "{res}");
            saw_error += 1;
            break;
        }
        assert_eq!(res, 100, "a send before the reset is whole");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(saw_error > 0, "no send saw the closed peer");
    let (a, b) = socketpair();
    let op = prep::send_zc(a, data.as_ptr().cast(), 10, 0);
    assert_eq!(run(&r, &op), -libc::EOPNOTSUPP, "AF_UNIX");
    let (file, path) = temp_file(&data[..10]);
    let op = prep::send_zc(file, data.as_ptr().cast(), 10, 0);
    assert_eq!(run(&r, &op), -libc::ENOTSOCK);
    let lone = tcp_socket();
    let op = prep::send_zc(lone, data.as_ptr().cast(), 10, 0);
    assert_eq!(run(&r, &op), -libc::EPIPE, "not connected");
    quiet(&r, 20);
    for fd in [a, b, file, lone, client, l] {
        close(fd);
    }
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_zero_copy_sendmsg_completes_once_with_the_sends_result() {
    let r = new_ring(None);
    let (l, addr) = tcp_listener();
    let client = connect_blocking(&addr);
    let server = unsafe { libc::accept(l, std::ptr::null_mut(), std::ptr::null_mut()) };
    assert!(server >= 0);
    let head = b"head:".to_vec();
    let body = pattern(40_000);
    let mut iov = [
        libc::iovec {
            iov_base: head.as_ptr() as *mut _,
            iov_len: head.len(),
        },
        libc::iovec {
            iov_base: body.as_ptr() as *mut _,
            iov_len: body.len(),
        },
    ];
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov.as_mut_ptr();
    msg.msg_iovlen = 2;
    let total = (head.len() + body.len()) as i32;
    assert_eq!(run(&r, &prep::sendmsg_zc(client, &msg, 0)), total);
    quiet(&r, 100);
    let mut got = vec![0u8; total as usize];
    let mut n = 0;
    while n < got.len() {
        let k = unsafe { libc::recv(server, got[n..].as_mut_ptr().cast(), got.len() - n, 0) };
        assert!(k > 0);
        n += k as usize;
    }
    assert_eq!(&got[..5], b"head:");
    assert_eq!(&got[5..], &body[..]);
    // The kernel reads the header: a NULL iovec array with a length is
    // -EFAULT from the send, on both engines; a NULL header at once.
    msg.msg_iov = std::ptr::null_mut();
    assert_eq!(run(&r, &prep::sendmsg_zc(client, &msg, 0)), -libc::EFAULT);
    assert_eq!(
        urb_ring_submit(r.0, &prep::sendmsg_zc(client, std::ptr::null(), 0), 1),
        -libc::EFAULT
    );
    msg.msg_iov = iov.as_mut_ptr();
    let (a, b) = socketpair();
    assert_eq!(run(&r, &prep::sendmsg_zc(a, &msg, 0)), -libc::EOPNOTSUPP);
    assert_eq!(
        urb_submit_blocking(&prep::sendmsg_zc(client, &msg, 0)),
        -libc::EOPNOTSUPP
    );
    quiet(&r, 20);
    for fd in [a, b, server, client, l] {
        close(fd);
    }
}

#[test]
fn every_kind_of_ring_takes_registrations_and_frees_them_with_itself() {
    use uringbridge::ring::config::{URB_RING_FALLBACK, URB_RING_SQPOLL};
    let data = pattern(4096);
    let (file, path) = temp_file(&data);
    let mem = Pages::new(4096);
    // Descriptors open on the file (tests run in parallel: count only ours).
    let on_file = || {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.unwrap().path()).ok())
            .filter(|p| p == &path)
            .count()
    };
    for flags in [0, URB_RING_FALLBACK, URB_RING_SQPOLL] {
        let before = on_file();
        let r = new_ring(Some(urb_ring_config {
            flags,
            sqpoll_idle_ms: 10,
            ..Default::default()
        }));
        assert_eq!(
            register_buffers(&r, &[mem.iovec(0, 4096)]),
            0,
            "flags {flags}"
        );
        assert_eq!(urb_ring_register_files(r.0, [file].as_ptr(), 1), 0);
        // The fallback engine's table holds a duplicate; the kernel's no
        // descriptor at all.
        let emulated = engine() == "fallback" || flags == URB_RING_FALLBACK;
        assert_eq!(on_file(), before + emulated as usize, "flags {flags}");
        let op = fixed(prep::read_fixed(0, mem.at(8), 100, 1000, 0));
        assert_eq!(run(&r, &op), 100, "flags {flags}");
        assert_eq!(mem.bytes(8, 100), &data[1000..1100]);
        // A timeout bounds it as any request; a chain carries it.
        assert_eq!(urb_ring_submit_timeout(r.0, &op, 2, 5_000_000_000), 0);
        let c = wait_one(&r);
        assert_eq!((c.token, c.res), (2, 100), "flags {flags}");
        let chain = [op, prep::nop()];
        assert_eq!(
            urb_ring_submit_chain(r.0, chain.as_ptr(), 2, [3u64, 4].as_ptr()),
            0
        );
        let mut got = [wait_one(&r), wait_one(&r)];
        got.sort_by_key(|c| c.token);
        assert_eq!((got[0].res, got[1].res), (100, 0), "flags {flags}");
        // Freed without unregistering: the table goes with the ring.
        drop(r);
        assert_eq!(on_file(), before, "flags {flags}: descriptors left behind");
    }
    close(file);
    std::fs::remove_file(path).unwrap();
}

const HIDE: &str = "URB_OP_READ_FIXED,URB_OP_WRITE_FIXED,URB_OP_SEND_ZC,URB_OP_SENDMSG_ZC";

/// Run by `kernels_without_them_refuse_with_enosys` in a child process whose
/// probe hides the four operations; does nothing in a normal run.
#[test]
fn hidden_from_the_probe_child() {
    let Some(on_io_uring) = probe_hide::hidden_in_this_child(
        HIDE,
        &[
            URB_OP_READ_FIXED,
            URB_OP_WRITE_FIXED,
            URB_OP_SEND_ZC,
            URB_OP_SENDMSG_ZC,
        ],
        URB_OP_READ,
    ) else {
        return;
    };
    let r = new_ring(None);
    let (fd, path) = temp_file(&pattern(100));
    let mem = Pages::new(4096);
    assert_eq!(register_buffers(&r, &[mem.iovec(0, 4096)]), 0);
    let op = prep::read_fixed(fd, mem.at(0), 16, 0, 0);
    if on_io_uring {
        assert_eq!(urb_ring_submit(r.0, &op, 1), -libc::ENOSYS);
    } else {
        // The fallback engine needs no kernel opcode: the probe does not bind it.
        assert_eq!(run(&r, &op), 16);
    }
    let (a, b) = socketpair();
    let zc = prep::send_zc(a, mem.at(0), 16, 0);
    let res = urb_ring_submit(r.0, &zc, 2);
    if on_io_uring {
        assert_eq!(res, -libc::ENOSYS);
    } else {
        assert_eq!(res, 0);
        assert_eq!(wait_one(&r).res, -libc::EOPNOTSUPP, "AF_UNIX");
    }
    close(a);
    close(b);
    close(fd);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn kernels_without_them_refuse_with_enosys() {
    probe_hide::run_child_with_hidden("hidden_from_the_probe_child", HIDE);
}

#[test]
fn registering_from_the_rings_own_callback_is_edeadlk() {
    use std::sync::atomic::{AtomicI32, Ordering};
    static FROM_CALLBACK: AtomicI32 = AtomicI32::new(1);
    unsafe extern "C" fn on_completion(ctx: *mut libc::c_void, _: u64, _: i32, _: u32) {
        let ring = ctx as *const urb_ring;
        let fds = [0];
        FROM_CALLBACK.store(
            urb_ring_register_files(ring, fds.as_ptr(), 1),
            Ordering::SeqCst,
        );
    }
    let r = new_ring(None);
    assert_eq!(
        urb_ring_set_callback(r.0, Some(on_completion), r.0.cast()),
        0
    );
    assert_eq!(urb_ring_submit(r.0, &prep::nop(), 1), 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while FROM_CALLBACK.load(Ordering::SeqCst) == 1 {
        assert!(Instant::now() < deadline, "no callback");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(FROM_CALLBACK.load(Ordering::SeqCst), -libc::EDEADLK);
    // From any other thread the same call works.
    let fds = [0];
    assert_eq!(urb_ring_register_files(r.0, fds.as_ptr(), 1), 0);
}
