//! What a descriptor is and how it is set: asked of the kernel only on the
//! paths that would otherwise wait or stop short.

/// The descriptor's status flags (`F_GETFL`), `None` if `fcntl` refuses it.
pub fn status_flags(fd: i32) -> Option<i32> {
    // SAFETY: F_GETFL only reads the descriptor's flags.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    (fl >= 0).then_some(fl)
}

/// Whether `fd` is in `O_NONBLOCK` mode; `None` if `fcntl` refuses the
/// descriptor (the request itself then reports why).
pub fn nonblocking(fd: i32) -> Option<bool> {
    status_flags(fd).map(|fl| fl & libc::O_NONBLOCK != 0)
}

/// A descriptor at all, and not `O_DIRECT` (whose non-waiting reads still
/// wait for the device).
pub fn buffered(fd: i32) -> bool {
    status_flags(fd).is_some_and(|fl| fl & libc::O_DIRECT == 0)
}

fn file_type(fd: i32) -> Option<libc::mode_t> {
    // SAFETY: a stat is plain data; all zeroes is a valid one.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes into the struct we own.
    (unsafe { libc::fstat(fd, &mut st) } == 0).then_some(st.st_mode & libc::S_IFMT)
}

/// Whether `fd` can be waited on for readiness: regular files, directories
/// and block devices are always "ready". An unknown descriptor counts as
/// pollable: the operation itself then reports why it is bad.
pub fn is_pollable(fd: i32) -> bool {
    !matches!(
        file_type(fd),
        Some(libc::S_IFREG | libc::S_IFDIR | libc::S_IFBLK)
    )
}

/// Whether `fd` has a file position: regular files, block devices,
/// directories and most character devices; not pipes, FIFOs, sockets or
/// ttys (`ESPIPE`), the descriptors that wait for readiness and raise
/// `SIGPIPE`. One `lseek`, which costs a third of an `fstat` (250 against
/// 700 ns here). A bad descriptor counts as seekable: the operation itself
/// then reports why.
pub fn seekable(fd: i32) -> bool {
    // SAFETY: a zero move from the current position changes nothing.
    let pos = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) };
    pos >= 0 || super::errno() != libc::ESPIPE
}

/// Regular files and block devices: a short read there means "not all of it
/// without waiting", not "that is all there is". Unknown counts as one.
pub fn positional_file(fd: i32) -> bool {
    matches!(file_type(fd), None | Some(libc::S_IFREG | libc::S_IFBLK))
}

/// A socket (`S_IFSOCK`).
pub fn is_socket(fd: i32) -> bool {
    file_type(fd) == Some(libc::S_IFSOCK)
}

/// A pipe or FIFO (`S_IFIFO`).
pub fn is_pipe(fd: i32) -> bool {
    file_type(fd) == Some(libc::S_IFIFO)
}
