//! Reads tried on the calling thread (`urb_submit_nowait`,
//! `urb_ring_submit_try`): whatever is tried, the result is the one the
//! waiting read gives — whole ranges from files, what is there from pipes.

mod common;

use common::*;
use std::time::{Duration, Instant};
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::ring::*;
use uringbridge::prep;
use uringbridge::ring::delivery::urb_completion;

/// A file on the disk (not tmpfs), so that pages can be dropped from the cache.
fn disk_file(name: &str, len: usize) -> (i32, Vec<u8>, std::path::PathBuf) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("{name}-{}", std::process::id()));
    let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 4096) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    assert!(fd >= 0);
    (fd, data, path)
}

/// Leaves exactly the first `cached` bytes of the file in the page cache: an
/// O_DIRECT write drops the file's cached pages (posix_fadvise DONTNEED
/// does not reliably do so here), and a read without readahead brings back
/// only the range it reads. The kernel may keep a page the direct write
/// could not invalidate (it only warns), so the result is checked with
/// `mincore`, which starts no I/O, and by the kernel's own answer to a
/// non-waiting read of the whole file; the drop is repeated until both hold.
/// On a loaded machine pages past the prefix can still come back between
/// the check and the read under test: the tests that depend on a page
/// staying out say how they tell that apart from a read that waited.
fn cache_only_prefix(fd: i32, path: &std::path::Path, data: &[u8], cached: usize) {
    // Dirty pages are what an invalidation most often fails on.
    assert_eq!(unsafe { libc::fsync(fd) }, 0);
    for _ in 0..50 {
        drop_cache_then_read_prefix(fd, path, data, cached);
        if resident(fd, data.len()) == prefix_pages(data.len(), cached)
            && nowait_preadv2(fd, data.len()) == cached as isize
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("fixture: the kernel kept pages past the first {cached} bytes cached");
}

/// What the kernel answers a non-waiting read of the first `len` bytes.
fn nowait_preadv2(fd: i32, len: usize) -> isize {
    let mut probe = vec![0u8; len];
    let iov = libc::iovec {
        iov_base: probe.as_mut_ptr().cast(),
        iov_len: len,
    };
    unsafe { libc::preadv2(fd, &iov, 1, 0, libc::RWF_NOWAIT) }
}

fn drop_cache_then_read_prefix(fd: i32, path: &std::path::Path, data: &[u8], cached: usize) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    let d = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_WRONLY | libc::O_DIRECT | libc::O_CLOEXEC,
        )
    };
    assert!(d >= 0, "O_DIRECT open");
    let layout = std::alloc::Layout::from_size_align(data.len(), 4096).unwrap();
    let p = unsafe { std::alloc::alloc(layout) };
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
    assert_eq!(
        unsafe { libc::pwrite(d, p.cast(), data.len(), 0) },
        data.len() as isize
    );
    unsafe { std::alloc::dealloc(p, layout) };
    close(d);
    assert_eq!(
        unsafe { libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_RANDOM) },
        0
    );
    let mut head = vec![0u8; cached];
    assert_eq!(
        unsafe { libc::pread(fd, head.as_mut_ptr().cast(), cached, 0) },
        cached as isize
    );
}

/// Which of the file's pages are in the page cache, one flag per page.
fn resident(fd: i32, len: usize) -> Vec<bool> {
    let map = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            fd,
            0,
        )
    };
    assert_ne!(map, libc::MAP_FAILED, "mmap");
    let pages = len.div_ceil(4096);
    let mut vec = vec![0u8; pages];
    assert_eq!(unsafe { libc::mincore(map, len, vec.as_mut_ptr()) }, 0);
    unsafe { libc::munmap(map, len) };
    vec.iter().map(|b| b & 1 == 1).collect()
}

fn prefix_pages(len: usize, cached: usize) -> Vec<bool> {
    (0..len.div_ceil(4096)).map(|i| i * 4096 < cached).collect()
}

fn nowait(op: &uringbridge::urb_op) -> Option<i32> {
    let mut res = i32::MIN;
    match urb_submit_nowait(op, &mut res) {
        1 => Some(res),
        0 => {
            assert_eq!(res, i32::MIN, "untouched when not done");
            None
        }
        e => panic!("urb_submit_nowait: {e}"),
    }
}

