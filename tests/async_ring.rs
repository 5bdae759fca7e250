//! The async face on whichever engine this process runs (`URB_BACKEND`).

mod common;

use common::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uringbridge::ffi::ring::*;
use uringbridge::op::*;
use uringbridge::prep;
use uringbridge::ring::config::urb_ring_config;
use uringbridge::ring::delivery::{
    urb_completion, URB_CQE_BUFFER_SHIFT, URB_CQE_F_BUFFER, URB_CQE_F_MORE,
};
use uringbridge::ring::stats::urb_stats;

struct TestRing(*mut urb_ring);
unsafe impl Send for TestRing {}
unsafe impl Sync for TestRing {}
impl Drop for TestRing {
    fn drop(&mut self) {
        urb_ring_free(self.0);
    }
}

fn config() -> urb_ring_config {
    urb_ring_config::default()
}

fn new_ring(cfg: Option<urb_ring_config>) -> TestRing {
    engine();
    let mut r = std::ptr::null_mut();
    let c = cfg.as_ref().map_or(std::ptr::null(), |c| c as *const _);
    assert_eq!(urb_ring_new(c, &mut r), 0);
    assert!(!r.is_null());
    TestRing(r)
}

fn wait_n(r: &TestRing, n: usize) -> Vec<urb_completion> {
    let mut got = Vec::new();
    let mut buf = vec![urb_completion::default(); 256];
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} completions",
            got.len()
        );
        let k = urb_ring_wait(r.0, buf.as_mut_ptr(), buf.len() as u32, 1, 1_000_000_000);
        assert!(k >= 0, "wait: {k}");
        got.extend_from_slice(&buf[..k as usize]);
    }
    got
}

fn stats(r: &TestRing) -> urb_stats {
    let mut s = urb_stats::default();
    assert_eq!(urb_ring_stats(r.0, &mut s), 0);
    s
}

#[test]
fn nops_complete_with_their_tokens() {
    let r = new_ring(None);
    for t in 0..1000u64 {
        assert_eq!(urb_ring_submit(r.0, &prep::nop(), t), 0);
    }
    let got = wait_n(&r, 1000);
    let mut tokens: Vec<u64> = got.iter().map(|c| c.token).collect();
    tokens.sort();
    assert_eq!(tokens, (0..1000).collect::<Vec<_>>());
    assert!(got.iter().all(|c| c.res == 0 && c.flags == 0));
    let s = stats(&r);
    assert_eq!(s.submitted, 1000);
    assert_eq!(s.completions, 1000);
    assert_eq!(s.in_flight, 0);
}

#[test]
fn reads_and_writes_carry_data() {
    let r = new_ring(None);
    let (rd, wr) = pipe();
    let mut buf = [0u8; 16];
    assert_eq!(
        urb_ring_submit(r.0, &prep::read(rd, buf.as_mut_ptr().cast(), 16, 0), 7),
        0
    );
    let msg = b"hello ring";
    assert_eq!(
        urb_ring_submit(
            r.0,
            &prep::write(wr, msg.as_ptr().cast(), msg.len() as u32, 0),
            8
        ),
        0
    );
    let got = wait_n(&r, 2);
    let by: HashMap<u64, i32> = got.iter().map(|c| (c.token, c.res)).collect();
    assert_eq!(by[&8], msg.len() as i32);
    assert_eq!(by[&7], msg.len() as i32);
    assert_eq!(&buf[..msg.len()], msg);
    close(rd);
    close(wr);
}

#[test]
fn timeouts_fire_and_do_not() {
    let r = new_ring(None);
    let (rd, wr) = pipe();
    let mut buf = [0u8; 4];
    let start = Instant::now();
    assert_eq!(
        urb_ring_submit_timeout(
            r.0,
            &prep::read(rd, buf.as_mut_ptr().cast(), 4, 0),
            1,
            20_000_000
        ),
        0
    );
    let got = wait_n(&r, 1);
    assert_eq!(got[0].res, -libc::ETIME);
    assert!(start.elapsed() >= Duration::from_millis(19));
    write_all(wr, b"abcd");
    assert_eq!(
        urb_ring_submit_timeout(
            r.0,
            &prep::read(rd, buf.as_mut_ptr().cast(), 4, 0),
            2,
            5_000_000_000
        ),
        0
    );
    let got = wait_n(&r, 1);
    assert_eq!((got[0].token, got[0].res), (2, 4));
    close(rd);
    close(wr);
}

#[test]
fn cancel_completes_exactly_once() {
    let r = new_ring(None);
    let (rd, wr) = pipe();
    let mut buf = [0u8; 4];
    assert_eq!(
        urb_ring_submit(r.0, &prep::read(rd, buf.as_mut_ptr().cast(), 4, 0), 42),
        0
    );
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(urb_ring_cancel(r.0, 42), 0);
    let got = wait_n(&r, 1);
    assert_eq!((got[0].token, got[0].res), (42, -libc::ECANCELED));
    let mut more = [urb_completion::default(); 4];
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        urb_ring_reap(r.0, more.as_mut_ptr(), 4),
        0,
        "no second completion"
    );
    // A finished request keeps its real result.
    assert_eq!(urb_ring_submit(r.0, &prep::nop(), 43), 0);
    let got = wait_n(&r, 1);
    assert_eq!(urb_ring_cancel(r.0, 43), 0);
    assert_eq!(got[0].res, 0);
    close(rd);
    close(wr);
}

#[test]
fn chains_cancel_after_a_failure() {
    let r = new_ring(None);
    let mut buf = [0u8; 8];
    let ops = [
        prep::nop(),
        prep::read(999_999, buf.as_mut_ptr().cast(), 8, 0),
        prep::nop(),
    ];
    assert_eq!(
        urb_ring_submit_chain(r.0, ops.as_ptr(), 3, [1u64, 2, 3].as_ptr()),
        0
    );
    let got = wait_n(&r, 3);
    let by: HashMap<u64, i32> = got.iter().map(|c| (c.token, c.res)).collect();
    assert_eq!(by[&1], 0);
    assert_eq!(by[&2], -libc::EBADF);
    assert_eq!(by[&3], -libc::ECANCELED);
}

