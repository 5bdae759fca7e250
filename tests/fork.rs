//! fork with requests in flight on both faces: the child gets rings of its
//! own, refuses the parent's async ring, and the parent's requests complete
//! with the right data. Also fork + exec from a process using both faces.

mod common;

use common::*;
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::ring::*;
use uringbridge::prep;
use uringbridge::ring::delivery::urb_completion;

fn child_does_its_own_io(parent_ring: *mut urb_ring, report: i32) -> bool {
    // The parent's ring has no owner thread here: refused, not hung.
    if urb_ring_submit(parent_ring, &prep::nop(), 1) != -libc::ECHILD {
        return false;
    }
    let mut ring = std::ptr::null_mut();
    if urb_ring_new(std::ptr::null(), &mut ring) != 0 {
        return false;
    }
    let mut ok = true;
    for t in 0..100 {
        ok &= urb_ring_submit(ring, &prep::nop(), t) == 0;
    }
    let mut out = [urb_completion::default(); 128];
    let mut got = 0;
    while ok && got < 100 {
        let n = urb_ring_wait(ring, out.as_mut_ptr(), 128, 1, 5_000_000_000);
        ok &= n > 0;
        got += n.max(0);
    }
    urb_ring_free(ring);
    ok &= (0..100).all(|_| urb_nop() == 0);
    ok && urb_write(report, b"ok".as_ptr().cast(), 2, 0) == 2
}

#[test]
fn fork_with_requests_in_flight_on_both_faces() {
    engine();
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut ring), 0);
    assert_eq!(urb_nop(), 0); // this thread's blocking ring exists too
    let (rd, wr) = pipe();
    let mut buf = Box::new([0u8; 6]);
    assert_eq!(
        urb_ring_submit(ring, &prep::read(rd, buf.as_mut_ptr().cast(), 6, 0), 7),
        0
    );
    let (report_rd, report_wr) = pipe();

    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let ok = child_does_its_own_io(ring, report_wr);
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    // The parent goes on while the child works.
    for _ in 0..100 {
        assert_eq!(urb_nop(), 0);
    }
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed: {status:#x}"
    );
    let mut report = [0u8; 2];
    assert_eq!(urb_read(report_rd, report.as_mut_ptr().cast(), 2, 0), 2);
    assert_eq!(&report, b"ok");

    // The parent's in-flight read was not disturbed by the child.
    write_all(wr, b"parent");
    let mut out = [urb_completion::default(); 4];
    assert_eq!(
        urb_ring_wait(ring, out.as_mut_ptr(), 4, 1, 5_000_000_000),
        1
    );
    assert_eq!((out[0].token, out[0].res), (7, 6));
    assert_eq!(&*buf, b"parent");
    urb_ring_free(ring);

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
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert_eq!(libc::WEXITSTATUS(status), 0);
    for fd in [rd, wr, report_rd, report_wr] {
        close(fd);
    }
}
