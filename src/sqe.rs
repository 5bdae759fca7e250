//! The raw `struct io_uring_sqe` a caller may fill through
//! `urb_submit_blocking_sqe`, and how the library takes it over: it owns
//! `user_data`, strips the flags that would break its bookkeeping, and, on
//! the fallback engine, reads the SQE back as a `urb_op`.

use crate::op::{self, ValidOp};
use crate::ops::{self, Extra, SqeFields};

/// `struct io_uring_sqe` from `<linux/io_uring.h>`: 64 bytes. The header
/// names the kernel's own definition; Rust only needs its size and offsets.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub struct io_uring_sqe {
    bytes: [u8; 64],
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

    /// The same request as a `urb_op`, for the fallback engine (its
    /// operation's `OpSpec::decode`); `-ENOSYS` for an SQE it cannot perform
    /// without io_uring (unknown opcode, fixed files, provided buffers,
    /// multishot, ...).
    ///
    /// # Safety
    /// The SQE's pointers must be what its opcode says they are: a TIMEOUT's
    /// `addr` a readable `__kernel_timespec`, a READV/WRITEV's `addr` `len`
    /// readable iovecs (see [`op::validate`]).
    pub unsafe fn to_op(&self) -> Result<ValidOp, i32> {
        // Any flag (fixed file, drain, async, buffer select...) or feature
        // field (ioprio, buffer index, personality, file index, addr3) means
        // io_uring semantics the fallback does not emulate.
        let flags = self.u8_at(1) & !(IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS);
        if flags != 0 || self.u16_at(2) != 0 || self.u16_at(40) != 0 || self.u16_at(42) != 0 {
            return Err(-libc::ENOSYS);
        }
        let Some(code) = ops::by_kernel_opcode(self.opcode()) else {
            return Err(-libc::ENOSYS);
        };
        // `splice_fd_in` (a file index elsewhere) means something only to
        // the operations on two descriptors.
        let (two_descriptors, path_in_addr3) = match code.spec().extra {
            Extra::OutputFd | Extra::OutputFdAndOffset => (true, false),
            Extra::Name => (false, true),
            Extra::Unused | Extra::Length => (false, false),
        };
        if (self.u32_at(44) != 0 && !two_descriptors) || (self.u64_at(48) != 0 && !path_in_addr3) {
            return Err(-libc::ENOSYS);
        }
        let fields = SqeFields {
            fd: self.u32_at(4) as i32,
            off: self.u64_at(8),
            addr: self.u64_at(16) as usize as *mut libc::c_void,
            len: self.u32_at(24),
            op_flags: self.u32_at(28),
            splice_fd_in: self.u32_at(44) as i32,
            addr3: self.u64_at(48),
        };
        // SAFETY: this function's own contract covers the SQE's pointers.
        let mut o = unsafe { (code.spec().decode)(&fields) }?;
        o.opcode = code as u8;
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
