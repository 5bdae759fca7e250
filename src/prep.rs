//! One constructor per operation, so no caller (C, Haskell, Go) has to know
//! which `urb_op` field an argument goes in.

use crate::op::*;
use libc::c_void;

fn op(opcode: u8, fd: i32) -> urb_op {
    urb_op {
        opcode,
        fd,
        ..urb_op::zeroed()
    }
}

fn data(opcode: u8, fd: i32, buf: *mut c_void, len: u32, offset: u64, op_flags: u32) -> urb_op {
    urb_op {
        buf,
        len,
        offset,
        op_flags,
        ..op(opcode, fd)
    }
}

pub fn nop() -> urb_op {
    op(URB_OP_NOP, -1)
}
pub fn read(fd: i32, buf: *mut c_void, len: u32, offset: u64) -> urb_op {
    data(URB_OP_READ, fd, buf, len, offset, 0)
}
pub fn write(fd: i32, buf: *const c_void, len: u32, offset: u64) -> urb_op {
    data(URB_OP_WRITE, fd, buf as *mut _, len, offset, 0)
}
pub fn readv(fd: i32, iov: *const libc::iovec, iovcnt: u32, offset: u64) -> urb_op {
    data(URB_OP_READV, fd, iov as *mut _, iovcnt, offset, 0)
}
pub fn writev(fd: i32, iov: *const libc::iovec, iovcnt: u32, offset: u64) -> urb_op {
    data(URB_OP_WRITEV, fd, iov as *mut _, iovcnt, offset, 0)
}
pub fn fsync(fd: i32, flags: u32) -> urb_op {
    urb_op {
        op_flags: flags,
        ..op(URB_OP_FSYNC, fd)
    }
}
pub fn openat(dirfd: i32, path: *const libc::c_char, flags: i32, mode: u32) -> urb_op {
    urb_op {
        buf: path as *mut _,
        op_flags: flags as u32,
        mode,
        ..op(URB_OP_OPENAT, dirfd)
    }
}
pub fn close(fd: i32) -> urb_op {
    op(URB_OP_CLOSE, fd)
}
pub fn statx(
    dirfd: i32,
    path: *const libc::c_char,
    flags: i32,
    mask: u32,
    out: *mut c_void,
) -> urb_op {
    urb_op {
        buf: path as *mut _,
        op_flags: flags as u32,
        mode: mask,
        buf2: out,
        ..op(URB_OP_STATX, dirfd)
    }
}
pub fn recv(fd: i32, buf: *mut c_void, len: u32, flags: i32) -> urb_op {
    data(URB_OP_RECV, fd, buf, len, 0, flags as u32)
}
pub fn send(fd: i32, buf: *const c_void, len: u32, flags: i32) -> urb_op {
    data(URB_OP_SEND, fd, buf as *mut _, len, 0, flags as u32)
}
pub fn accept(fd: i32, addr: *mut c_void, addrlen: *mut u32, flags: i32) -> urb_op {
    urb_op {
        buf: addr,
        buf2: addrlen.cast(),
        op_flags: flags as u32,
        ..op(URB_OP_ACCEPT, fd)
    }
}
pub fn connect(fd: i32, addr: *const c_void, addrlen: u32) -> urb_op {
    urb_op {
        buf: addr as *mut _,
        len: addrlen,
        ..op(URB_OP_CONNECT, fd)
    }
}
pub fn shutdown(fd: i32, how: i32) -> urb_op {
    urb_op {
        op_flags: how as u32,
        ..op(URB_OP_SHUTDOWN, fd)
    }
}
pub fn poll(fd: i32, events: u32) -> urb_op {
    urb_op {
        op_flags: events,
        ..op(URB_OP_POLL, fd)
    }
}
pub fn timeout(ns: u64) -> urb_op {
    urb_op {
        offset: ns,
        ..op(URB_OP_TIMEOUT, -1)
    }
}
pub fn unlinkat(dirfd: i32, path: *const libc::c_char, flags: i32) -> urb_op {
    urb_op {
        buf: path as *mut _,
        op_flags: flags as u32,
        ..op(URB_OP_UNLINKAT, dirfd)
    }
}
pub fn renameat(
    olddirfd: i32,
    oldpath: *const libc::c_char,
    newdirfd: i32,
    newpath: *const libc::c_char,
    flags: u32,
) -> urb_op {
    urb_op {
        buf: oldpath as *mut _,
        len: newdirfd as u32,
        buf2: newpath as *mut _,
        op_flags: flags,
        ..op(URB_OP_RENAMEAT, olddirfd)
    }
}
pub fn mkdirat(dirfd: i32, path: *const libc::c_char, mode: u32) -> urb_op {
    urb_op {
        buf: path as *mut _,
        mode,
        ..op(URB_OP_MKDIRAT, dirfd)
    }
}
pub fn sendmsg(fd: i32, msg: *const libc::msghdr, flags: i32) -> urb_op {
    urb_op {
        buf: msg as *mut _,
        op_flags: flags as u32,
        ..op(URB_OP_SENDMSG, fd)
    }
}
pub fn recvmsg(fd: i32, msg: *mut libc::msghdr, flags: i32) -> urb_op {
    urb_op {
        buf: msg.cast(),
        op_flags: flags as u32,
        ..op(URB_OP_RECVMSG, fd)
    }
}
pub fn socket(domain: i32, socket_type: i32, protocol: i32) -> urb_op {
    urb_op {
        op_flags: socket_type as u32,
        len: protocol as u32,
        ..op(URB_OP_SOCKET, domain)
    }
}
pub fn bind(fd: i32, addr: *const c_void, addrlen: u32) -> urb_op {
    urb_op {
        buf: addr as *mut _,
        len: addrlen,
        ..op(URB_OP_BIND, fd)
    }
}
pub fn listen(fd: i32, backlog: i32) -> urb_op {
    urb_op {
        len: backlog as u32,
        ..op(URB_OP_LISTEN, fd)
    }
}
pub fn symlinkat(
    target: *const libc::c_char,
    newdirfd: i32,
    linkpath: *const libc::c_char,
) -> urb_op {
    urb_op {
        buf: target as *mut _,
        buf2: linkpath as *mut _,
        ..op(URB_OP_SYMLINKAT, newdirfd)
    }
}
pub fn linkat(
    olddirfd: i32,
    oldpath: *const libc::c_char,
    newdirfd: i32,
    newpath: *const libc::c_char,
    flags: i32,
) -> urb_op {
    urb_op {
        buf: oldpath as *mut _,
        len: newdirfd as u32,
        buf2: newpath as *mut _,
        op_flags: flags as u32,
        ..op(URB_OP_LINKAT, olddirfd)
    }
}
pub fn fallocate(fd: i32, mode: i32, offset: u64, len: u64) -> urb_op {
    urb_op {
        mode: mode as u32,
        offset,
        reserved2: [len, 0],
        ..op(URB_OP_FALLOCATE, fd)
    }
}
pub fn ftruncate(fd: i32, length: u64) -> urb_op {
    urb_op {
        offset: length,
        ..op(URB_OP_FTRUNCATE, fd)
    }
}
pub fn fadvise(fd: i32, offset: u64, len: u32, advice: i32) -> urb_op {
    urb_op {
        offset,
        len,
        op_flags: advice as u32,
        ..op(URB_OP_FADVISE, fd)
    }
}
pub fn madvise(addr: *mut c_void, len: u32, advice: i32) -> urb_op {
    urb_op {
        buf: addr,
        len,
        op_flags: advice as u32,
        ..op(URB_OP_MADVISE, -1)
    }
}
pub fn sync_file_range(fd: i32, offset: u64, len: u32, flags: u32) -> urb_op {
    urb_op {
        offset,
        len,
        op_flags: flags,
        ..op(URB_OP_SYNC_FILE_RANGE, fd)
    }
}
pub fn splice(fd_in: i32, off_in: u64, fd_out: i32, off_out: u64, len: u32, flags: u32) -> urb_op {
    urb_op {
        offset: off_in,
        len,
        op_flags: flags,
        reserved1: fd_out as u32,
        reserved2: [off_out, 0],
        ..op(URB_OP_SPLICE, fd_in)
    }
}
pub fn tee(fd_in: i32, fd_out: i32, len: u32, flags: u32) -> urb_op {
    urb_op {
        len,
        op_flags: flags,
        reserved1: fd_out as u32,
        ..op(URB_OP_TEE, fd_in)
    }
}
pub fn getxattr(
    path: *const libc::c_char,
    name: *const libc::c_char,
    value: *mut c_void,
    size: u32,
) -> urb_op {
    urb_op {
        buf: path as *mut _,
        buf2: value,
        len: size,
        reserved2: [name as usize as u64, 0],
        ..op(URB_OP_GETXATTR, -1)
    }
}
pub fn setxattr(
    path: *const libc::c_char,
    name: *const libc::c_char,
    value: *const c_void,
    size: u32,
    flags: i32,
) -> urb_op {
    urb_op {
        buf: path as *mut _,
        buf2: value as *mut _,
        len: size,
        op_flags: flags as u32,
        reserved2: [name as usize as u64, 0],
        ..op(URB_OP_SETXATTR, -1)
    }
}
