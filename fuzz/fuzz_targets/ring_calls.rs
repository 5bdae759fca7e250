//! Sequences of async-ring calls — submit, submit_try, submit_timeout,
//! batch, chain, cancel, the three multishot requests, reap, wait with a
//! zero timeout, stats, provided buffers, the callback — on either engine
//! (the input picks `URB_RING_FALLBACK` or not), against fixtures made for
//! each input: a pipe, a socket pair, a listener, unconnected sockets, a
//! connected pair of UDP sockets, the fixture file.
//!
//! What must hold, whatever the sequence:
//! - every accepted request completes exactly once (a multishot one: its
//!   last completion lacks `URB_CQE_F_MORE`), a refused one never, and no
//!   completion carries a token that was not submitted; once everything is
//!   cancelled, all of it arrives within seconds;
//! - no byte is lost: what the completions say was written into the pipe
//!   or either direction of the socket pair equals what completions say was
//!   read plus what is left to drain (so a cancelled read that had moved
//!   data reports it);
//! - a provided buffer is handed out again only after it was released;
//! - nothing writes outside its buffer, no descriptor leaks, no panic.
//!
//! `URB_RING_SQPOLL` is left out: a ring with it hangs on this branch (the
//! lead's fix is on main).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uringbridge::ffi::ring::*;
use uringbridge::op::*;
use uringbridge::ring::config::{urb_ring_config, URB_RING_FALLBACK};
use uringbridge::ring::delivery::{
    urb_completion, URB_CQE_BUFFER_SHIFT, URB_CQE_F_BUFFER, URB_CQE_F_MORE,
};
use uringbridge::ring::stats::urb_stats;
use uringbridge_fuzz::*;

const MAX_CALLS: usize = 48;
const BUFFERS: usize = 4;
const IOVS: usize = 4;
/// Byte streams whose bytes are counted: the pipe, and each direction of
/// the socket pair.
const FLOWS: usize = 3;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Moves {
    Nothing,
    Into(usize),
    OutOf(usize),
}

#[derive(Debug)]
struct Request {
    op: u8,
    moves: Moves,
    makes_fd: bool,
    /// Final completions still to come for this token.
    outstanding: i64,
    multishot_recv: bool,
}

struct Fixtures {
    pipe: [i32; 2],
    pair: [i32; 2],
    listener: i32,
    unconnected: [i32; 2],
    udp: [i32; 2],
    file: i32,
    addr: libc::sockaddr_un,
    /// Clients connected by the sequence itself.
    clients: Vec<i32>,
}

impl Fixtures {
    fn new() -> Fixtures {
        let addr = unix_addr("ring");
        let listener = listener(&addr);
        assert!(listener >= 0, "listener");
        Fixtures {
            pipe: pipe(),
            pair: socketpair(),
            listener,
            unconnected: [unix_socket(), unix_socket()],
            udp: udp_pair(),
            file: open_file(),
            addr,
            clients: Vec::new(),
        }
    }
    fn fds(&self) -> [i32; 12] {
        let [p0, p1] = self.pipe;
        let [s0, s1] = self.pair;
        [
            self.udp[0],
            self.udp[1],
            p0,
            p1,
            s0,
            s1,
            self.listener,
            self.unconnected[0],
            self.unconnected[1],
            self.file,
            BAD_FDS[0],
            BAD_FDS[1],
        ]
    }
    /// Which counted stream a read (`Into` = false) or write on `fd` moves.
    fn flow(&self, fd: i32, writes: bool) -> Moves {
        let [p0, p1] = self.pipe;
        let [s0, s1] = self.pair;
        match (writes, fd) {
            (true, fd) if fd == p1 => Moves::Into(0),
            (false, fd) if fd == p0 => Moves::OutOf(0),
            (true, fd) if fd == s0 => Moves::Into(1),
            (false, fd) if fd == s1 => Moves::OutOf(1),
            (true, fd) if fd == s1 => Moves::Into(2),
            (false, fd) if fd == s0 => Moves::OutOf(2),
            _ => Moves::Nothing,
        }
    }
    /// The read end of each counted stream.
    fn read_ends(&self) -> [i32; FLOWS] {
        [self.pipe[0], self.pair[1], self.pair[0]]
    }
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        let fds = self.fds();
        for fd in fds
            .into_iter()
            .filter(|&fd| fd >= 0 && !BAD_FDS.contains(&fd))
            .chain(self.clients.drain(..))
        {
            close(fd);
        }
    }
}