#[test]
fn eventfd_is_readable_exactly_while_completions_wait() {
    let r = new_ring(None);
    let fd = urb_ring_fd(r.0);
    assert!(fd >= 0);
    let readable = |timeout| {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        unsafe { libc::poll(&mut p, 1, timeout) == 1 }
    };
    assert!(!readable(0));
    let total = 5000;
    let submitter = {
        let r = TestRing(r.0);
        std::thread::spawn(move || {
            for t in 0..total {
                assert_eq!(urb_ring_submit(r.0, &prep::nop(), t), 0);
            }
            std::mem::forget(r);
        })
    };
    // Sleep only on the fd; reap everything each time it is readable.
    let mut seen = 0;
    let mut buf = vec![urb_completion::default(); 64];
    while seen < total {
        assert!(readable(5000), "stranded after {seen}");
        let n = urb_ring_reap(r.0, buf.as_mut_ptr(), 64);
        assert!(n >= 0);
        seen += n as u64;
    }
    submitter.join().unwrap();
    assert!(!readable(50));
}

static CALLBACK_HITS: AtomicU64 = AtomicU64::new(0);
unsafe extern "C" fn count_completion(ctx: *mut libc::c_void, token: u64, res: i32, _flags: u32) {
    assert_eq!(res, 0);
    let sum = &*(ctx as *const AtomicU64);
    sum.fetch_add(token, Ordering::SeqCst);
    CALLBACK_HITS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn callback_sees_every_completion() {
    let r = new_ring(None);
    let sum = Box::new(AtomicU64::new(0));
    assert_eq!(
        urb_ring_set_callback(r.0, Some(count_completion), &*sum as *const _ as *mut _),
        0
    );
    let before = CALLBACK_HITS.load(Ordering::SeqCst);
    for t in 1..=100u64 {
        assert_eq!(urb_ring_submit(r.0, &prep::nop(), t), 0);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while CALLBACK_HITS.load(Ordering::SeqCst) - before < 100 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(sum.load(Ordering::SeqCst), 5050);
    let mut buf = [urb_completion::default(); 4];
    assert_eq!(urb_ring_reap(r.0, buf.as_mut_ptr(), 4), 0);
    drop(r);
}

#[test]
fn submitters_that_exit_at_once_lose_nothing() {
    let r = Arc::new(new_ring(None));
    let mut bufs: Vec<Box<[u8; 8]>> = (0..10_000).map(|_| Box::new([0u8; 8])).collect();
    let file = tempfile_with(b"0123456789abcdef");
    let ptrs: Vec<usize> = bufs.iter_mut().map(|b| b.as_mut_ptr() as usize).collect();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let r = r.clone();
            let ptrs = ptrs.clone();
            std::thread::spawn(move || {
                for i in (t..10_000).step_by(8) {
                    let op = prep::read(file, ptrs[i] as *mut _, 8, (i % 2 * 8) as u64);
                    assert_eq!(urb_ring_submit(r.0, &op, i as u64), 0);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let got = wait_n(&r, 10_000);
    let mut seen = vec![false; 10_000];
    for c in got {
        assert_eq!(c.res, 8, "token {}", c.token);
        assert!(!seen[c.token as usize]);
        seen[c.token as usize] = true;
    }
    for (i, b) in bufs.iter().enumerate() {
        let want: &[u8] = if i % 2 == 0 { b"01234567" } else { b"89abcdef" };
        assert_eq!(&b[..], want);
    }
    close(file);
}

fn tempfile_with(data: &[u8]) -> i32 {
    let path = std::env::temp_dir().join(format!(
        "urb-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, data).unwrap();
    let f = std::fs::File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    std::os::fd::IntoRawFd::into_raw_fd(f)
}

#[test]
fn a_tiny_cq_survives_a_burst() {
    let mut cfg = config();
    cfg.entries = 8;
    cfg.cq_entries = 8;
    let r = new_ring(Some(cfg));
    let total = 100_000u64;
    let mut seen = vec![false; total as usize];
    let mut buf = vec![urb_completion::default(); 512];
    let mut got = 0;
    for t in 0..total {
        assert_eq!(urb_ring_submit(r.0, &prep::nop(), t), 0);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while got < total {
        assert!(Instant::now() < deadline, "only {got}");
        let n = urb_ring_wait(r.0, buf.as_mut_ptr(), 512, 1, 1_000_000_000);
        for c in &buf[..n as usize] {
            assert!(!seen[c.token as usize], "token {} twice", c.token);
            seen[c.token as usize] = true;
            got += 1;
        }
    }
    let s = stats(&r);
    assert_eq!(s.completions, total);
    assert!(
        s.enters < total,
        "batching: {} enters for {total} requests",
        s.enters
    );
}

#[test]
fn multishot_accept_and_poll_deliver_more() {
    let r = new_ring(None);
    let (lfd, addr) = tcp_listener();
    assert_eq!(
        urb_ring_accept_multishot(r.0, lfd, libc::SOCK_CLOEXEC, 5),
        0
    );
    let clients: Vec<i32> = (0..3).map(|_| connect_blocking(&addr)).collect();
    let got = wait_n(&r, 3);
    for c in &got {
        assert_eq!(c.token, 5);
        assert!(c.res >= 0, "accept: {}", c.res);
        assert!(c.flags & URB_CQE_F_MORE != 0);
        close(c.res);
    }
    assert_eq!(urb_ring_cancel(r.0, 5), 0);
    let end = wait_n(&r, 1);
    assert_eq!(end[0].flags & URB_CQE_F_MORE, 0, "the end is visible");
    assert_eq!(end[0].res, -libc::ECANCELED);
    for c in clients {
        close(c);
    }
    close(lfd);

    let (a, b) = socketpair();
    assert_eq!(urb_ring_poll_multishot(r.0, a, libc::POLLIN as u32, 6), 0);
    write_all(b, b"x");
    let first = wait_n(&r, 1);
    assert!(first[0].res & libc::POLLIN as i32 != 0);
    assert!(first[0].flags & URB_CQE_F_MORE != 0);
    assert_eq!(urb_ring_cancel(r.0, 6), 0);
    let rest = wait_n(&r, 1);
    let last = rest.last().unwrap();
    assert_eq!(last.flags & URB_CQE_F_MORE, 0);
    close(a);
    close(b);
}

#[test]
fn multishot_recv_uses_provided_buffers() {
    let mut cfg = config();
    cfg.buf_count = 16;
    cfg.buf_size = 64;
    let r = new_ring(Some(cfg));
    let (a, b) = socketpair();
    assert_eq!(urb_ring_recv_multishot(r.0, a, 0, 9), 0);
    let mut received = Vec::new();
    for i in 0..5u8 {
        write_all(b, &[b'a' + i; 10]);
        let got = wait_n(&r, 1);
        let c = got[0];
        assert_eq!(c.token, 9);
        assert!(c.res > 0, "recv: {}", c.res);
        assert!(c.flags & URB_CQE_F_BUFFER != 0);
        assert!(c.flags & URB_CQE_F_MORE != 0);
        let bid = c.flags >> URB_CQE_BUFFER_SHIFT;
        let mut data = std::ptr::null_mut();
        assert_eq!(urb_ring_buffer(r.0, bid, &mut data), 64);
        received.extend_from_slice(unsafe {
            std::slice::from_raw_parts(data as *const u8, c.res as usize)
        });
        assert_eq!(urb_ring_buffer_release(r.0, bid), 0);
    }
    let want: Vec<u8> = (0..5u8).flat_map(|i| [b'a' + i; 10]).collect();
    assert_eq!(received, want);
    close(b);
    let end = wait_n(&r, 1);
    assert_eq!(
        (end[0].res, end[0].flags & URB_CQE_F_MORE),
        (0, 0),
        "EOF ends it"
    );
    close(a);
    let mut no_bufs = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut no_bufs), 0);
    assert_eq!(urb_ring_recv_multishot(no_bufs, 0, 0, 1), -libc::EINVAL);
    urb_ring_free(no_bufs);
}

#[test]
fn allow_list_refuses_other_operations() {
    let allowed = [URB_OP_NOP];
    let mut cfg = config();
    cfg.allowed_ops = allowed.as_ptr();
    cfg.n_allowed_ops = 1;
    let r = new_ring(Some(cfg));
    assert_eq!(urb_ring_submit(r.0, &prep::nop(), 1), 0);
    let mut buf = [0u8; 4];
    assert_eq!(
        urb_ring_submit(r.0, &prep::read(0, buf.as_mut_ptr().cast(), 4, 0), 2),
        -libc::EACCES
    );
    assert_eq!(wait_n(&r, 1)[0].token, 1);
}

#[test]
fn bad_arguments_are_refused() {
    let mut r = std::ptr::null_mut();
    assert_eq!(
        urb_ring_new(std::ptr::null(), std::ptr::null_mut()),
        -libc::EINVAL
    );
    let mut cfg = config();
    cfg.reserved[0] = 1;
    assert_eq!(urb_ring_new(&cfg, &mut r), -libc::EINVAL);
    assert!(r.is_null());
    cfg = config();
    cfg.buf_count = 3;
    assert_eq!(urb_ring_new(&cfg, &mut r), -libc::EINVAL);
    assert_eq!(
        urb_ring_submit(std::ptr::null(), &prep::nop(), 0),
        -libc::EINVAL
    );
    let ring = new_ring(None);
    assert_eq!(urb_ring_submit(ring.0, std::ptr::null(), 0), -libc::EINVAL);
    let mut bad = prep::nop();
    bad.opcode = 200;
    assert_eq!(urb_ring_submit(ring.0, &bad, 0), -libc::EINVAL);
    assert_eq!(
        urb_ring_reap(ring.0, std::ptr::null_mut(), 4),
        -libc::EINVAL
    );
    assert_eq!(
        urb_ring_submit_chain(ring.0, std::ptr::null(), 1, std::ptr::null()),
        -libc::EINVAL
    );
    assert_eq!(urb_ring_stats(ring.0, std::ptr::null_mut()), -libc::EINVAL);
    urb_ring_free(std::ptr::null_mut());
}

/// Completions one at a time, keeping any that arrive together.
struct Reaper<'a> {
    ring: &'a TestRing,
    label: &'static str,
    pending: std::collections::VecDeque<urb_completion>,
}

impl Reaper<'_> {
    fn next(&mut self) -> urb_completion {
        if self.pending.is_empty() {
            let label = self.label;
            self.pending.extend(
                wait_n(self.ring, 1)
                    .into_iter()
                    .inspect(|c| assert!(c.token != 0, "{label}")),
            );
        }
        self.pending.pop_front().unwrap()
    }

    fn by_token(&mut self, n: usize) -> HashMap<u64, i32> {
        (0..n)
            .map(|_| self.next())
            .map(|c| (c.token, c.res))
            .collect()
    }

    fn nothing_more(&mut self) {
        std::thread::sleep(Duration::from_millis(30));
        let mut buf = [urb_completion::default(); 8];
        let n = urb_ring_reap(self.ring.0, buf.as_mut_ptr(), 8);
        assert!(
            self.pending.is_empty() && n == 0,
            "{}: unexpected {:?}",
            self.label,
            &buf[..n.max(0) as usize]
        );
    }
}

fn op_with(code: u8, fd: i32, buf: *mut libc::c_void, len: u32, op_flags: u32) -> urb_op {
    let mut op = urb_op::zeroed();
    op.opcode = code;
    op.fd = fd;
    op.buf = buf;
    op.len = len;
    op.op_flags = op_flags;
    op
}

fn sleep_op(ns: u64) -> urb_op {
    let mut op = urb_op::zeroed();
    op.opcode = URB_OP_TIMEOUT;
    op.offset = ns;
    op
}

/// The async contract, checked the same way on whichever owner `r` has.
fn exercise(r: &TestRing, label: &'static str) {
    let mut c = Reaper {
        ring: r,
        label,
        pending: Default::default(),
    };
    let (rd, wr) = pipe();
    let mut buf = [0u8; 16];
    let bufp = buf.as_mut_ptr().cast();

    // Timeouts on a pipe read, on a sleep, on an accept; a file read on time.
    let start = Instant::now();
    assert_eq!(
        urb_ring_submit_timeout(r.0, &prep::read(rd, bufp, 16, 0), 1, 20_000_000),
        0
    );
    assert_eq!(c.next().res, -libc::ETIME, "{label}");
    assert!(start.elapsed() >= Duration::from_millis(19), "{label}");
    let start = Instant::now();
    assert_eq!(urb_ring_submit(r.0, &sleep_op(30_000_000), 2), 0);
    let got = c.next();
    assert_eq!(
        (got.token, got.res),
        (2, 0),
        "{label}: a sleep that ran its course is 0"
    );
    assert!(start.elapsed() >= Duration::from_millis(29), "{label}");
    assert_eq!(
        urb_ring_submit_timeout(r.0, &sleep_op(10_000_000_000), 3, 20_000_000),
        0
    );
    assert_eq!(
        c.next().res,
        -libc::ETIME,
        "{label}: a sleep cut short by its timeout"
    );
    let (lfd, addr) = tcp_listener();
    assert_eq!(
        urb_ring_submit_timeout(
            r.0,
            &op_with(URB_OP_ACCEPT, lfd, std::ptr::null_mut(), 0, 0),
            4,
            20_000_000
        ),
        0
    );
    assert_eq!(c.next().res, -libc::ETIME, "{label}");
    let file = tempfile_with(b"file data");
    assert_eq!(
        urb_ring_submit_timeout(r.0, &prep::read(file, bufp, 9, 0), 5, 5_000_000_000),
        0
    );
    assert_eq!(c.next().res, 9, "{label}");
    assert_eq!(&buf[..9], b"file data");
    close(file);

    // Cancel: a parked receive ends once with -ECANCELED.
    let (a, b) = socketpair();
    assert_eq!(
        urb_ring_submit(r.0, &op_with(URB_OP_RECV, a, bufp, 16, 0), 6),
        0
    );
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(urb_ring_cancel(r.0, 6), 0);
    assert_eq!(c.next().res, -libc::ECANCELED, "{label}");
    c.nothing_more();

    // MSG_WAITALL gathers two separate writes.
    assert_eq!(
        urb_ring_submit(
            r.0,
            &op_with(URB_OP_RECV, a, bufp, 8, libc::MSG_WAITALL as u32),
            7
        ),
        0
    );
    write_all(b, b"1234");
    std::thread::sleep(Duration::from_millis(10));
    write_all(b, b"5678");
    assert_eq!(c.next().res, 8, "{label}");
    assert_eq!(&buf[..8], b"12345678");

    // Chains: write then read, in order; a sleep holds the next request;
    // cancelling the head cancels the rest.
    let msg = b"chained";
    let mut back = [0u8; 7];
    let ops = [
        prep::write(wr, msg.as_ptr() as *mut _, 7, 0),
        prep::read(rd, back.as_mut_ptr().cast(), 7, 0),
    ];
    assert_eq!(
        urb_ring_submit_chain(r.0, ops.as_ptr(), 2, [10u64, 11].as_ptr()),
        0
    );
    let got = c.by_token(2);
    assert_eq!((got[&10], got[&11]), (7, 7), "{label}");
    assert_eq!(&back, msg);
    let start = Instant::now();
    let ops = [sleep_op(20_000_000), prep::nop()];
    assert_eq!(
        urb_ring_submit_chain(r.0, ops.as_ptr(), 2, [12u64, 13].as_ptr()),
        0
    );
    let got = c.by_token(2);
    assert_eq!((got[&12], got[&13]), (0, 0), "{label}");
    assert!(start.elapsed() >= Duration::from_millis(19), "{label}");
    let ops = [prep::read(rd, bufp, 4, 0), prep::nop(), prep::nop()];
    assert_eq!(
        urb_ring_submit_chain(r.0, ops.as_ptr(), 3, [14u64, 15, 16].as_ptr()),
        0
    );
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(urb_ring_cancel(r.0, 14), 0);
    let got = c.by_token(3);
    assert!(
        got.values().all(|&res| res == -libc::ECANCELED),
        "{label}: {got:?}"
    );

    // Connect on a non-blocking socket completes when the handshake does.
    let s = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    let mut connect = op_with(
        URB_OP_CONNECT,
        s,
        &addr as *const _ as *mut _,
        std::mem::size_of_val(&addr) as u32,
        0,
    );
    assert_eq!(urb_ring_submit(r.0, &connect, 17), 0);
    assert_eq!(c.next().res, 0, "{label}");
    close(s);
    connect.fd = tcp_socket();
    assert_eq!(urb_ring_submit(r.0, &connect, 18), 0);
    assert_eq!(c.next().res, 0, "{label}: blocking socket");
    close(connect.fd);

    // A connect that hangs (its listener's backlog is full) times out or is
    // cancelled, even on a blocking socket, which stays blocking.
    let (full, full_addr) = tcp_listener();
    assert_eq!(unsafe { libc::listen(full, 0) }, 0);
    let first = connect_blocking(&full_addr);
    connect.buf = &full_addr as *const _ as *mut _;
    connect.fd = tcp_socket();
    assert_eq!(urb_ring_submit_timeout(r.0, &connect, 19, 30_000_000), 0);
    assert_eq!(c.next().res, -libc::ETIME, "{label}");
    assert_eq!(
        unsafe { libc::fcntl(connect.fd, libc::F_GETFL) } & libc::O_NONBLOCK,
        0,
        "{label}"
    );
    close(connect.fd);
    connect.fd = tcp_socket();
    assert_eq!(urb_ring_submit(r.0, &connect, 19), 0);
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(urb_ring_cancel(r.0, 19), 0);
    assert_eq!(c.next().res, -libc::ECANCELED, "{label}");
    for fd in [connect.fd, first, full] {
        close(fd);
    }

    // Multishot accept: the two connections made above, waiting in the
    // backlog, then one that arrives later; then the end.
    assert_eq!(
        urb_ring_accept_multishot(r.0, lfd, libc::SOCK_CLOEXEC, 20),
        0
    );
    for i in 0..3 {
        if i == 2 {
            std::thread::sleep(Duration::from_millis(10));
            close(connect_blocking(&addr));
        }
        let got = c.next();
        assert!(
            got.token == 20 && got.res >= 0 && got.flags & URB_CQE_F_MORE != 0,
            "{label}: {got:?}"
        );
        close(got.res);
    }
    assert_eq!(urb_ring_cancel(r.0, 20), 0);
    let end = c.next();
    assert_eq!(
        (end.token, end.res, end.flags & URB_CQE_F_MORE),
        (20, -libc::ECANCELED, 0),
        "{label}"
    );
    close(lfd);

    // Multishot poll reports each new readiness once, not once per loop.
    assert_eq!(urb_ring_poll_multishot(r.0, rd, libc::POLLIN as u32, 21), 0);
    write_all(wr, b"x");
    let first = c.next();
    assert!(
        first.res & libc::POLLIN as i32 != 0 && first.flags & URB_CQE_F_MORE != 0,
        "{label}: {first:?}"
    );
    c.nothing_more();
    write_all(wr, b"y");
    let second = c.next();
    assert!(
        second.res & libc::POLLIN as i32 != 0 && second.flags & URB_CQE_F_MORE != 0,
        "{label}: {second:?}"
    );
    c.nothing_more();
    assert_eq!(urb_ring_cancel(r.0, 21), 0);
    let end = c.next();
    assert_eq!((end.token, end.flags & URB_CQE_F_MORE), (21, 0), "{label}");

    // Multishot receive with two buffers, neither given back: -ENOBUFS ends it.
    assert_eq!(urb_ring_recv_multishot(r.0, a, 0, 22), 0);
    for i in 0..2u8 {
        write_all(b, &[b'0' + i; 10]);
        let got = c.next();
        assert_eq!((got.token, got.res), (22, 10), "{label}");
        assert!(
            got.flags & URB_CQE_F_MORE != 0 && got.flags & URB_CQE_F_BUFFER != 0,
            "{label}"
        );
    }
    write_all(b, b"third");
    let end = c.next();
    assert_eq!(
        (end.token, end.res, end.flags & URB_CQE_F_MORE),
        (22, -libc::ENOBUFS, 0),
        "{label}"
    );
    for bid in 0..2 {
        assert_eq!(urb_ring_buffer_release(r.0, bid), 0);
    }

    c.nothing_more();
    let s = stats(r);
    assert_eq!(s.in_flight, 0, "{label}");
    assert_eq!(
        s.completions,
        s.submitted + 3 + 2 + 2,
        "{label}: every shot of a multishot request counts"
    );
    for fd in [a, b, rd, wr] {
        close(fd);
    }
}

#[test]
fn both_owners_in_one_process() {
    use uringbridge::ring::config::{URB_RING_FALLBACK, URB_RING_SQPOLL};
    let mut default = config();
    default.buf_count = 2;
    let mut forced = default;
    forced.flags = URB_RING_FALLBACK;
    let mut sqpoll = default;
    sqpoll.flags = URB_RING_SQPOLL;
    sqpoll.sqpoll_idle_ms = 1; // the SQ thread sleeps between the test's steps
    let rings = [
        (new_ring(Some(default)), "default ring"),
        (new_ring(Some(forced)), "URB_RING_FALLBACK ring"),
        (new_ring(Some(sqpoll)), "URB_RING_SQPOLL ring"),
    ];
    std::thread::scope(|s| {
        for (r, label) in &rings {
            s.spawn(move || exercise(r, label));
        }
    });
}

unsafe extern "C" fn record_completion(ctx: *mut libc::c_void, token: u64, res: i32, flags: u32) {
    let seen = &*(ctx as *const std::sync::Mutex<Vec<urb_completion>>);
    seen.lock()
        .unwrap()
        .push(urb_completion { token, res, flags });
}

/// `urb_ring_free` with every kind of request in flight: each gets its one
/// final completion through the callback before the call returns, and a
/// request that was already running (an open of a FIFO blocked on a
/// worker, or in the kernel) is waited for.
fn free_with_everything_in_flight(flags: u32, label: &str) {
    let mut cfg = config();
    cfg.flags = flags;
    cfg.buf_count = 4;
    let r = new_ring(Some(cfg));
    let seen = Box::new(std::sync::Mutex::new(Vec::<urb_completion>::new()));
    let ctx = &*seen as *const _ as *mut libc::c_void;
    assert_eq!(urb_ring_set_callback(r.0, Some(record_completion), ctx), 0);
    let (rd, wr) = pipe();
    let (a, b) = socketpair();
    let (lfd, _) = tcp_listener();
    let fifo = std::env::temp_dir().join(format!("urb-fifo-{}-{flags}", std::process::id()));
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    let mut buf = Box::new([0u8; 64]);
    let bufp = buf.as_mut_ptr().cast();
    assert_eq!(urb_ring_submit(r.0, &prep::read(rd, bufp, 8, 0), 1), 0);
    assert_eq!(urb_ring_submit(r.0, &sleep_op(60_000_000_000), 2), 0);
    assert_eq!(urb_ring_poll_multishot(r.0, a, libc::POLLIN as u32, 3), 0);
    assert_eq!(urb_ring_recv_multishot(r.0, a, 0, 4), 0);
    assert_eq!(urb_ring_accept_multishot(r.0, lfd, 0, 5), 0);
    let ops = [prep::read(rd, bufp, 8, 0), prep::nop()];
    assert_eq!(
        urb_ring_submit_chain(r.0, ops.as_ptr(), 2, [6u64, 7].as_ptr()),
        0
    );
    let mut open = op_with(
        URB_OP_OPENAT,
        libc::AT_FDCWD,
        path.as_ptr() as *mut _,
        0,
        (libc::O_RDONLY | libc::O_CLOEXEC) as u32,
    );
    open.mode = 0;
    assert_eq!(urb_ring_submit(r.0, &open, 8), 0);
    std::thread::sleep(Duration::from_millis(20));
    let writer_path = path.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        // Unblocks the open if it is still waiting for a writer.
        let fd = unsafe {
            libc::open(
                writer_path.as_ptr(),
                libc::O_WRONLY | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        std::thread::sleep(Duration::from_millis(50));
        if fd >= 0 {
            close(fd);
        }
    });
    drop(r);
    let got = seen.lock().unwrap().clone();
    writer.join().unwrap();
    let mut tokens: Vec<u64> = got.iter().map(|c| c.token).collect();
    tokens.sort();
    assert_eq!(
        tokens,
        (1..=8).collect::<Vec<_>>(),
        "{label}: one final completion each: {got:?}"
    );
    for c in &got {
        assert_eq!(c.flags & URB_CQE_F_MORE, 0, "{label}: {c:?}");
        if c.token == 8 {
            if c.res >= 0 {
                close(c.res);
            }
        } else {
            assert_eq!(c.res, -libc::ECANCELED, "{label}: {c:?}");
        }
    }
    drop(buf);
    std::fs::remove_file(&fifo).unwrap();
    for fd in [rd, wr, a, b, lfd] {
        close(fd);
    }
}

#[test]
fn freeing_ends_every_request_first() {
    use uringbridge::ring::config::{URB_RING_FALLBACK, URB_RING_SQPOLL};
    free_with_everything_in_flight(0, "default ring");
    free_with_everything_in_flight(URB_RING_FALLBACK, "URB_RING_FALLBACK ring");
    free_with_everything_in_flight(URB_RING_SQPOLL, "URB_RING_SQPOLL ring");
}

/// Receives, timeouts, cancels and arriving data racing each other from
/// several threads: every request completes exactly once, nothing is left.
fn race_everything(flags: u32, label: &str) {
    let mut cfg = config();
    cfg.flags = flags;
    let r = Arc::new(new_ring(Some(cfg)));
    let pairs: Vec<(i32, i32)> = (0..4).map(|_| socketpair()).collect();
    let per_thread = 500u64;
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let r = r.clone();
            let (a, b) = pairs[t as usize];
            std::thread::spawn(move || {
                let mut bufs = vec![[0u8; 4]; per_thread as usize];
                for i in 0..per_thread {
                    let token = t * per_thread + i + 1;
                    let op = op_with(URB_OP_RECV, a, bufs[i as usize].as_mut_ptr().cast(), 4, 0);
                    let res = match i % 4 {
                        0 => urb_ring_submit_timeout(r.0, &op, token, 100_000),
                        1 => urb_ring_submit(r.0, &sleep_op(50_000), token),
                        _ => urb_ring_submit(r.0, &op, token),
                    };
                    assert_eq!(res, 0);
                    match i % 3 {
                        0 => assert_eq!(urb_ring_cancel(r.0, token), 0),
                        1 => write_all(b, b"data"),
                        _ => {}
                    }
                }
                // Whatever still waits for data gets it or is cancelled.
                std::thread::sleep(Duration::from_millis(20));
                for i in 0..per_thread {
                    assert_eq!(urb_ring_cancel(r.0, t * per_thread + i + 1), 0);
                }
                bufs
            })
        })
        .collect();
    let total = (4 * per_thread) as usize;
    let got = wait_n(&r, total);
    let bufs: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let mut seen = vec![0; total + 1];
    for c in &got {
        seen[c.token as usize] += 1;
        assert!(
            c.res >= 0 || [-libc::ETIME, -libc::ECANCELED].contains(&c.res),
            "{label}: {c:?}"
        );
    }
    assert!(
        seen[1..].iter().all(|&n| n == 1),
        "{label}: some token not exactly once"
    );
    let mut none = [urb_completion::default(); 4];
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        urb_ring_reap(r.0, none.as_mut_ptr(), 4),
        0,
        "{label}: {:?}",
        none
    );
    assert_eq!(stats(&r).in_flight, 0, "{label}");
    drop(bufs);
    for (a, b) in pairs {
        close(a);
        close(b);
    }
}

#[test]
fn racing_data_timeouts_and_cancels_lose_nothing() {
    use uringbridge::ring::config::URB_RING_FALLBACK;
    race_everything(0, "default ring");
    race_everything(URB_RING_FALLBACK, "URB_RING_FALLBACK ring");
}

static SEEN: std::sync::Mutex<Vec<urb_completion>> = std::sync::Mutex::new(Vec::new());
const SLOW: u64 = u64::MAX;

/// Holds the owner thread in its callback for a moment on the SLOW token, so
/// that what is submitted meanwhile reaches it in one take.
unsafe extern "C" fn record_slowly(_: *mut libc::c_void, token: u64, res: i32, flags: u32) {
    if token == SLOW {
        std::thread::sleep(Duration::from_millis(20));
    }
    SEEN.lock()
        .unwrap()
        .push(urb_completion { token, res, flags });
}

#[test]
fn chains_longer_than_the_free_sq_space_stay_whole() {
    // 8-entry SQ: 5 loose requests and a 6-long chain taken together cannot
    // share the SQ; the chain must still reach the kernel in one piece.
    let mut cfg = config();
    cfg.entries = 8;
    let r = new_ring(Some(cfg));
    assert_eq!(
        urb_ring_set_callback(r.0, Some(record_slowly), std::ptr::null_mut()),
        0
    );
    for round in 0..20u64 {
        SEEN.lock().unwrap().clear();
        assert_eq!(urb_ring_submit(r.0, &prep::nop(), SLOW), 0);
        std::thread::sleep(Duration::from_millis(5)); // the owner is in the callback now
        let base = round * 100;
        let loose: Vec<urb_op> = (0..5).map(|_| prep::nop()).collect();
        let loose_tokens: Vec<u64> = (0..5).map(|i| base + 50 + i).collect();
        assert_eq!(
            urb_ring_submit_batch(r.0, loose.as_ptr(), 5, loose_tokens.as_ptr()),
            0
        );
        let mut chain: Vec<urb_op> = (0..6).map(|_| prep::nop()).collect();
        chain[0] = prep::read(60_000, std::ptr::null_mut(), 0, 0); // fails: the rest is cancelled
        let tokens: Vec<u64> = (0..6).map(|i| base + i).collect();
        assert_eq!(
            urb_ring_submit_chain(r.0, chain.as_ptr(), 6, tokens.as_ptr()),
            0
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while SEEN.lock().unwrap().len() < 12 {
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(1));
        }
        let by: HashMap<u64, i32> = SEEN
            .lock()
            .unwrap()
            .iter()
            .map(|c| (c.token, c.res))
            .collect();
        assert_eq!(by.len(), 12);
        assert_eq!(by[&base], -libc::EBADF);
        for i in 1..6 {
            assert_eq!(by[&(base + i)], -libc::ECANCELED, "round {round} link {i}");
        }
    }
}

#[test]
fn restricted_rings_still_run_timeouts_cancels_and_chains() {
    // The kernel enforces the allow-list too (IORING_REGISTER_RESTRICTIONS):
    // what the library issues on its own behalf must stay allowed.
    let allowed = [URB_OP_NOP, URB_OP_READ];
    let mut cfg = config();
    cfg.allowed_ops = allowed.as_ptr();
    cfg.n_allowed_ops = 2;
    let r = new_ring(Some(cfg));
    let (rd, wr) = pipe();
    let mut buf = [0u8; 4];
    let read = prep::read(rd, buf.as_mut_ptr().cast(), 4, 0);
    assert_eq!(urb_ring_submit_timeout(r.0, &read, 1, 5_000_000), 0);
    assert_eq!(wait_n(&r, 1)[0].res, -libc::ETIME);
    assert_eq!(urb_ring_submit(r.0, &read, 2), 0);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(urb_ring_cancel(r.0, 2), 0);
    assert_eq!(wait_n(&r, 1)[0].res, -libc::ECANCELED);
    let chain = [prep::nop(), prep::nop(), prep::nop()];
    assert_eq!(
        urb_ring_submit_chain(r.0, chain.as_ptr(), 3, [3u64, 4, 5].as_ptr()),
        0
    );
    assert!(wait_n(&r, 3).iter().all(|c| c.res == 0));
    write_all(wr, b"data");
    assert_eq!(urb_ring_submit(r.0, &read, 6), 0);
    assert_eq!(wait_n(&r, 1)[0].res, 4);
    assert_eq!(urb_ring_submit(r.0, &prep::fsync(rd, 0), 7), -libc::EACCES);
    close(rd);
    close(wr);
}

#[test]
fn many_file_reads_at_distinct_offsets_carry_the_right_records() {
    // 20,000 reads of 8-byte records at 512 offsets, all in flight at once.
    let r = new_ring(None);
    let records: Vec<u8> = (0..512)
        .flat_map(|i| format!("{i:08}").into_bytes())
        .collect();
    let file = tempfile_with(&records);
    const N: usize = 20_000;
    let mut bufs = vec![[0u8; 8]; N];
    let ops: Vec<urb_op> = (0..N)
        .map(|i| prep::read(file, bufs[i].as_mut_ptr().cast(), 8, (8 * (i % 512)) as u64))
        .collect();
    let tokens: Vec<u64> = (0..N as u64).collect();
    for chunk in 0..N / 1000 {
        let at = chunk * 1000;
        assert_eq!(
            urb_ring_submit_batch(r.0, ops[at..].as_ptr(), 1000, tokens[at..].as_ptr()),
            0
        );
    }
    let got = wait_n(&r, N);
    for c in got {
        assert_eq!(c.res, 8, "token {}", c.token);
    }
    for (i, b) in bufs.iter().enumerate() {
        assert_eq!(&b[..], format!("{:08}", i % 512).as_bytes(), "read {i}");
    }
    close(file);
}

#[test]
fn submit_try_finishes_on_the_spot_or_hands_over() {
    let r = new_ring(None);
    let mut res = -1;
    // A NOP never waits: done here, and no completion follows.
    assert_eq!(urb_ring_submit_try(r.0, &prep::nop(), 1, &mut res), 1);
    assert_eq!(res, 0);
    // A receive with data waiting finishes here with the data.
    let (a, b) = socketpair();
    write_all(b, b"hello");
    let mut buf = [0u8; 16];
    let recv = prep::recv(a, buf.as_mut_ptr().cast(), buf.len() as u32, 0);
    res = -1;
    assert_eq!(urb_ring_submit_try(r.0, &recv, 2, &mut res), 1);
    assert_eq!(res, 5);
    assert_eq!(&buf[..5], b"hello");
    // One with nothing to receive is handed over; its completion comes once
    // data arrives, and carries the data.
    res = -1;
    assert_eq!(urb_ring_submit_try(r.0, &recv, 3, &mut res), 0);
    assert_eq!(res, -1, "res is untouched when handed over");
    std::thread::sleep(Duration::from_millis(20));
    write_all(b, b"later");
    let got = wait_n(&r, 1);
    assert_eq!(
        got,
        vec![urb_completion {
            token: 3,
            res: 5,
            flags: 0
        }]
    );
    assert_eq!(&buf[..5], b"later");
    // Nothing else was queued: the tries left no completion behind.
    let mut more = [urb_completion::default(); 4];
    assert_eq!(urb_ring_reap(r.0, more.as_mut_ptr(), 4), 0);
    // Refused requests: -errno, res untouched, no completion.
    let mut bad = prep::nop();
    bad.flags = 1;
    res = -1;
    assert_eq!(urb_ring_submit_try(r.0, &bad, 4, &mut res), -libc::EINVAL);
    assert_eq!(res, -1);
    assert_eq!(
        urb_ring_submit_try(r.0, &prep::nop(), 5, std::ptr::null_mut()),
        -libc::EINVAL
    );
    assert_eq!(
        urb_ring_submit_try(std::ptr::null(), &prep::nop(), 5, &mut res),
        -libc::EINVAL
    );
    assert_eq!(urb_ring_reap(r.0, more.as_mut_ptr(), 4), 0);
    close(a);
    close(b);
}

/// An SQPOLL ring whose kernel thread has gone idle between requests: each
/// request must still be seen (the owner wakes the SQ thread), one at a
/// time and in bursts, and freeing the ring must not hang.
#[test]
fn sqpoll_rings_serve_requests_after_the_sq_thread_slept() {
    use uringbridge::ring::config::URB_RING_SQPOLL;
    let mut cfg = config();
    cfg.flags = URB_RING_SQPOLL;
    cfg.sqpoll_idle_ms = 1;
    let r = new_ring(Some(cfg));
    for round in 0..20u64 {
        std::thread::sleep(Duration::from_millis(3)); // longer than the idle time
        assert_eq!(urb_ring_submit(r.0, &prep::nop(), round), 0);
        let got = wait_n(&r, 1);
        assert_eq!(
            got,
            vec![urb_completion {
                token: round,
                res: 0,
                flags: 0
            }]
        );
    }
    let ops = vec![prep::nop(); 64];
    let tokens: Vec<u64> = (100..164).collect();
    assert_eq!(
        urb_ring_submit_batch(r.0, ops.as_ptr(), ops.len(), tokens.as_ptr()),
        0
    );
    assert_eq!(wait_n(&r, 64).len(), 64);
    // A request in flight when the ring is freed is cancelled, not waited for.
    let (rd, wr) = pipe();
    let mut buf = [0u8; 8];
    assert_eq!(
        urb_ring_submit(r.0, &prep::read(rd, buf.as_mut_ptr().cast(), 8, 0), 200),
        0
    );
    std::thread::sleep(Duration::from_millis(5));
    let start = Instant::now();
    drop(r);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "freeing an SQPOLL ring took {:?}",
        start.elapsed()
    );
    close(rd);
    close(wr);
}

