//! Raw SQEs through `urb_submit_blocking_sqe` on the fallback engine: the
//! fill callback copies the fuzzer's bytes into the SQE, so the decoder sees
//! every flag, ioprio, personality and index field the input sets. The
//! fields the fallback acts on are then aimed at fixtures: descriptors are
//! fresh pipes, socket pairs, a listener, the fixture file or numbers known
//! to be closed; pointers land in guarded buffers; paths are fixture paths;
//! sleeps are short. Every pipe and socket holds data before the request and
//! has room, and a listener has a connection waiting, so a request that
//! waits for readiness does not wait forever: a hang is a finding.
//!
//! The engine is process-wide and chosen when the library loads, so the
//! target re-executes itself with `URB_BACKEND=fallback` if it was started
//! without it: raw SQEs never reach the kernel's io_uring here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::os::unix::process::CommandExt;
use uringbridge::engine::{engine, Engine};
use uringbridge::ffi::blocking::urb_submit_blocking_sqe;
use uringbridge::sqe::io_uring_sqe;
use uringbridge_fuzz::*;

// Kernel opcodes (include/uapi/linux/io_uring.h).
const NOP: u8 = 0;
const READV: u8 = 1;
const WRITEV: u8 = 2;
const FSYNC: u8 = 3;
const POLL_ADD: u8 = 6;
const TIMEOUT: u8 = 11;
const ACCEPT: u8 = 13;
const CONNECT: u8 = 16;
const OPENAT: u8 = 18;
const CLOSE: u8 = 19;
const STATX: u8 = 21;
const READ: u8 = 22;
const WRITE: u8 = 23;
const SEND: u8 = 26;
const RECV: u8 = 27;
const SHUTDOWN: u8 = 34;
const MADVISE: u8 = 25;
const SPLICE: u8 = 30;
const TEE: u8 = 33;
/// Not aimed at fixtures (its fields stay the input's, pointers NULL), but
/// a socket it creates is the caller's to close.
const SOCKET: u8 = 45;
const DECODED: [u8; 16] = [
    NOP, READV, WRITEV, FSYNC, POLL_ADD, TIMEOUT, ACCEPT, CONNECT, OPENAT, CLOSE, STATX, READ,
    WRITE, SEND, RECV, SHUTDOWN,
];

const IOVS: usize = 8;

struct Fixtures {
    pipe: [i32; 2],
    pair: [i32; 2],
    listener: i32,
    /// Connected, with data to read (its accepted peer wrote it).
    client: i32,
    server: i32,
    /// Connected but not accepted: the listener has it waiting.
    waiting: i32,
    unconnected: i32,
    file: i32,
    addr: libc::sockaddr_un,
}

impl Fixtures {
    fn new() -> Fixtures {
        let addr = unix_addr("raw-sqe");
        let listener = listener(&addr);
        assert!(listener >= 0, "listener");
        let len = std::mem::size_of::<libc::sockaddr_un>() as u32;
        let connected = || {
            let fd = unix_socket();
            // SAFETY: a valid address and its length.
            assert_eq!(
                unsafe { libc::connect(fd, (&addr as *const libc::sockaddr_un).cast(), len) },
                0,
                "connect"
            );
            fd
        };
        let client = connected();
        // SAFETY: the listener has the client's connection waiting.
        let server = unsafe {
            libc::accept4(
                listener,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_CLOEXEC,
            )
        };
        assert!(server >= 0, "accept");
        let waiting = connected();
        let f = Fixtures {
            pipe: pipe(),
            pair: socketpair(),
            listener,
            client,
            server,
            waiting,
            unconnected: unix_socket(),
            file: open_file(),
            addr,
        };
        let data = [0x5a_u8; BODY];
        for fd in [f.pipe[1], f.pair[0], f.pair[1], f.server] {
            // SAFETY: a local buffer and its length.
            assert_eq!(
                unsafe { libc::write(fd, data.as_ptr().cast(), BODY) },
                BODY as isize,
                "prefill"
            );
        }
        f
    }
    /// What a request's descriptor may be. `server` is left out: it holds
    /// nothing to read, so a read there would wait forever.
    fn fds(&self) -> [i32; 9] {
        [
            self.pipe[0],
            self.pipe[1],
            self.pair[0],
            self.pair[1],
            self.listener,
            self.client,
            self.unconnected,
            self.file,
            BAD_FDS[1],
        ]
    }
    /// Descriptors always ready for writing, so a poll for POLLOUT returns.
    fn writable(&self) -> [i32; 4] {
        [self.pipe[1], self.pair[0], self.pair[1], self.file]
    }
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        for fd in [
            self.pipe[0],
            self.pipe[1],
            self.pair[0],
            self.pair[1],
            self.listener,
            self.client,
            self.server,
            self.waiting,
            self.unconnected,
            self.file,
        ] {
            close(fd);
        }
    }
}

