//! recv, send, accept, connect, shutdown: socket calls. What waits, waits
//! for the socket's readiness on the fallback engine.

use super::file::spec;
use super::{
    check_buffer, on_fd, BlockingRule, ChainRule, Extra, FdUse, Finish, OpSpec, Readiness,
    RingRoute, Tried,
};
use crate::fallback::attempt;
use crate::op::urb_op;
use crate::sys::poll::poll_fd;
use crate::sys::{retry, socket};
use io_uring::{opcode, types};

const fn stream(
    name: &'static str,
    kernel_opcode: u8,
    send: bool,
    encode: fn(&crate::op::ValidOp, &mut crate::uring::encode::SqeArgs) -> io_uring::squeue::Entry,
    perform: unsafe fn(&crate::op::ValidOp, crate::sys::time::Deadline) -> i32,
) -> OpSpec {
    OpSpec {
        name,
        kernel_opcode,
        since: "5.6",
        fd: FdUse::Required,
        vectored: false,
        validate: |op| check_buffer(op),
        encode,
        decode: |f| {
            Ok(urb_op {
                buf: f.addr,
                len: f.len,
                op_flags: f.op_flags,
                ..on_fd(f)
            })
        },
        perform,
        readiness: Readiness::Waits {
            events: if send {
                libc::POLLOUT as u32
            } else {
                libc::POLLIN as u32
            },
            // The error queue never waits, whatever the flags say.
            unless: (libc::MSG_DONTWAIT | libc::MSG_ERRQUEUE) as u32,
            dont_wait: libc::MSG_DONTWAIT as u32,
            sockets_only: true,
            perform_waits: false,
            progress_is_bytes: true,
            attempt: attempt::stream,
        },
        ring_route: RingRoute::Readiness,
        tried: Tried::Stream,
        chain: ChainRule::ShortBreaksWithWaitall,
        finish: Finish::AsIs,
        // MSG_NOSIGNAL: a closed peer is -EPIPE, never SIGPIPE.
        may_raise_sigpipe: false,
        blocking: BlockingRule::Stream,
        extra: Extra::Unused,
    }
}

/// `recv(fd, buf, len, op_flags)`.
pub const RECV: OpSpec = stream(
    "URB_OP_RECV",
    opcode::Recv::CODE,
    false,
    |op, _| {
        let r = &op.raw;
        // recv(MSG_ERRQUEUE) never waits in the kernel; io_uring would arm a
        // poll that an empty error queue never satisfies.
        let flags = if r.op_flags & libc::MSG_ERRQUEUE as u32 != 0 {
            r.op_flags as i32 | libc::MSG_DONTWAIT
        } else {
            r.op_flags as i32
        };
        opcode::Recv::new(types::Fd(r.fd), r.buf.cast(), r.len)
            .flags(flags)
            .build()
    },
    |op, _| {
        let r = &op.raw;
        // SAFETY: validation checked the buffer; the caller keeps it alive.
        retry(|| unsafe { libc::recv(r.fd, r.buf, r.len as usize, r.op_flags as i32) })
    },
);

/// `send(fd, buf, len, op_flags | MSG_NOSIGNAL)`.
pub const SEND: OpSpec = stream(
    "URB_OP_SEND",
    opcode::Send::CODE,
    true,
    |op, _| {
        let r = &op.raw;
        opcode::Send::new(types::Fd(r.fd), r.buf.cast(), r.len)
            .flags(r.op_flags as i32 | libc::MSG_NOSIGNAL)
            .build()
    },
    |op, _| {
        let r = &op.raw;
        let flags = r.op_flags as i32 | libc::MSG_NOSIGNAL;
        // SAFETY: validation checked the buffer; the caller keeps it alive.
        retry(|| unsafe { libc::send(r.fd, r.buf, r.len as usize, flags) })
    },
);

/// `accept4(fd, buf, buf2, op_flags)`.
pub const ACCEPT: OpSpec = OpSpec {
    name: "URB_OP_ACCEPT",
    kernel_opcode: opcode::Accept::CODE,
    since: "5.5",
    fd: FdUse::Required,
    vectored: false,
    // accept4(2) would take the connection and then fail to report its
    // address: refused before anything is taken.
    validate: |op| match !op.buf.is_null() && op.buf2.is_null() {
        true => Err(-libc::EFAULT),
        false => Ok(0),
    },
    encode: |op, _| {
        let r = &op.raw;
        opcode::Accept::new(types::Fd(r.fd), r.buf.cast(), r.buf2.cast())
            .flags(r.op_flags as i32)
            .build()
    },
    decode: |f| {
        Ok(urb_op {
            buf: f.addr,
            buf2: f.off as usize as *mut _,
            op_flags: f.op_flags,
            ..on_fd(f)
        })
    },
    perform: |op, _| {
        let r = &op.raw;
        socket::accept4(r.fd, r.buf.cast(), r.buf2.cast(), r.op_flags as i32)
    },
    readiness: Readiness::Waits {
        events: libc::POLLIN as u32,
        unless: 0,
        dont_wait: 0,
        sockets_only: true,
        perform_waits: false,
        progress_is_bytes: false,
        attempt: |op, _| {
            let r = &op.raw;
            attempt::accept(r.fd, r.buf.cast(), r.buf2.cast(), r.op_flags as i32)
        },
    },
    ring_route: RingRoute::Readiness,
    tried: Tried::Accept,
    chain: ChainRule::ErrorOnly,
    finish: Finish::AsIs,
    may_raise_sigpipe: false,
    blocking: BlockingRule::Accept,
    extra: Extra::Unused,
};