/// Memory the requests name; lives until the ring is freed.
struct Arena {
    bufs: [Guarded; BUFFERS],
    iovs: [[libc::iovec; IOVS]; 2],
}

impl Arena {
    fn new(input: &mut Bytes) -> Arena {
        let bufs: [Guarded; BUFFERS] = Default::default();
        let mut iovs = [[libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        }; IOVS]; 2];
        for (k, array) in iovs.iter_mut().enumerate() {
            for (i, iov) in array.iter_mut().enumerate() {
                let n = input.below(BODY / IOVS + 1);
                *iov = libc::iovec {
                    iov_base: bufs[k].at(i * (BODY / IOVS), n),
                    iov_len: n,
                };
            }
        }
        Arena { bufs, iovs }
    }
}

struct Sequence<'a> {
    ring: *mut urb_ring,
    f: &'a mut Fixtures,
    arena: &'a Arena,
    requests: HashMap<u64, Request>,
    next_token: u64,
    written: [u64; FLOWS],
    read: [u64; FLOWS],
    buf_count: u32,
    held_buffers: HashSet<u32>,
    allowed: Option<Vec<u8>>,
    accepted_requests: u64,
    seen_completions: u64,
    callback_on: bool,
}

static CALLBACK_QUEUE: Mutex<Vec<urb_completion>> = Mutex::new(Vec::new());

unsafe extern "C" fn on_completion(_ctx: *mut libc::c_void, token: u64, res: i32, flags: u32) {
    CALLBACK_QUEUE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(urb_completion { token, res, flags });
}