struct Request {
    sqe: [u8; 64],
}

unsafe extern "C" fn fill(ctx: *mut libc::c_void, sqe: *mut io_uring_sqe) -> i32 {
    // SAFETY: ctx is the Request below; sqe is the library's 64-byte SQE.
    let request = unsafe { &*(ctx as *const Request) };
    unsafe { std::ptr::copy_nonoverlapping(request.sqe.as_ptr(), sqe.cast::<u8>(), 64) };
    0
}

fn put<const N: usize>(sqe: &mut [u8; 64], at: usize, bytes: [u8; N]) {
    sqe[at..at + N].copy_from_slice(&bytes);
}

fn ptr(p: *const libc::c_void) -> [u8; 8] {
    (p as u64).to_ne_bytes()
}

fn on_fallback_engine() {
    if engine() == Engine::Fallback {
        return;
    }
    assert!(
        std::env::var_os("URB_BACKEND").is_none(),
        "raw SQEs must not reach the kernel: run with URB_BACKEND=fallback"
    );
    let err = std::process::Command::new("/proc/self/exe")
        .args(std::env::args_os().skip(1))
        .env("URB_BACKEND", "fallback")
        .exec();
    panic!("re-exec with URB_BACKEND=fallback: {err}");
}

fuzz_target!(
    init: {
        on_fallback_engine();
        ignore_sigpipe();
        fixture_paths();
    },
    |data: &[u8]| {
        let mut input = Bytes(data);
        let control = input.u8();
        let mut sqe: [u8; 64] = input.array();
        let f = Fixtures::new();
        let fds_before = open_fds();
        let (a, b) = (Guarded::default(), Guarded::default());
        let mut iovs = [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; IOVS];
        // A TIMEOUT's timespec: 0 or -1 seconds (never longer than 2 ms),
        // nanoseconds in or out of range.
        let nsec = input.u32() as i64 % 2_000_000;
        let timespec = [-(input.bool() as i64), if input.u8() == 0 { 1_000_000_000 + nsec } else { nsec }];

        // Without bit 0 the io_uring-only fields stay as the input set them
        // (the fallback must refuse them); with it, they are cleared so the
        // request reaches the executor.
        if control & 1 != 0 {
            sqe[1] &= (1 << 2) | (1 << 3) | (1 << 6); // only the link/skip flags the library strips
            put(&mut sqe, 2, [0; 2]);
            put(&mut sqe, 40, [0; 8]);
            put(&mut sqe, 48, [0; 16]);
        }
        if control & 2 != 0 {
            sqe[0] = DECODED[sqe[0] as usize % DECODED.len()];
        }
        let opcode = sqe[0];
        let word = |at: usize, s: &[u8; 64]| u32::from_ne_bytes(s[at..at + 4].try_into().unwrap());
        let fd = f.fds()[word(4, &sqe) as usize % f.fds().len()];
        put(&mut sqe, 4, fd.to_ne_bytes());
        let len = word(24, &sqe);
        let pick = u64::from_ne_bytes(sqe[16..24].try_into().unwrap());
        let small = (len as usize) % (BODY + 1);
        match opcode {
            READ | WRITE | SEND | RECV => {
                let buf = if pick & 0xf == 0 { std::ptr::null_mut() } else { a.at((pick >> 8) as usize, small) };
                put(&mut sqe, 16, ptr(buf));
                put(&mut sqe, 24, (small as u32).to_ne_bytes());
                if opcode == WRITE {
                    // Writes land within the first 64 KiB of the fixture file.
                    let off = u64::from_ne_bytes(sqe[8..16].try_into().unwrap());
                    put(&mut sqe, 8, if off & 1 == 0 { u64::MAX } else { off % 65536 }.to_ne_bytes());
                }
            }
            READV | WRITEV => {
                for (i, iov) in iovs.iter_mut().enumerate() {
                    let n = input.below(BODY / IOVS + 1);
                    let base = if i % 2 == 0 { a.at(i * (BODY / IOVS), n) } else { b.at(i * (BODY / IOVS), n) };
                    *iov = libc::iovec { iov_base: if input.u8() == 0 { std::ptr::null_mut() } else { base }, iov_len: n };
                }
                put(&mut sqe, 16, ptr(if pick & 0xf == 0 { std::ptr::null() } else { iovs.as_ptr().cast() }));
                // Past IOV_MAX the count is refused before the array is read.
                let count = if len > 1024 { len } else { len % (IOVS as u32 + 1) };
                put(&mut sqe, 24, count.to_ne_bytes());
                if opcode == WRITEV {
                    let off = u64::from_ne_bytes(sqe[8..16].try_into().unwrap());
                    put(&mut sqe, 8, if off & 1 == 0 { u64::MAX } else { off % 65536 }.to_ne_bytes());
                }
            }
            OPENAT | STATX => {
                let paths = fixture_paths();
                let path = if pick & 0xf == 0 { std::ptr::null() } else { paths[(pick >> 8) as usize % paths.len()].as_ptr().cast() };
                put(&mut sqe, 16, ptr(path));
                let flags = word(28, &sqe);
                if opcode == OPENAT {
                    put(&mut sqe, 28, open_flags(flags).to_ne_bytes());
                    put(&mut sqe, 24, (len & 0o777).to_ne_bytes());
                } else {
                    let out = if pick & 0xf0 == 0 { std::ptr::null_mut() } else { b.at(0, std::mem::size_of::<libc::statx>()) };
                    put(&mut sqe, 8, ptr(out));
                }
                // Relative paths never meet AT_FDCWD (that would be the
                // current directory): every fixture path is absolute or empty.
                if sqe[4..8] == [0; 4] || word(44, &sqe) & 1 != 0 {
                    put(&mut sqe, 4, libc::AT_FDCWD.to_ne_bytes());
                }
            }
            ACCEPT => {
                // addr in buffer b, its in/out length at the end of buffer a.
                let addrlen = a.at(BODY - 8, 4);
                // SAFETY: four bytes inside a's body.
                unsafe { *(addrlen as *mut u32) = len % 256 };
                let addr = if pick & 0xf == 0 { std::ptr::null_mut() } else { b.at(0, 256) };
                put(&mut sqe, 16, ptr(addr));
                put(&mut sqe, 8, ptr(if pick & 0xf0 == 0 { std::ptr::null_mut() } else { addrlen }));
            }
            CONNECT => {
                let addr = if pick & 0xf == 0 { std::ptr::null() } else { (&f.addr as *const libc::sockaddr_un).cast() };
                put(&mut sqe, 16, ptr(addr));
                let max = std::mem::size_of::<libc::sockaddr_un>() as u64 + 1;
                let off = u64::from_ne_bytes(sqe[8..16].try_into().unwrap());
                put(&mut sqe, 8, (off % max).to_ne_bytes());
            }
            CLOSE => put(&mut sqe, 4, BAD_FDS[len as usize % BAD_FDS.len()].to_ne_bytes()),
            POLL_ADD => {
                let ready = f.writable()[len as usize % 4];
                put(&mut sqe, 4, ready.to_ne_bytes());
                let events = word(28, &sqe) | libc::POLLOUT as u32;
                put(&mut sqe, 28, events.to_ne_bytes());
            }
            TIMEOUT => {
                put(&mut sqe, 16, ptr(if pick & 0xf == 0 { std::ptr::null() } else { timespec.as_ptr().cast() }));
            }
            FSYNC | NOP | SHUTDOWN => {}
            // Advice about no memory: the advice is still judged, and no
            // address of this process (ASan's shadow sits low) is touched.
            MADVISE => {
                put(&mut sqe, 16, [0; 8]);
                put(&mut sqe, 24, [0; 4]);
                put(&mut sqe, 48, [0; 16]);
            }
            // The input (splice_fd_in) is a fixture with data, so nothing
            // waits; the offsets are none or within the first 64 KiB.
            SPLICE | TEE => {
                let inputs = [f.pipe[0], f.pair[0], f.pair[1], f.file];
                let input_fd = inputs[word(44, &sqe) as usize % inputs.len()];
                put(&mut sqe, 44, input_fd.to_ne_bytes());
                for at in [8, 16] {
                    let off = u64::from_ne_bytes(sqe[at..at + 8].try_into().unwrap());
                    put(&mut sqe, at, if off & 1 == 0 { u64::MAX } else { off % 65536 }.to_ne_bytes());
                }
                put(&mut sqe, 48, [0; 16]);
            }
            _ => {
                // Opcodes the fallback does not know: any pointer it might
                // follow is NULL, so even a decoder that mistook one for a
                // known request could not reach memory or paths outside the
                // fixtures.
                put(&mut sqe, 8, [0; 16]);
                put(&mut sqe, 48, [0; 16]);
            }
        }

        let request = Request { sqe };
        let res = urb_submit_blocking_sqe(Some(fill), &request as *const Request as *mut _);
        let what = (&sqe[..], res);
        check_result(res, &what);
        if res >= 0 && matches!(opcode, OPENAT | ACCEPT | SOCKET) {
            close(res); // the new descriptor is the caller's
        }
        a.check(&what);
        b.check(&what);
        assert_eq!(open_fds(), fds_before, "a descriptor leaked or was closed: {what:?}");
        drop(f);
    }
);
