//! What the fuzz targets share: a reader that turns the fuzzer's bytes into
//! choices, buffers with canary guards, and fixtures (pipes, socket pairs, a
//! listener, a temporary file and directory) that requests may be aimed at.
//!
//! A fuzzed request only ever names memory and descriptors made here: every
//! pointer lands inside a guarded buffer, every path inside the fixture
//! directory, every descriptor is a fixture or one known to be invalid.
//! Nothing a target does can write outside its own buffers, unlink a file or
//! open one outside the directory it created.

use std::ffi::CString;
use std::sync::OnceLock;

pub use uringbridge::errors::PANICKED;

/// Consumes the fuzzer's input. Once it runs dry every choice is 0, so any
/// input is a complete (if short) program.
pub struct Bytes<'a>(pub &'a [u8]);

impl Bytes<'_> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | u64::from(self.u32()) << 32
    }
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }
    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::from(self.u16()) % n
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    /// `n` bytes (fewer if the input runs out, padded with zeros).
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }
}

pub const GUARD: usize = 64;
pub const BODY: usize = 512;
const CANARY: u8 = 0xC3;

/// A buffer whose first and last `GUARD` bytes must never change: a request
/// may use only the `BODY` bytes between them. Held as a raw pointer, so the
/// pointers handed to requests and the library's writes through them never
/// conflict with a Rust reference.
pub struct Guarded(*mut [u8; GUARD + BODY + GUARD]);

impl Default for Guarded {
    fn default() -> Self {
        Guarded(Box::into_raw(Box::new([CANARY; GUARD + BODY + GUARD])))
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        // SAFETY: made by Box::into_raw in `default`, freed once here.
        drop(unsafe { Box::from_raw(self.0) });
    }
}

impl Guarded {
    pub fn body(&self) -> *mut libc::c_void {
        self.at(0, BODY)
    }
    /// Somewhere inside the body with `len` bytes of room after it.
    pub fn at(&self, offset: usize, len: usize) -> *mut libc::c_void {
        let offset = offset % (BODY - len.min(BODY) + 1);
        // SAFETY: GUARD + offset stays inside the allocation.
        unsafe { self.0.cast::<u8>().add(GUARD + offset).cast() }
    }
    /// Panics if anything wrote to a guard. Call only when no request that
    /// names this buffer is in flight.
    #[track_caller]
    pub fn check(&self, what: &dyn std::fmt::Debug) {
        // SAFETY: the allocation is live and nothing writes to it now.
        let bytes = unsafe { &*self.0 };
        let guards = bytes[..GUARD].iter().chain(&bytes[GUARD + BODY..]);
        assert!(
            guards.into_iter().all(|&b| b == CANARY),
            "a write outside the buffer: {what:?}"
        );
    }
}

/// A result the C ABI may return: `>= 0`, or a real `-errno`, and never the
/// code a caught panic turns into.
#[track_caller]
pub fn check_result(res: i32, what: &dyn std::fmt::Debug) {
    assert_ne!(res, PANICKED, "a panic inside the library: {what:?}");
    assert!(res >= -4095, "not an errno: {res} for {what:?}");
}

/// A fixture directory under the system's temporary directory, made once per
/// process and removed by nobody (it holds at most a few small files).
pub fn fixture_dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let mut template = std::env::temp_dir()
            .join("uringbridge-fuzz-XXXXXX")
            .into_os_string()
            .into_encoded_bytes();
        template.push(0);
        // SAFETY: a writable NUL-terminated template, as mkdtemp wants.
        let made = unsafe { libc::mkdtemp(template.as_mut_ptr().cast()) };
        assert!(
            !made.is_null(),
            "mkdtemp: {}",
            std::io::Error::last_os_error()
        );
        template.pop();
        std::path::PathBuf::from(String::from_utf8(template).expect("a UTF-8 temporary directory"))
    })
}

/// Paths a fuzzed openat/statx may name: all inside the fixture directory
/// (or empty, or missing), so no request reaches the rest of the system.
pub fn fixture_paths() -> &'static [CString] {
    static PATHS: OnceLock<Vec<CString>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let dir = fixture_dir();
        let file = dir.join("file");
        std::fs::write(&file, b"0123456789abcdef").expect("fixture file");
        [
            dir.to_path_buf(),
            file,
            dir.join("created"),
            dir.join("missing/x"),
        ]
        .iter()
        .map(|p| CString::new(p.as_os_str().as_encoded_bytes()).unwrap())
        .chain([CString::default()])
        .collect()
    })
}

/// Flags a fuzzed openat may use: no O_CREAT outside the fixture
/// directory is possible anyway (the paths are fixed), but O_TMPFILE and
/// O_CREAT stay in, so creating files is exercised.
pub fn open_flags(raw: u32) -> u32 {
    (raw & (libc::O_ACCMODE
        | libc::O_CREAT
        | libc::O_EXCL
        | libc::O_TRUNC
        | libc::O_APPEND
        | libc::O_NONBLOCK
        | libc::O_DIRECTORY
        | libc::O_NOFOLLOW
        | libc::O_PATH
        | libc::O_TMPFILE) as u32)
        | libc::O_CLOEXEC as u32
}