impl Sequence<'_> {
    fn build_op(&mut self, input: &mut Bytes) -> urb_op {
        let mut op = urb_op::zeroed();
        let fds = self.f.fds();
        op.opcode = match input.u8() {
            250.. => URB_OP_COUNT + input.u8() % 8, // unknown: refused
            n => n % URB_OP_COUNT,
        };
        op.fd = fds[input.below(fds.len())];
        let buf = &self.arena.bufs[input.below(BUFFERS)];
        let len = input.below(BODY + 1);
        let at = input.below(BODY);
        op.buf = if input.u8() == 0 {
            std::ptr::null_mut()
        } else {
            buf.at(at, len)
        };
        op.len = len as u32;
        op.op_flags = input.u32();
        let mut offset = input.u64();
        match op.opcode {
            URB_OP_READ | URB_OP_READV => {}
            URB_OP_WRITE | URB_OP_WRITEV => {
                offset = if offset & 1 == 0 {
                    URB_OFFSET_CURRENT
                } else {
                    offset % 65536
                }
            }
            URB_OP_TIMEOUT => {
                offset = [0, 1_000, 1_000_000, 5_000_000, 10_000_000_000][offset as usize % 5]
            }
            _ => {}
        }
        op.offset = offset;
        match op.opcode {
            URB_OP_READ | URB_OP_WRITE => op.op_flags &= 0x1f, // RWF_*
            URB_OP_READV | URB_OP_WRITEV => {
                op.op_flags &= 0x1f;
                let array = &self.arena.iovs[input.below(2)];
                op.len = input.below(IOVS + 1) as u32;
                if !op.buf.is_null() {
                    op.buf = array.as_ptr() as *mut _;
                }
            }
            URB_OP_RECV | URB_OP_SEND => {
                // Peeking, out-of-band data and truncation move bytes the
                // count cannot follow.
                op.op_flags &= !((libc::MSG_PEEK | libc::MSG_OOB | libc::MSG_TRUNC) as u32);
            }
            URB_OP_OPENAT | URB_OP_STATX => {
                let paths = fixture_paths();
                if !op.buf.is_null() {
                    op.buf = paths[input.below(paths.len())].as_ptr() as *mut _;
                }
                if input.bool() {
                    op.fd = libc::AT_FDCWD;
                }
                if op.opcode == URB_OP_OPENAT {
                    op.op_flags = open_flags(op.op_flags);
                    op.mode = 0o600;
                } else {
                    op.mode = input.u32();
                    op.buf2 = self.arena.bufs[3].at(0, std::mem::size_of::<libc::statx>());
                }
            }
            URB_OP_ACCEPT => {
                op.op_flags &= (libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) as u32 | 1;
                op.op_flags |= libc::SOCK_CLOEXEC as u32;
                if !op.buf.is_null() {
                    // The peer address in buffer 1, its in/out length in one
                    // of 16 slots at the end of buffer 2 (accepts in flight
                    // may share one: they only ever store lengths <= 110).
                    op.buf = self.arena.bufs[1].at(0, 128);
                    op.buf2 = self.arena.bufs[2].at(BODY - 4 * (1 + input.below(16)), 4);
                    // SAFETY: four aligned bytes inside buffer 2's body.
                    unsafe { (op.buf2 as *mut u32).write_volatile(110) };
                }
            }
            URB_OP_CONNECT => {
                op.fd = self.f.unconnected[input.below(2)];
                if !op.buf.is_null() {
                    op.buf = &self.f.addr as *const libc::sockaddr_un as *mut _;
                    op.len = input.below(std::mem::size_of::<libc::sockaddr_un>() + 1) as u32;
                }
            }
            URB_OP_CLOSE => op.fd = BAD_FDS[input.below(BAD_FDS.len())],
            // Messages would move bytes the model's flows do not count, and
            // their msghdr is read by validation: only the refusal here.
            URB_OP_SENDMSG | URB_OP_RECVMSG => op.buf = std::ptr::null_mut(),
            // A bound or listening fixture would change what the others
            // meet (and a unix address would be a path): closed numbers.
            URB_OP_BIND | URB_OP_LISTEN => op.fd = BAD_FDS[input.below(BAD_FDS.len())],
            URB_OP_SHUTDOWN => op.op_flags %= 4,
            URB_OP_POLL => op.op_flags &= 0xffff,
            URB_OP_FSYNC => op.op_flags &= 3,
            _ => {}
        }
        if input.u8() == 255 {
            op.reserved2[1] = 1; // refused: reserved fields must be 0
        }
        if tracing() {
            eprintln!("  op {op:?}");
        }
        op
    }

    fn describe(&self, op: &urb_op) -> Request {
        let moves = match op.opcode {
            URB_OP_WRITE | URB_OP_WRITEV | URB_OP_SEND => self.f.flow(op.fd, true),
            URB_OP_READ | URB_OP_READV | URB_OP_RECV => self.f.flow(op.fd, false),
            _ => Moves::Nothing,
        };
        Request {
            op: op.opcode,
            moves,
            makes_fd: matches!(op.opcode, URB_OP_OPENAT | URB_OP_ACCEPT | URB_OP_SOCKET),
            outstanding: 1,
            multishot_recv: false,
        }
    }

    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }

    /// A refusal is a plain errno, and an allowed, valid request on a live
    /// ring is not refused for being outside the allow-list.
    fn refused(&self, rc: i32, ops: &[urb_op]) {
        check_result(rc, &ops);
        assert!(rc < 0, "a refusal that is not an errno: {rc}");
        if rc == -libc::EACCES {
            let allowed = self
                .allowed
                .as_ref()
                .expect("-EACCES without an allow-list");
            assert!(
                ops.iter().any(|op| !allowed.contains(&op.opcode)),
                "-EACCES for allowed requests {ops:?}"
            );
        }
    }

    fn accepted(&mut self, token: u64, request: Request) {
        self.accepted_requests += 1;
        let previous = self.requests.insert(token, request);
        assert!(previous.is_none(), "token {token} reused");
    }

    /// Accounts for one result: bytes moved, descriptors made.
    fn result(&mut self, token: u64, res: i32, flags: u32) {
        let request = self.requests.get_mut(&token).unwrap_or_else(|| {
            panic!("a completion for token {token}, never accepted (res {res})")
        });
        check_result(res, &(token, request.op));
        if flags & URB_CQE_F_MORE == 0 {
            request.outstanding -= 1;
            assert!(
                request.outstanding >= 0,
                "a second final completion for token {token} ({request:?}, res {res})"
            );
        }
        if res < 0 {
            return;
        }
        match request.moves {
            Moves::Into(flow) => self.written[flow] += res as u64,
            Moves::OutOf(flow) => self.read[flow] += res as u64,
            Moves::Nothing => {}
        }
        if request.makes_fd {
            close(res);
        }
        if flags & URB_CQE_F_BUFFER != 0 {
            assert!(
                request.multishot_recv,
                "a provided buffer for a request that did not ask for one: {request:?}"
            );
            let bid = flags >> URB_CQE_BUFFER_SHIFT;
            assert!(bid < self.buf_count, "buffer id {bid} out of range");
            assert!(
                self.held_buffers.insert(bid),
                "buffer {bid} handed out twice without a release"
            );
            let mut data = std::ptr::null_mut();
            let size = urb_ring_buffer(self.ring, bid, &mut data);
            assert!(
                size >= res && !data.is_null(),
                "buffer {bid}: size {size} for {res} bytes"
            );
        }
    }

    fn completions(&mut self, list: &[urb_completion]) {
        for c in list {
            self.seen_completions += 1;
            self.result(c.token, c.res, c.flags);
        }
    }

    fn collect_callbacks(&mut self) {
        let list = std::mem::take(&mut *CALLBACK_QUEUE.lock().unwrap_or_else(|e| e.into_inner()));
        self.completions(&list);
    }

    fn wait(&mut self, max: u32, min: u32, timeout_ns: u64) -> i32 {
        let mut out = vec![urb_completion::default(); max as usize];
        let n = urb_ring_wait(self.ring, out.as_mut_ptr(), max, min, timeout_ns);
        check_result(n, &"urb_ring_wait");
        if n > 0 {
            assert!(
                n as u32 <= max.max(1),
                "urb_ring_wait returned {n} > max {max}"
            );
            self.completions(&out[..n as usize]);
        }
        n
    }

    fn call(&mut self, input: &mut Bytes) {
        let ring = self.ring;
        let call = input.u8() % 16;
        if tracing() {
            eprintln!("call {call}, token so far {}", self.next_token);
        }
        match call {
            0 => {
                let op = self.build_op(input);
                let token = self.token();
                match urb_ring_submit(ring, &op, token) {
                    0 => self.accepted(token, self.describe(&op)),
                    rc => self.refused(rc, &[op]),
                }
            }
            1 => {
                let op = self.build_op(input);
                let token = self.token();
                let mut res = i32::MIN;
                match urb_ring_submit_try(ring, &op, token, &mut res) {
                    1 => {
                        assert_ne!(res, i32::MIN, "finished on the spot without a result");
                        // Accounted as a request whose one completion came back here.
                        self.requests.insert(token, self.describe(&op));
                        self.result(token, res, 0);
                    }
                    0 => {
                        assert_eq!(res, i32::MIN, "handed to the ring but wrote a result");
                        self.accepted(token, self.describe(&op));
                    }
                    rc => self.refused(rc, &[op]),
                }
            }
            2 => {
                let op = self.build_op(input);
                let token = self.token();
                let ns = [0, 1, 1_000, 1_000_000, 3_000_000_000][input.below(5)];
                match urb_ring_submit_timeout(ring, &op, token, ns) {
                    0 => self.accepted(token, self.describe(&op)),
                    rc => self.refused(rc, &[op]),
                }
            }
            3 | 4 => {
                let n = 1 + input.below(4);
                let ops: Vec<urb_op> = (0..n).map(|_| self.build_op(input)).collect();
                let tokens: Vec<u64> = (0..n).map(|_| self.token()).collect();
                let (n_arg, ops_arg) = match input.u8() {
                    0 => (0, ops.as_ptr()),
                    1 => (n, std::ptr::null()),
                    _ => (n, ops.as_ptr()),
                };
                let rc = if input.bool() {
                    urb_ring_submit_batch(ring, ops_arg, n_arg, tokens.as_ptr())
                } else {
                    urb_ring_submit_chain(ring, ops_arg, n_arg, tokens.as_ptr())
                };
                if rc == 0 {
                    assert!(
                        n_arg > 0 && !ops_arg.is_null(),
                        "an empty or NULL list accepted"
                    );
                    for (op, &token) in ops.iter().zip(&tokens) {
                        self.accepted(token, self.describe(op));
                    }
                } else {
                    self.refused(rc, &ops);
                }
            }
            5 => {
                let token = match input.u8() {
                    0 => u64::MAX,
                    k => (k as u64) % (self.next_token + 1),
                };
                let rc = urb_ring_cancel(ring, token);
                assert_eq!(rc, 0, "urb_ring_cancel({token}) on a live ring");
            }
            6..=8 => {
                let which = input.u8() % 3;
                let fds = self.f.fds();
                let fd = if which == 0 && input.bool() {
                    self.f.listener
                } else {
                    fds[input.below(fds.len())]
                };
                let token = self.token();
                let flags = input.u32();
                let rc = match which {
                    0 => urb_ring_accept_multishot(
                        ring,
                        fd,
                        (flags & (libc::SOCK_NONBLOCK as u32 | 1)) as i32 | libc::SOCK_CLOEXEC,
                        token,
                    ),
                    1 => urb_ring_recv_multishot(
                        ring,
                        fd,
                        (flags & libc::MSG_DONTWAIT as u32) as i32,
                        token,
                    ),
                    _ => urb_ring_poll_multishot(ring, fd, flags & 0xffff, token),
                };
                if rc == 0 {
                    let request = Request {
                        op: [URB_OP_ACCEPT, URB_OP_RECV, URB_OP_POLL][which as usize],
                        moves: if which == 1 {
                            self.f.flow(fd, false)
                        } else {
                            Moves::Nothing
                        },
                        makes_fd: which == 0,
                        outstanding: 1,
                        multishot_recv: which == 1,
                    };
                    if which == 1 && self.buf_count == 0 {
                        panic!("multishot receive accepted on a ring without provided buffers");
                    }
                    self.accepted(token, request);
                } else {
                    check_result(rc, &("multishot", which, fd));
                }
            }
            9 => {
                let max = input.below(9) as u32;
                let mut out = [urb_completion::default(); 8];
                let n = urb_ring_reap(ring, out.as_mut_ptr(), max);
                check_result(n, &"urb_ring_reap");
                if max == 0 {
                    // An empty array is an out-of-range argument.
                    assert!(n == 0 || n == -libc::EINVAL, "reap with max 0 gave {n}");
                    return;
                }
                assert!(n >= 0 && n as u32 <= max, "reaped {n} for max {max}");
                self.completions(&out[..n as usize]);
            }
            10 => {
                let (max, min) = (1 + input.below(8) as u32, input.below(9) as u32);
                self.wait(max, min, 0);
            }
            11 => {
                let mut stats: urb_stats = unsafe { std::mem::zeroed() };
                assert_eq!(urb_ring_stats(ring, &mut stats), 0);
                self.collect_callbacks();
                assert!(
                    stats.completions >= self.seen_completions,
                    "stats: {} completions, {} seen",
                    stats.completions,
                    self.seen_completions
                );
            }
            12 => {
                // Bytes written directly, to feed pending reads.
                let flow = input.below(FLOWS);
                let fd = [self.f.pipe[1], self.f.pair[0], self.f.pair[1]][flow];
                let data = [0xa5u8; 256];
                let n = 1 + input.below(data.len());
                // SAFETY: a local buffer and a length within it.
                let done = unsafe {
                    if flow == 0 {
                        libc::write(fd, data.as_ptr().cast(), n)
                    } else {
                        libc::send(
                            fd,
                            data.as_ptr().cast(),
                            n,
                            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
                        )
                    }
                };
                if done > 0 {
                    self.written[flow] += done as u64;
                }
            }
            13 => {
                // A connection for pending accepts.
                let fd = unix_socket();
                let len = std::mem::size_of::<libc::sockaddr_un>() as u32;
                // SAFETY: a valid address and its length.
                unsafe {
                    libc::connect(fd, (&self.f.addr as *const libc::sockaddr_un).cast(), len)
                };
                self.f.clients.push(fd);
            }
            14 => {
                let bid = if input.bool() {
                    self.held_buffers.iter().next().copied().unwrap_or(0)
                } else {
                    input.u32() % (self.buf_count + 2)
                };
                let rc = urb_ring_buffer_release(ring, bid);
                if bid >= self.buf_count {
                    assert_eq!(
                        rc,
                        -libc::EINVAL,
                        "release of buffer {bid} out of {}",
                        self.buf_count
                    );
                } else if self.held_buffers.remove(&bid) {
                    assert_eq!(rc, 0, "release of held buffer {bid}");
                } else {
                    check_result(rc, &("release of a buffer not held", bid));
                }
            }
            _ => {
                let on = input.bool();
                let f = if on {
                    Some(on_completion as unsafe extern "C" fn(*mut libc::c_void, u64, i32, u32))
                } else {
                    None
                };
                assert_eq!(urb_ring_set_callback(ring, f, std::ptr::null_mut()), 0);
                self.callback_on = on;
                self.collect_callbacks();
            }
        }
    }

    /// Cancels everything still armed and waits for every final completion.
    fn finish(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            self.collect_callbacks();
            let pending: Vec<u64> = self
                .requests
                .iter()
                .filter(|(_, r)| r.outstanding > 0)
                .map(|(&t, _)| t)
                .collect();
            if pending.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "requests never completed after cancellation: {:?}",
                pending
                    .iter()
                    .map(|t| (t, &self.requests[t]))
                    .collect::<Vec<_>>()
            );
            for &token in &pending {
                assert_eq!(urb_ring_cancel(self.ring, token), 0);
            }
            if self.callback_on {
                // New completions go to the callback; older ones may still
                // be queued.
                self.wait(64, 0, 0);
                std::thread::sleep(Duration::from_millis(1));
            } else {
                self.wait(64, 1, 20_000_000);
            }
            // A released buffer lets a multishot receive that ran out finish.
            for bid in std::mem::take(&mut self.held_buffers) {
                assert_eq!(urb_ring_buffer_release(self.ring, bid), 0);
            }
        }
        for bid in std::mem::take(&mut self.held_buffers) {
            assert_eq!(urb_ring_buffer_release(self.ring, bid), 0);
        }
        // Nothing more may arrive.
        self.wait(8, 0, 0);
        self.collect_callbacks();
        let mut stats: urb_stats = unsafe { std::mem::zeroed() };
        assert_eq!(urb_ring_stats(self.ring, &mut stats), 0);
        assert_eq!(
            stats.in_flight, 0,
            "in flight after every completion: {}",
            stats.in_flight
        );
    }
}