/// `connect(fd, buf, len)`.
pub const CONNECT: OpSpec = OpSpec {
    name: "URB_OP_CONNECT",
    kernel_opcode: opcode::Connect::CODE,
    since: "5.5",
    fd: FdUse::Required,
    vectored: false,
    validate: |op| {
        if op.len == 0 {
            return Err(-libc::EINVAL);
        }
        if op.buf.is_null() {
            return Err(-libc::EFAULT);
        }
        Ok(0)
    },
    encode: |op, _| {
        let r = &op.raw;
        opcode::Connect::new(types::Fd(r.fd), r.buf.cast(), r.len).build()
    },
    decode: |f| {
        Ok(urb_op {
            buf: f.addr,
            len: f.off as u32,
            ..on_fd(f)
        })
    },
    // A connect interrupted by a signal keeps going in the kernel: wait for
    // it to finish instead of retrying (which would report EALREADY). A
    // non-blocking socket's `-EINPROGRESS` is the caller's to wait on, and
    // its `SO_ERROR` is left for the caller to read.
    perform: |op, deadline| {
        let r = &op.raw;
        // SAFETY: validation checked the address; the caller keeps it alive.
        match unsafe { socket::connect_once(r.fd, r.buf as *const libc::sockaddr, r.len) } {
            e if e == -libc::EINTR => {}
            res => return res,
        }
        match poll_fd(r.fd, libc::POLLOUT, deadline) {
            e if e < 0 => e,
            _ => socket::connect_outcome(r.fd),
        }
    },
    readiness: Readiness::Waits {
        events: libc::POLLOUT as u32,
        unless: 0,
        dont_wait: 0,
        sockets_only: true,
        perform_waits: false,
        progress_is_bytes: false,
        attempt: attempt::connect,
    },
    ring_route: RingRoute::Readiness,
    tried: Tried::Never,
    chain: ChainRule::ErrorOnly,
    finish: Finish::AsIs,
    may_raise_sigpipe: false,
    blocking: BlockingRule::Connect,
    extra: Extra::Unused,
};

// shutdown, socket, bind, listen return at once: the file calls' shape
// (`file::spec`: no readiness, never tried, only an error breaks a chain),
// done on the fallback ring's owner thread instead of its worker pool.

/// `shutdown(fd, op_flags)`.
pub const SHUTDOWN: OpSpec = OpSpec {
    ring_route: RingRoute::Inline,
    ..spec(
        "URB_OP_SHUTDOWN",
        opcode::Shutdown::CODE,
        "5.11",
        FdUse::Required,
        |op| match op.op_flags > libc::SHUT_RDWR as u32 {
            true => Err(-libc::EINVAL),
            false => Ok(0),
        },
        |op, _| opcode::Shutdown::new(types::Fd(op.raw.fd), op.raw.op_flags as i32).build(),
        |f| {
            Ok(urb_op {
                op_flags: f.len,
                ..on_fd(f)
            })
        },
        |op, _| {
            // SAFETY: a plain call on a descriptor; no memory is passed.
            retry(|| unsafe { libc::shutdown(op.raw.fd, op.raw.op_flags as i32) } as isize)
        },
    )
};

/// `socket(fd, op_flags, len)`: domain, type (with `SOCK_NONBLOCK`,
/// `SOCK_CLOEXEC`) and protocol, as io_uring's SQE carries them.
pub const SOCKET: OpSpec = OpSpec {
    ring_route: RingRoute::Inline,
    ..spec(
        "URB_OP_SOCKET",
        opcode::Socket::CODE,
        "5.19",
        // The domain, not a descriptor: the kernel judges it.
        FdUse::None,
        super::no_fields,
        |op, _| {
            let r = &op.raw;
            opcode::Socket::new(r.fd, r.op_flags as i32, r.len as i32).build()
        },
        |f| {
            Ok(urb_op {
                op_flags: f.off as u32,
                len: f.len,
                ..on_fd(f)
            })
        },
        |op, _| {
            let r = &op.raw;
            // SAFETY: a plain call; no memory is passed.
            retry(|| unsafe { libc::socket(r.fd, r.op_flags as i32, r.len as i32) } as isize)
        },
    )
};

/// `bind(fd, buf, len)`.
pub const BIND: OpSpec = OpSpec {
    ring_route: RingRoute::Inline,
    ..spec(
        "URB_OP_BIND",
        opcode::Bind::CODE,
        "6.11",
        FdUse::Required,
        // As for connect: the address is the kernel's to judge once there is one.
        CONNECT.validate,
        |op, _| {
            let r = &op.raw;
            opcode::Bind::new(types::Fd(r.fd), r.buf as *const libc::sockaddr, r.len).build()
        },
        |f| {
            Ok(urb_op {
                buf: f.addr,
                len: f.off as u32,
                ..on_fd(f)
            })
        },
        |op, _| {
            let r = &op.raw;
            // SAFETY: validation checked the address; the caller keeps it alive.
            retry(|| unsafe { libc::bind(r.fd, r.buf as *const libc::sockaddr, r.len) } as isize)
        },
    )
};

/// `listen(fd, len)`: `len` is the backlog, an `int` as io_uring's SQE
/// carries it (the kernel caps it at `somaxconn`).
pub const LISTEN: OpSpec = OpSpec {
    ring_route: RingRoute::Inline,
    ..spec(
        "URB_OP_LISTEN",
        opcode::Listen::CODE,
        "6.11",
        FdUse::Required,
        super::no_fields,
        |op, _| opcode::Listen::new(types::Fd(op.raw.fd), op.raw.len as i32).build(),
        |f| {
            Ok(urb_op {
                len: f.len,
                ..on_fd(f)
            })
        },
        |op, _| {
            // SAFETY: a plain call on a descriptor; no memory is passed.
            retry(|| unsafe { libc::listen(op.raw.fd, op.raw.len as i32) } as isize)
        },
    )
};