/// A ring asked for one SQ entry still runs a request with a timeout (two
/// SQEs that must be submitted together): found by fuzz/ring_calls.
#[test]
fn a_one_entry_ring_runs_timed_requests() {
    let mut cfg = config();
    cfg.entries = 1;
    let r = new_ring(Some(cfg));
    let (rd, wr) = pipe();
    let mut buf = [0u8; 8];
    assert_eq!(
        urb_ring_submit_timeout(
            r.0,
            &prep::read(rd, buf.as_mut_ptr().cast(), 8, 0),
            7,
            5_000_000
        ),
        0
    );
    assert_eq!(
        wait_n(&r, 1),
        vec![urb_completion {
            token: 7,
            res: -libc::ETIME,
            flags: 0
        }]
    );
    close(rd);
    close(wr);
}

/// The reason the owner thread exists: a request that must wait (a pipe
/// read with nothing to read yet) submitted by a thread that exits at once
/// still completes with its data once the data comes, never -ECANCELED.
/// (Requests that finish on the submitter are done before it exits.)
#[test]
fn waiting_requests_outlive_the_threads_that_submitted_them() {
    let r = Arc::new(new_ring(None));
    let pipes: Vec<(i32, i32)> = (0..400).map(|_| pipe()).collect();
    let mut bufs: Vec<Box<[u8; 8]>> = (0..400).map(|_| Box::new([0u8; 8])).collect();
    let ptrs: Vec<usize> = bufs.iter_mut().map(|b| b.as_mut_ptr() as usize).collect();
    let rds: Vec<i32> = pipes.iter().map(|p| p.0).collect();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (r, ptrs, rds) = (r.clone(), ptrs.clone(), rds.clone());
            std::thread::spawn(move || {
                for i in (t..400).step_by(8) {
                    let op = prep::read(rds[i], ptrs[i] as *mut _, 8, 0);
                    let mut res = i32::MIN;
                    // Tried first: an empty pipe is handed to the ring.
                    assert_eq!(urb_ring_submit_try(r.0, &op, i as u64, &mut res), 0);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap(); // every submitter is gone
    }
    std::thread::sleep(Duration::from_millis(20));
    for (i, p) in pipes.iter().enumerate() {
        write_all(p.1, format!("{i:08}").as_bytes());
    }
    let got = wait_n(&r, 400);
    for c in got {
        assert_eq!(c.res, 8, "token {}: {}", c.token, c.res);
    }
    for (i, b) in bufs.iter().enumerate() {
        assert_eq!(&b[..], format!("{i:08}").as_bytes());
    }
    for (a, b) in pipes {
        close(a);
        close(b);
    }
}

#[test]
fn mixed_batches_finish_each_request_once_with_its_result() {
    // A batch of NOPs, cached reads (finished on the submitting thread),
    // a read running past the end of the file (a short count: handed to
    // the ring, which gives the same count), reads at the current offset
    // and polls (the ring's), in one call; then one with a bad request at
    // its end, of which nothing may run.
    let r = new_ring(None);
    let data: Vec<u8> = (0..64 * 16).map(|i| (i % 251) as u8).collect();
    let file = tempfile_with(&data);
    // SAFETY: plain syscalls on descriptors this test owns.
    let efd = unsafe { libc::eventfd(1, libc::EFD_CLOEXEC) };
    assert!(efd >= 0);
    let mut bufs = vec![[0u8; 16]; 48];
    let mut ops = Vec::new();
    let mut want = Vec::new();
    for (i, buf) in bufs.iter_mut().enumerate() {
        let (op, res) = match i % 6 {
            0 | 3 => (prep::nop(), 0),
            1 | 4 => (
                prep::read(file, buf.as_mut_ptr().cast(), 16, (16 * i) as u64),
                16,
            ),
            2 => (
                prep::read(file, buf.as_mut_ptr().cast(), 16, (data.len() - 4) as u64),
                4,
            ),
            _ => (prep::poll(efd, libc::POLLIN as u32), libc::POLLIN as i32),
        };
        ops.push(op);
        want.push(res);
    }
    let tokens: Vec<u64> = (1000..1000 + ops.len() as u64).collect();
    let before = stats(&r);
    assert_eq!(
        urb_ring_submit_batch(r.0, ops.as_ptr(), ops.len(), tokens.as_ptr()),
        0
    );
    let got = wait_n(&r, ops.len());
    assert_eq!(got.len(), ops.len());
    let mut seen = HashMap::new();
    for c in &got {
        assert!(
            seen.insert(c.token, c.res).is_none(),
            "token {} twice",
            c.token
        );
    }
    for (i, &res) in want.iter().enumerate() {
        assert_eq!(seen.get(&tokens[i]), Some(&res), "request {i}");
        if i % 6 == 1 || i % 6 == 4 {
            assert_eq!(&bufs[i][..], &data[16 * i..16 * i + 16], "read {i}");
        } else if i % 6 == 2 {
            assert_eq!(&bufs[i][..4], &data[data.len() - 4..], "short read {i}");
        }
    }
    let after = stats(&r);
    assert_eq!(after.submitted - before.submitted, ops.len() as u64);
    assert_eq!(after.completions - before.completions, ops.len() as u64);

    // A refused batch runs nothing, not even what came before the bad
    // request: a read staged first must never reach the kernel, also not
    // with the next batch's submission.
    let mut untouched = [0u8; 16];
    let mut bad = ops.clone();
    bad[0] = prep::read(file, untouched.as_mut_ptr().cast(), 16, 0);
    bad.last_mut().unwrap().reserved1 = 1;
    assert_eq!(
        urb_ring_submit_batch(r.0, bad.as_ptr(), bad.len(), tokens.as_ptr()),
        -libc::EINVAL
    );
    let mut out = [urb_completion::default(); 8];
    assert_eq!(urb_ring_wait(r.0, out.as_mut_ptr(), 8, 1, 50_000_000), 0);
    assert_eq!(
        stats(&r).submitted,
        after.submitted,
        "a refused batch runs nothing"
    );
    let nops = [prep::nop(), prep::nop()];
    assert_eq!(
        urb_ring_submit_batch(r.0, nops.as_ptr(), 2, tokens.as_ptr()),
        0
    );
    assert_eq!(wait_n(&r, 2).len(), 2);
    assert_eq!(untouched, [0u8; 16], "a read of a refused batch ran");
    close(efd);
    close(file);
}