/// `URB_FUZZ_TRACE=1` prints every call and request (to read a crash).
fn tracing() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("URB_FUZZ_TRACE").is_some())
}

fn config(input: &mut Bytes, allowed: &mut Vec<u8>) -> (urb_ring_config, bool) {
    let entries = [0, 1, 2, 4, 8, 256, 3, 40000][input.below(8)];
    let cq_entries = if input.bool() {
        0
    } else {
        [entries, entries * 2, 1, 65536][input.below(4)]
    };
    let buf_count = [0, 1, 4, 8, 3][input.below(5)];
    let buf_size = [0, 16, 64, 4096][input.below(4)];
    let fallback = input.bool();
    let with_allow_list = input.u8() < 32;
    if with_allow_list {
        allowed.extend((0..input.below(6)).map(|_| input.u8() % (URB_OP_COUNT + 1)));
    }
    let reserved = if input.u8() == 255 {
        [1, 0, 0, 0, 0]
    } else {
        [0; 5]
    };
    let cfg = urb_ring_config {
        entries,
        cq_entries,
        flags: if fallback { URB_RING_FALLBACK } else { 0 },
        sqpoll_idle_ms: 0,
        buf_count,
        buf_size,
        allowed_ops: if with_allow_list {
            allowed.as_ptr()
        } else {
            std::ptr::null()
        },
        n_allowed_ops: allowed.len() as u32,
        reserved,
    };
    // What the header promises to accept.
    let plainly_valid = matches!(entries, 0 | 1 | 2 | 4 | 8 | 256)
        && cq_entries == 0
        && matches!(buf_count, 0 | 1 | 4 | 8)
        && reserved == [0; 5]
        && !with_allow_list;
    (cfg, plainly_valid)
}