pub fn pipe() -> [i32; 2] {
    let mut fds = [0; 2];
    // SAFETY: room for two descriptors.
    assert_eq!(
        unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) },
        0,
        "pipe2"
    );
    fds
}

pub fn socketpair() -> [i32; 2] {
    let mut fds = [0; 2];
    let kind = libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK;
    // SAFETY: room for two descriptors.
    assert_eq!(
        unsafe { libc::socketpair(libc::AF_UNIX, kind, 0, fds.as_mut_ptr()) },
        0,
        "socketpair"
    );
    fds
}

/// An abstract-namespace address unique to this process (nothing on the
/// filesystem, nobody else listening).
pub fn unix_addr(tag: &str) -> libc::sockaddr_un {
    // SAFETY: all-zero is a valid sockaddr_un.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let name = format!("uringbridge-fuzz-{}-{tag}", std::process::id());
    for (d, s) in addr.sun_path[1..].iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    addr
}

/// A non-blocking unix stream listener on `addr`, or -1 if the name is taken.
pub fn listener(addr: &libc::sockaddr_un) -> i32 {
    // SAFETY: plain socket calls on a descriptor made here.
    unsafe {
        let fd = libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        );
        assert!(fd >= 0, "socket");
        let len = std::mem::size_of::<libc::sockaddr_un>() as u32;
        if libc::bind(fd, (addr as *const libc::sockaddr_un).cast(), len) != 0
            || libc::listen(fd, 16) != 0
        {
            libc::close(fd);
            return -1;
        }
        fd
    }
}

/// Two non-blocking UDP sockets on loopback, connected to each other: an
/// inet socket, for the flags unix sockets ignore (`MSG_ERRQUEUE`, ...).
pub fn udp_pair() -> [i32; 2] {
    let mut fds = [-1; 2];
    let mut addrs = [unsafe { std::mem::zeroed::<libc::sockaddr_in>() }; 2];
    let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
    // SAFETY: plain socket calls on descriptors made here, with local
    // addresses and their lengths.
    unsafe {
        for (fd, addr) in fds.iter_mut().zip(addrs.iter_mut()) {
            *fd = libc::socket(
                libc::AF_INET,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                0,
            );
            assert!(*fd >= 0, "socket");
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let mut n = len;
            assert_eq!(
                libc::bind(*fd, (addr as *const libc::sockaddr_in).cast(), len),
                0,
                "bind"
            );
            libc::getsockname(*fd, (addr as *mut libc::sockaddr_in).cast(), &mut n);
        }
        assert_eq!(
            libc::connect(fds[0], (&addrs[1] as *const libc::sockaddr_in).cast(), len),
            0,
            "connect"
        );
        assert_eq!(
            libc::connect(fds[1], (&addrs[0] as *const libc::sockaddr_in).cast(), len),
            0,
            "connect"
        );
    }
    fds
}

pub fn unix_socket() -> i32 {
    // SAFETY: a plain socket call.
    let fd = unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    };
    assert!(fd >= 0, "socket");
    fd
}

/// The fixture file, opened read-write (a regular file: always ready).
pub fn open_file() -> i32 {
    let path = &fixture_paths()[1];
    // SAFETY: a NUL-terminated path.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    assert!(fd >= 0, "open fixture file");
    fd
}

/// A write to a socket whose peer is gone raises SIGPIPE on both engines
/// (as write(2) does); like any network program, the targets ignore it and
/// see `-EPIPE`.
pub fn ignore_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_IGN.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

pub fn close(fd: i32) {
    if fd >= 0 {
        // SAFETY: closing a descriptor this process made.
        unsafe { libc::close(fd) };
    }
}

/// Descriptor numbers no fixture uses: requests on them give `-EBADF`.
pub const BAD_FDS: [i32; 3] = [-1, 60_000, i32::MIN];

/// Open descriptors of this process and what they are, to catch a leak
/// (compare two snapshots with `assert_eq!`: the message names the file).
pub fn open_fds() -> Vec<(i32, String)> {
    let mut fds: Vec<(i32, String)> = std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let fd = e.file_name().to_str()?.parse().ok()?;
                    let target = std::fs::read_link(e.path()).ok()?;
                    Some((fd, target.to_string_lossy().into_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    fds.sort();
    // read_dir's own descriptor is listed while it is open.
    fds.retain(|(_, target)| !target.starts_with("/proc/") || !target.ends_with("/fd"));
    fds
}

/// Reads (non-blocking) until `fd` is empty; returns the bytes drained.
pub fn drain(fd: i32) -> u64 {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        // SAFETY: a writable local buffer and its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return total;
        }
        total += n as u64;
    }
}
