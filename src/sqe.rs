//! The raw `struct io_uring_sqe` a caller may fill through
//! `urb_submit_blocking_sqe`, and how the library takes it over: it owns
//! `user_data`, strips the flags that would break its bookkeeping, and, on
//! the fallback engine, reads the SQE back as a `urb_op`.

use crate::op::{self, urb_op, ValidOp};

/// `struct io_uring_sqe` from `<linux/io_uring.h>`: 64 bytes. The header
/// names the kernel's own definition; Rust only needs its size and offsets.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub struct io_uring_sqe {
    bytes: [u8; 64],
}

const TIMEOUT_ABS: u32 = 1 << 0;
const TIMEOUT_ETIME_SUCCESS: u32 = 1 << 5;

fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-parameter.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

// Kernel UAPI flag bits that the library must control itself.
const IOSQE_IO_LINK: u8 = 1 << 2;
const IOSQE_IO_HARDLINK: u8 = 1 << 3;
const IOSQE_CQE_SKIP_SUCCESS: u8 = 1 << 6;

impl io_uring_sqe {
    pub const fn zeroed() -> Self {
        io_uring_sqe { bytes: [0; 64] }
    }

    fn u8_at(&self, at: usize) -> u8 {
        self.bytes[at]
    }
    fn u16_at(&self, at: usize) -> u16 {
        u16::from_ne_bytes(self.bytes[at..at + 2].try_into().unwrap())
    }
    fn u32_at(&self, at: usize) -> u32 {
        u32::from_ne_bytes(self.bytes[at..at + 4].try_into().unwrap())
    }
    fn u64_at(&self, at: usize) -> u64 {
        u64::from_ne_bytes(self.bytes[at..at + 8].try_into().unwrap())
    }

    pub fn opcode(&self) -> u8 {
        self.u8_at(0)
    }

    /// Removes link and skip-success flags: the request stands alone and
    /// always posts the CQE its caller is waiting for.
    pub fn take_over(mut self) -> io_uring::squeue::Entry {
        self.bytes[1] &= !(IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS);
        // SAFETY: `Entry` is a `repr(C)` wrapper of the kernel's 64-byte SQE,
        // the same bytes this type holds.
        unsafe { std::mem::transmute::<io_uring_sqe, io_uring::squeue::Entry>(self) }
    }

    /// `entry` with its `ioprio` field set: some opcodes keep option bits
    /// there (`IORING_ACCEPT_DONTWAIT`, ...) that the io-uring crate does not
    /// expose.
    pub fn with_ioprio(entry: io_uring::squeue::Entry, ioprio: u16) -> io_uring::squeue::Entry {
        // SAFETY: `Entry` is a `repr(C)` wrapper of the kernel's 64-byte SQE.
        let mut sqe =
            unsafe { std::mem::transmute::<io_uring::squeue::Entry, io_uring_sqe>(entry) };
        sqe.bytes[2..4].copy_from_slice(&ioprio.to_ne_bytes());
        sqe.take_over()
    }