fuzz_target!(
    init: {
        ignore_sigpipe();
        fixture_paths();
        // The calling thread's own small rings (what submit_try and the
        // requests finished on the spot run on) live as long as the thread:
        // make them now, not inside a run. A NOP makes the one that defers
        // task work, an fsync of a file the one whose task work is prompt
        // (the kernel runs the fsync in a worker).
        assert_eq!(uringbridge::ffi::blocking::urb_nop(), 0);
        let file = std::fs::File::open(fixture_paths()[1].to_str().unwrap()).unwrap();
        use std::os::fd::AsRawFd;
        assert_eq!(uringbridge::ffi::blocking::urb_fsync(file.as_raw_fd(), 0), 0);
    },
    |data: &[u8]| {
        let mut input = Bytes(data);
        let fds_before = open_fds();
        let mut allowed = Vec::new();
        let (cfg, plainly_valid) = config(&mut input, &mut allowed);
        let mut f = Fixtures::new();
        let arena = Arena::new(&mut input);
        let mut ring = std::ptr::null_mut();
        let rc = urb_ring_new(&cfg, &mut ring);
        if tracing() {
            eprintln!("urb_ring_new({cfg:?}) = {rc}");
        }
        if rc != 0 {
            check_result(rc, &cfg);
            assert!(!plainly_valid || rc == -libc::ENOMEM || rc == -libc::EMFILE, "a valid configuration refused with {rc}: {cfg:?}");
            drop(f);
            assert_eq!(open_fds(), fds_before, "a refused ring leaked a descriptor");
            return;
        }
        CALLBACK_QUEUE.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let mut s = Sequence {
            ring,
            f: &mut f,
            arena: &arena,
            requests: HashMap::new(),
            next_token: 0,
            written: [0; FLOWS],
            read: [0; FLOWS],
            buf_count: cfg.buf_count,
            held_buffers: HashSet::new(),
            allowed: (!cfg.allowed_ops.is_null()).then(|| allowed.clone()),
            accepted_requests: 0,
            seen_completions: 0,
            callback_on: false,
        };
        for _ in 0..MAX_CALLS {
            if input.is_empty() {
                break;
            }
            s.call(&mut input);
        }
        s.finish();
        let (written, read) = (s.written, s.read);
        urb_ring_free(ring);
        for (flow, fd) in f.read_ends().into_iter().enumerate() {
            let left = drain(fd);
            assert_eq!(written[flow], read[flow] + left, "stream {flow}: {} bytes written, {} read, {left} left: bytes lost or invented", written[flow], read[flow]);
        }
        for buf in &arena.bufs {
            buf.check(&"ring request");
        }
        drop(f);
        drop(arena);
        assert_eq!(open_fds(), fds_before, "a descriptor leaked");
    }
);