#[test]
fn cached_file_reads_finish_on_the_caller_whole() {
    let engine = engine();
    let (fd, data, path) = disk_file("cached", 256 << 10);
    let mut buf = vec![0u8; 64 << 10];
    // Read once through the blocking face so the pages are cached.
    assert_eq!(
        urb_read(fd, buf.as_mut_ptr().cast(), buf.len() as u32, 4096),
        buf.len() as i32
    );
    buf.fill(0);
    let op = prep::read(fd, buf.as_mut_ptr().cast(), buf.len() as u32, 4096);
    // Both engines try reads on the caller (the plain preadv2).
    match nowait(&op) {
        Some(n) => {
            assert_eq!(n, buf.len() as i32, "{engine}");
            assert_eq!(&buf[..], &data[4096..4096 + buf.len()]);
        }
        None => panic!("{engine}: a cached read was not finished on the caller"),
    }
    // Past the end: 0, as pread says.
    assert_eq!(
        nowait(&prep::read(fd, buf.as_mut_ptr().cast(), 16, 1 << 30)),
        Some(0),
        "{engine}"
    );
    // At the file position: never tried (a short part could not be undone).
    let cur = prep::read(
        fd,
        buf.as_mut_ptr().cast(),
        16,
        uringbridge::op::URB_OFFSET_CURRENT,
    );
    assert_eq!(nowait(&cur), None);
    close(fd);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn partly_cached_file_reads_go_to_the_ring_and_come_back_whole() {
    let engine = engine();
    let len = 1 << 20;
    let (fd, data, path) = disk_file("partly", len);
    let mut buf = vec![0u8; len];
    // The kernel answers a non-waiting read here with the cached half.
    cache_only_prefix(fd, &path, &data, len / 2);
    let op = prep::read(fd, buf.as_mut_ptr().cast(), len as u32, 0);
    // The first half is cached, the second is not: never a short count.
    if let Some(n) = nowait(&op) {
        assert_eq!(
            n, len as i32,
            "{engine}: a try returned part of a file range"
        );
    }
    cache_only_prefix(fd, &path, &data, len / 2);
    buf.fill(0);
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut ring), 0);
    let mut res = i32::MIN;
    let rc = urb_ring_submit_try(ring, &op, 9, &mut res);
    let got = match rc {
        1 => res,
        0 => {
            let mut c = [urb_completion::default(); 2];
            assert_eq!(urb_ring_wait(ring, c.as_mut_ptr(), 2, 1, 10_000_000_000), 1);
            assert_eq!(c[0].token, 9);
            c[0].res
        }
        e => panic!("urb_ring_submit_try: {e}"),
    };
    assert_eq!(
        got, len as i32,
        "{engine}: the whole range, as pread gives it"
    );
    assert!(buf == data, "{engine}: the bytes of the whole range");
    urb_ring_free(ring);
    // The blocking face tries reads on the caller too: never a short count.
    cache_only_prefix(fd, &path, &data, len / 2);
    buf.fill(0);
    assert_eq!(
        urb_read(fd, buf.as_mut_ptr().cast(), len as u32, 0),
        len as i32,
        "{engine}: urb_read of a half-cached range"
    );
    assert!(buf == data, "{engine}: urb_read's bytes of the whole range");
    close(fd);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn caller_asked_rwf_nowait_gets_eagain_for_uncached_data() {
    engine();
    let (fd, data, path) = disk_file("nowait", 256 << 10);
    let mut buf = vec![0u8; 4096];
    let mut op = prep::read(fd, buf.as_mut_ptr().cast(), 4096, 64 << 10);
    op.op_flags = libc::RWF_NOWAIT as u32;
    // A page that came back into the cache on its own (a loaded machine)
    // makes 4096 the right answer; the fixture is then set up again. A read
    // that waited would bring the page in every time, so it still fails.
    let mut got = None;
    for _ in 0..20 {
        cache_only_prefix(fd, &path, &data, 4096);
        got = nowait(&op);
        if got != Some(4096) {
            break;
        }
    }
    assert_eq!(got, Some(-libc::EAGAIN));
    close(fd);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn pipe_reads_return_what_is_there() {
    let engine = engine();
    let (rd, wr) = pipe();
    let mut buf = [0u8; 64];
    let op = prep::read(rd, buf.as_mut_ptr().cast(), 64, 0);
    assert_eq!(nowait(&op), None, "an empty pipe would wait");
    write_all(wr, b"abc");
    assert_eq!(
        nowait(&op),
        Some(3),
        "{engine}: a short pipe read is the read's answer"
    );
    assert_eq!(&buf[..3], b"abc");
    close(rd);
    close(wr);
}

#[test]
fn o_direct_reads_are_not_tried_and_still_complete_through_the_ring() {
    let engine = engine();
    let (fd0, data, path) = disk_file("direct", 64 << 10);
    close(fd0);
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECT | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        std::fs::remove_file(path).unwrap();
        return; // a file system without O_DIRECT
    }
    let layout = std::alloc::Layout::from_size_align(8192, 4096).unwrap();
    let p = unsafe { std::alloc::alloc_zeroed(layout) };
    let op = prep::read(fd, p.cast(), 8192, 8192);
    assert_eq!(
        nowait(&op),
        None,
        "{engine}: an O_DIRECT read waits for the device"
    );
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut ring), 0);
    let mut res = i32::MIN;
    assert_eq!(urb_ring_submit_try(ring, &op, 1, &mut res), 0);
    let mut cq = [urb_completion::default(); 1];
    let start = Instant::now();
    assert_eq!(
        urb_ring_wait(ring, cq.as_mut_ptr(), 1, 1, 10_000_000_000),
        1
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(cq[0].res, 8192);
    assert!(unsafe { std::slice::from_raw_parts(p, 8192) } == &data[8192..16384]);
    urb_ring_free(ring);
    unsafe { std::alloc::dealloc(p, layout) };
    close(fd);
    std::fs::remove_file(path).unwrap();
}