    /// The same request as a `urb_op`, for the fallback engine; `-ENOSYS` for
    /// an SQE it cannot perform without io_uring (unknown opcode, fixed
    /// files, provided buffers, multishot, ...).
    ///
    /// # Safety
    /// The SQE's pointers must be what its opcode says they are: a TIMEOUT's
    /// `addr` a readable `__kernel_timespec`, a READV/WRITEV's `addr` `len`
    /// readable iovecs (see [`op::validate`]).
    pub unsafe fn to_op(&self) -> Result<ValidOp, i32> {
        use io_uring::opcode as k;
        let enosys = Err(-libc::ENOSYS);
        // Any flag (fixed file, drain, async, buffer select...) or feature
        // field (ioprio, buffer index, personality, file index, addr3) means
        // io_uring semantics the fallback does not emulate.
        let flags = self.u8_at(1) & !(IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS);
        if flags != 0
            || self.u16_at(2) != 0
            || self.u16_at(40) != 0
            || self.u16_at(42) != 0
            || self.u32_at(44) != 0
            || self.u64_at(48) != 0
        {
            return enosys;
        }
        let fd = self.u32_at(4) as i32;
        let off = self.u64_at(8);
        let addr = self.u64_at(16) as usize as *mut libc::c_void;
        let len = self.u32_at(24);
        let op_flags = self.u32_at(28);
        let mut o = urb_op::zeroed();
        o.fd = fd;
        let code = self.opcode();
        let urb_code = match code {
            c if c == k::Nop::CODE => op::URB_OP_NOP,
            c if c == k::Read::CODE
                || c == k::Write::CODE
                || c == k::Readv::CODE
                || c == k::Writev::CODE =>
            {
                (o.buf, o.len, o.offset, o.op_flags) = (addr, len, off, op_flags);
                match c {
                    c if c == k::Read::CODE => op::URB_OP_READ,
                    c if c == k::Write::CODE => op::URB_OP_WRITE,
                    c if c == k::Readv::CODE => op::URB_OP_READV,
                    _ => op::URB_OP_WRITEV,
                }
            }
            c if c == k::Fsync::CODE => {
                o.op_flags = op_flags;
                op::URB_OP_FSYNC
            }
            c if c == k::OpenAt::CODE => {
                (o.buf, o.op_flags, o.mode) = (addr, op_flags, len);
                op::URB_OP_OPENAT
            }
            c if c == k::Close::CODE => op::URB_OP_CLOSE,
            c if c == k::Statx::CODE => {
                (o.buf, o.mode, o.buf2, o.op_flags) = (addr, len, off as usize as *mut _, op_flags);
                op::URB_OP_STATX
            }
            c if c == k::Recv::CODE || c == k::Send::CODE => {
                (o.buf, o.len, o.op_flags) = (addr, len, op_flags);
                if c == k::Recv::CODE {
                    op::URB_OP_RECV
                } else {
                    op::URB_OP_SEND
                }
            }
            c if c == k::Accept::CODE => {
                (o.buf, o.buf2, o.op_flags) = (addr, off as usize as *mut _, op_flags);
                op::URB_OP_ACCEPT
            }
            c if c == k::Connect::CODE => {
                (o.buf, o.len) = (addr, off as u32);
                op::URB_OP_CONNECT
            }
            c if c == k::Shutdown::CODE => {
                o.op_flags = len;
                op::URB_OP_SHUTDOWN
            }
            c if c == k::PollAdd::CODE && len == 0 => {
                o.op_flags = op_flags;
                op::URB_OP_POLL
            }
            c if c == k::Timeout::CODE
                && (op_flags & !(TIMEOUT_ABS | TIMEOUT_ETIME_SUCCESS) != 0 || off != 0) =>
            {
                // Boot-time, realtime, multishot or counting timeouts are not
                // emulated.
                return enosys;
            }
            c if c == k::Timeout::CODE && (len != 1 || addr.is_null()) => {
                return Err(-libc::EINVAL)
            }
            c if c == k::Timeout::CODE => {
                // SAFETY: a TIMEOUT SQE's addr is the caller's __kernel_timespec.
                let ts = unsafe { *(addr as *const [i64; 2]) };
                if ts[0] < 0 || !(0..1_000_000_000).contains(&ts[1]) {
                    return Err(-libc::EINVAL);
                }
                let at = (ts[0] as u64)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(ts[1] as u64);
                // An absolute timeout is a CLOCK_MONOTONIC instant, as in the kernel.
                o.offset = if op_flags & TIMEOUT_ABS != 0 {
                    at.saturating_sub(monotonic_ns())
                } else {
                    at
                };
                op::URB_OP_TIMEOUT
            }
            _ => return enosys,
        };
        o.opcode = urb_code;
        // SAFETY: this function's own contract covers the iovec array.
        unsafe { op::validate(&o) }
    }
}

/// Filled by the caller of `urb_submit_blocking_sqe`: returns 0 to submit the
/// SQE, or a negative errno to abandon it (that value is then returned).
pub type urb_sqe_fill_fn =
    Option<unsafe extern "C" fn(ctx: *mut libc::c_void, sqe: *mut io_uring_sqe) -> i32>;

#[cfg(test)]
mod tests {
    #[test]
    fn sqe_is_the_kernels_size() {
        assert_eq!(std::mem::size_of::<super::io_uring_sqe>(), 64);
        assert_eq!(std::mem::size_of::<io_uring::squeue::Entry>(), 64);
    }
}
